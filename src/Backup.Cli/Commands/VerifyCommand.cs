using System.CommandLine;
using Backup.Core.Verification;

namespace Backup.Cli.Commands;

/// <summary><c>backup verify [SNAPSHOT]</c>: a restore drill that measures the recovery time actually achieved.</summary>
internal static class VerifyCommand
{
    public static Command Create(CommandRunner runner)
    {
        var snapshotArgument = new Argument<string?>("SNAPSHOT")
        {
            Description = "Snapshot ID (a unique prefix of at least 4 digits) or 'latest' (the default).",
            Arity = ArgumentArity.ZeroOrOne,
            Validators = { SnapshotIds.Validate },
        };
        var scratch = new Option<string?>("--scratch")
        {
            Description = "Directory under which the drill restores (a fresh subdirectory, deleted afterwards; default: the temp directory). " +
                "For a PostgreSQL or MariaDB/MySQL snapshot: the connection string of a server where a scratch database is created and dropped.",
            HelpName = "DIR|CONNSTRING",
        };
        var randomWithin = new Option<string?>("--random-within")
        {
            Description = $"Restore a random snapshot taken within DURATION before now instead of SNAPSHOT ({DurationParser.HelpText}).",
            HelpName = "DURATION",
        };
        var trustSnapshotSql = new Option<bool>("--trust-snapshot-sql")
        {
            Description = "For a PostgreSQL or MariaDB/MySQL snapshot: run its SQL as the --scratch user itself even when that user may do more than the scratch database needs " +
                "(a PostgreSQL superuser, a MariaDB/MySQL user with privileges ON *.*), instead of as a user made for the test restore. " +
                "For snapshots that need what such a user is not given (dblink, foreign servers, untrusted languages), from a repository whose every writer you trust.",
        };
        var dbPasswordFile = new Option<FileInfo?>("--db-password-file") { Description = $"Read the scratch server's password from the first line of FILE. Default: ${DatabasePasswordResolver.Variable}, then {DatabaseEngines.PasswordVariables}.", HelpName = "FILE" };
        var command = new Command(
            "verify",
            "Restore drill: restore a snapshot into scratch space, verify every file's size and hash against the repository, delete it again, " +
            "and report the time it took (the recovery time achieved). A database snapshot is restored into a scratch database (or file), " +
            "compared table by table with the checksums recorded at backup time and integrity-checked. Exits 4 when anything did not restore exactly.")
        {
            snapshotArgument, scratch, randomWithin, dbPasswordFile, trustSnapshotSql,
        };
        var latest = new LatestFilter();
        latest.AddTo(command);
        runner.Bind(command, async (context, ct) =>
        {
            var snapshot = context.Get(snapshotArgument);
            var window = context.Get(randomWithin) is { } text ? DurationParser.Parse(text, "--random-within") : (TimeSpan?)null;
            if (snapshot is not null && window is not null)
            {
                throw new CliUsageException("Give SNAPSHOT or --random-within, not both.");
            }

            if (window is not null && latest.IsGiven(context))
            {
                throw new CliUsageException("--host, --path and --tag choose which snapshot 'latest' means; --random-within picks among all snapshots of its window.");
            }

            await using var repository = await RepositoryOpener.OpenAsync(context, ct).ConfigureAwait(false);
            if (window is null)
            {
                var found = await latest.FindAsync(context, repository, snapshot ?? "latest", ct).ConfigureAwait(false);
                if (DatabaseEngines.OfSnapshot(found) is { } database)
                {
                    return await DatabaseVerify.RunAsync(context, repository, found, database, context.Get(scratch), context.Get(dbPasswordFile), context.Get(trustSnapshotSql), ct).ConfigureAwait(false);
                }

                snapshot = found.Id.ToString();
            }

            if (context.Get(dbPasswordFile) is not null)
            {
                throw new CliUsageException("--db-password-file applies to database snapshots only.");
            }

            if (context.Get(trustSnapshotSql))
            {
                throw new CliUsageException("--trust-snapshot-sql applies to PostgreSQL and MariaDB/MySQL snapshots only.");
            }

            if (context.Get(scratch) is { } given && ScratchArgument.IsConnectionString(given))
            {
                // Not quoted: a connection string may hold a password.
                throw new CliUsageException("--scratch is a connection string, but a files snapshot's restore drill restores into a directory: give --scratch DIR (default: the temp directory).");
            }

            var options = new DrillOptions
            {
                Snapshot = window is null ? snapshot : null,
                RandomWithin = window,
                ScratchDirectory = context.Get(scratch) is { } directory ? Path.GetFullPath(directory) : null,
            };
            var result = await new VerificationService(repository).RestoreDrillAsync(options, ct).ConfigureAwait(false);
            foreach (var problem in result.Problems)
            {
                await context.Output.ErrorAsync($"did not restore exactly: /{problem.Path.TrimStart('/')}: {problem.Message}").ConfigureAwait(false);
            }

            if (context.Json)
            {
                await context.Output.WriteJsonAsync(
                    new VerifyOutput(
                        result.IsSuccess, result.SnapshotId.ToString(), result.SnapshotTime, result.Files, result.Directories, result.Bytes,
                        result.Duration.TotalSeconds, result.BytesPerSecond, [.. result.Problems.Select(p => new ProblemOutput(p.Path, p.Message))]),
                    CliJson.Default.VerifyOutput).ConfigureAwait(false);
            }
            else
            {
                await context.Output.InfoAsync(
                    $"Restore drill of snapshot {result.SnapshotId.ToShortString()} ({Format.Time(result.SnapshotTime)}): {Format.Count(result.Files, "file", "files")}, " +
                    $"{Format.Count(result.Directories, "directory", "directories")}, {Format.Bytes(result.Bytes)} restored and verified in {Format.Seconds(result.Duration)} " +
                    $"({Format.RateOrTooQuick(result.Bytes, result.Duration)}). Achieved RTO: {Format.Seconds(result.Duration)}.").ConfigureAwait(false);
            }

            if (!result.IsSuccess)
            {
                await context.Output.ErrorAsync($"error: restore drill failed: {result.Problems.Count} file(s) did not restore exactly").ConfigureAwait(false);
                return ExitCodes.ProblemsFound;
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
