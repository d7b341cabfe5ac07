using System.Text;
using Backup.Core.Snapshots;
using Npgsql;

namespace Backup.Providers.PostgreSql;

public sealed partial class PostgreSqlRestorer
{
    /// <summary>The most of a plain dump read for its extensions (pg_dump writes them before any table).</summary>
    private const int ScriptHeadLimit = 64 * 1024 * 1024;

    /// <summary>
    /// The beginning of a plain dump, up to its first rows (<c>COPY … FROM stdin;</c>): where pg_dump writes its
    /// extensions, read for a scratch restore before psql gets the whole dump. An extension written further on is not
    /// made for the role, whose restore then fails on it.
    /// </summary>
    private async Task<string> ReadScriptHeadAsync(TreeNode node, CancellationToken cancellationToken)
    {
        using var enough = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var head = new MemoryStream();
        try
        {
            await _repository.Content.CopyToAsync(node.Content ?? [], (chunk, ct) =>
            {
                var from = (int)Math.Max(0, head.Length - 6);
                head.Write(chunk.Span);
                if (head.GetBuffer().AsSpan(from, (int)head.Length - from).IndexOf("\nCOPY "u8) >= 0 || head.Length >= ScriptHeadLimit)
                {
                    enough.Cancel();
                    ct.ThrowIfCancellationRequested();
                }

                return ValueTask.CompletedTask;
            }, enough.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (enough.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Read far enough.
        }

        return Encoding.UTF8.GetString(head.GetBuffer(), 0, (int)head.Length);
    }

    /// <summary>
    /// The parts of a restore run as a <see cref="PgScratchRole"/>: signing in as it, and the extensions it cannot
    /// create itself, made beforehand by the connecting superuser and left out of the snapshot's SQL
    /// (<see cref="PgScratchExtensions"/>).
    /// </summary>
    private sealed class ScratchRestore(PgServer admin, PgScratchRole role)
    {
        /// <summary>
        /// What a scratch role's pg_restore leaves out: what only a superuser or the objects' grantors could restore
        /// and nothing compared depends on (privileges, publications, subscriptions, security labels).
        /// </summary>
        public static readonly string[] PgRestoreArguments = ["--no-privileges", "--no-publications", "--no-subscriptions", "--no-security-labels"];

        /// <summary>The server as the role, once it has signed in to <paramref name="target"/>.</summary>
        /// <exception cref="DatabaseRestoreException">The server does not let the role sign in.</exception>
        public async Task<PgServer> SignInAsync(string target, CancellationToken cancellationToken)
        {
            await using (var connection = await admin.OpenAsync(target, untrusted: true, cancellationToken).ConfigureAwait(false))
            {
                await PgScratchRole.PrepareAmcheckAsync(connection, role.Name, cancellationToken).ConfigureAwait(false);
            }

            var server = admin.As(role.Name, role.Password);
            try
            {
                await using var connection = await server.OpenAsync(target, cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification)
            {
                throw new DatabaseRestoreException(
                    $"The restore runs the snapshot's SQL as a role made for it ('{role.Name}'), since the connecting role is a superuser, and the server refused that role's sign-in ({ex.MessageText}). " +
                    "Let roles sign in with a password from this host in pg_hba.conf (for example 'host all all 127.0.0.1/32 scram-sha-256') and connect over TCP, " +
                    "connect as a role that is not a superuser (docs/databases.md), or, only if you trust everyone who can write to the repository, turn UseScratchRole off.",
                    ex);
            }

            return server;
        }

        /// <summary>The password the role has unless its SQL set one: the one it was made with, none once locked.</summary>
        private string? Expected => _locked ? null : role.Verifier;

        private bool _locked;

        /// <summary>Ends the role's sessions and its sign-ins once the restore is done (see <see cref="PgScratchRole.LockAsync"/>).</summary>
        /// <exception cref="DatabaseRestoreException">The snapshot's SQL gave the role a password of its own, or reached other databases with it.</exception>
        public async Task LockAsync(string target, CancellationToken cancellationToken)
        {
            await using var connection = await admin.OpenAsync("postgres", cancellationToken).ConfigureAwait(false);
            var findings = await PgScratchRole.FindingsAsync(connection, role.Name, Expected, cancellationToken).ConfigureAwait(false);
            await PgScratchRole.LockAsync(connection, target, Expected, cancellationToken).ConfigureAwait(false);
            _locked = true;
            if (findings is not null)
            {
                throw new DatabaseRestoreException($"The restore into '{target}' was stopped: {findings}.");
            }
        }

        /// <summary>
        /// What stopped the restore: what the role shows of a snapshot written to attack it (a password of its own, with
        /// which the restore's next sign-in fails as if the server had refused it; objects elsewhere), or else <paramref name="failure"/>.
        /// </summary>
        public async Task<Exception> FailureAsync(string target, Exception failure)
        {
            if (failure is DatabaseRestoreException && _locked)
            {
                return failure;
            }

            try
            {
                using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
                await using var connection = await admin.OpenAsync("postgres", limit.Token).ConfigureAwait(false);
                return await PgScratchRole.FindingsAsync(connection, role.Name, Expected, limit.Token).ConfigureAwait(false) is { } findings
                    ? new DatabaseRestoreException($"The restore into '{target}' was stopped: {findings}.", failure)
                    : failure;
            }
            catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException)
            {
                return failure;
            }
        }

        /// <summary>Drops the database and the role after a failure, and what the role made elsewhere (<see cref="FailureAsync"/> said what it found).</summary>
        public async Task DropAsync(string target, CancellationToken cancellationToken)
        {
            try
            {
                await PgScratchRole.DropAsync(admin, target, Expected, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidOperationException)
            {
                // Found before and said in the failure.
            }
        }

        /// <summary>
        /// Prepares the extensions of the pg_restore <paramref name="archive"/>; returns the list (for --use-list) of
        /// its entries without theirs.
        /// </summary>
        public async Task<TempFile> PrepareArchiveAsync(string tool, ToolEnvironment environment, string archive, string target, CancellationToken cancellationToken)
        {
            var listing = await ReadToolOutputAsync(tool, ["--list", archive], environment, cancellationToken).ConfigureAwait(false);
            List<(string Name, string Schema)> extensions = [];
            if (PgScratchExtensions.ExtensionEntries(listing) is { } entries)
            {
                using var only = await Providers.Secrets.WritePrivateFileAsync(entries, ".list", cancellationToken).ConfigureAwait(false);
                extensions = PgScratchExtensions.Parse(await ReadToolOutputAsync(tool, [$"--use-list={only.Path}", "--file=-", archive], environment, cancellationToken).ConfigureAwait(false));
            }

            var prepared = await PrepareAsync(extensions, target, cancellationToken).ConfigureAwait(false);
            return await Providers.Secrets.WritePrivateFileAsync(PgScratchExtensions.FilterListing(listing, prepared), ".list", cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Prepares the extensions pg_dump's plain <paramref name="script"/> creates (for <see cref="PgDumpScriptFilter"/>).</summary>
        public Task<PgScratchExtensions.Prepared> PrepareScriptAsync(string script, string target, CancellationToken cancellationToken) =>
            PrepareAsync(PgScratchExtensions.Parse(script), target, cancellationToken);

        /// <summary>
        /// Turns FORCE ROW LEVEL SECURITY off on every table of <paramref name="connection"/>'s database (the role's,
        /// after the pre-data schema): the role owns the tables, and a forced policy would hide rows from its load,
        /// its key checks and refreshes, and the comparison, where the backup read them all.
        /// </summary>
        public static async Task UnforceRowSecurityAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
        {
            var tables = new List<string>();
            await using (var list = new NpgsqlCommand("SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relforcerowsecurity", connection))
            await using (var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    tables.Add($"{PgServer.QuoteIdentifier(reader.GetString(0))}.{PgServer.QuoteIdentifier(reader.GetString(1))}");
                }
            }

            foreach (var table in tables)
            {
                await using var alter = new NpgsqlCommand($"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY", connection);
                await alter.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        /// <summary>As <see cref="UnforceRowSecurityAsync(NpgsqlConnection, CancellationToken)"/>, on a connection of the role's own to <paramref name="target"/>.</summary>
        public static async Task UnforceRowSecurityAsync(PgServer restoring, string target, CancellationToken cancellationToken)
        {
            await using var connection = await restoring.OpenAsync(target, cancellationToken).ConfigureAwait(false);
            await UnforceRowSecurityAsync(connection, cancellationToken).ConfigureAwait(false);
        }

        private async Task<PgScratchExtensions.Prepared> PrepareAsync(IReadOnlyList<(string Name, string Schema)> extensions, string target, CancellationToken cancellationToken)
        {
            await using var connection = await admin.OpenAsync(target, untrusted: true, cancellationToken).ConfigureAwait(false);
            return await PgScratchExtensions.PrepareAsync(connection, role.Name, extensions, cancellationToken).ConfigureAwait(false);
        }
    }
}
