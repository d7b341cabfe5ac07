using Backup.Core.Snapshots;
using Backup.Extensions.DependencyInjection;
using Backup.Providers;

namespace Backup.DisasterRecovery;

/// <summary>
/// Whether the server a plan's restore step recovers a database into has the roles the snapshot needs. A snapshot of
/// one PostgreSQL database holds no roles (they belong to the server), one of MariaDB/MySQL no accounts or grants, and a
/// drill cannot tell: it restores into a scratch server that usually has every role, without grants. Read only: the
/// server's list of roles (or accounts) is all it reads.
/// </summary>
internal static class RestoreTargetRoles
{
    /// <summary>
    /// What <paramref name="engine"/> finds on the server <paramref name="restore"/> names for each database of
    /// <paramref name="snapshot"/>: a problem per database that lacks roles (<see cref="Problem.Missing"/>) or
    /// whose roles are unknown or could not be checked; none when the server has them all or the engine records no roles.
    /// </summary>
    /// <param name="path">The step's setting path, for messages ("Systems:shop:Steps:0:Restore").</param>
    /// <param name="restore">The restore step, with the server's ConnectionString and where its password is.</param>
    /// <param name="engine">The engine of the step's job.</param>
    /// <param name="snapshot">The snapshot the step restores.</param>
    /// <param name="cancellationToken">Stops the check.</param>
    public static async Task<List<Problem>> CheckAsync(string path, RestoreStep restore, IDatabaseEngine engine, Snapshot snapshot, CancellationToken cancellationToken)
    {
        var problems = new List<Problem>();
        string? password;
        try
        {
            password = await DatabasePassword.ReadAsync(path, restore.PasswordEnvironmentVariable, restore.PasswordFile, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            problems.Add(new Problem(false, $"{e.Message} The roles the restore needs were not checked on its server."));
            return problems;
        }

        var databases = engine.DatabasesOf(snapshot);
        for (var i = 0; i < databases.Count; i++)
        {
            var database = databases[i];
            DatabaseRoleCheck check;
            try
            {
                check = await engine.CheckRolesAsync(snapshot, new DatabaseRestoreSettings { Location = restore.ConnectionString!, Password = password, SourceDatabase = database }, cancellationToken).ConfigureAwait(false);
            }
            catch (NotSupportedException)
            {
                return problems;
            }
            catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
            {
                // Often the recovery server does not exist before the disaster: worth knowing, not a gap by itself. It is
                // the same server for the databases left, so they are not asked for one connect timeout each.
                var unasked = string.Join(", ", databases.Skip(i).Select(d => $"'{d}'"));
                problems.Add(new Problem(false,
                    $"{path}:ConnectionString: the {engine.DisplayName} server a recovery restores into could not be asked for its roles ({e.Message}), so whether it has those " +
                    $"{(databases.Count - i == 1 ? "database" : "databases")} {unasked} {(databases.Count - i == 1 ? "needs" : "need")} is not known; " +
                    "check them there before you need it (backup dr validate on a host that reaches it)."));
                break;
            }

            if (!check.Known)
            {
                problems.Add(new Problem(false, $"{path}: {check.Advice}"));
            }
            else if (check.Missing.Count > 0)
            {
                problems.Add(new Problem(true, $"{path}:ConnectionString: {check.Advice}"));
            }
        }

        return problems;
    }

    /// <summary>One database's finding.</summary>
    /// <param name="Missing">The server lacks roles the restore needs (a recovery would fail), as opposed to a check that could not tell.</param>
    /// <param name="Message">What is wrong and what to do.</param>
    internal sealed record Problem(bool Missing, string Message);
}
