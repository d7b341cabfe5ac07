using Npgsql;

namespace Backup.Providers.PostgreSql;

public sealed partial class PostgreSqlRestorer
{
    /// <summary>
    /// The parts of a restore run as a <see cref="PgScratchRole"/>: signing in as it, and the extensions it cannot
    /// create itself, made beforehand by the connecting superuser and left out of the snapshot's SQL
    /// (<see cref="PgScratchExtensions"/>).
    /// </summary>
    private sealed class ScratchRestore(PgServer admin, PgScratchRole role, int serverVersionNum)
    {
        /// <summary>The server as the role, once it has signed in to <paramref name="target"/>.</summary>
        /// <exception cref="DatabaseRestoreException">The server does not let the role sign in.</exception>
        public async Task<PgServer> SignInAsync(string target, CancellationToken cancellationToken)
        {
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

        /// <summary>Prepares the extensions of pg_dump's plain <paramref name="script"/>; returns it without their statements.</summary>
        public async Task<string> PrepareScriptAsync(string script, string target, CancellationToken cancellationToken) =>
            PgScratchExtensions.FilterScript(script, await PrepareAsync(PgScratchExtensions.Parse(script), target, cancellationToken).ConfigureAwait(false));

        private async Task<PgScratchExtensions.Prepared> PrepareAsync(IReadOnlyList<(string Name, string Schema)> extensions, string target, CancellationToken cancellationToken)
        {
            await using var connection = await admin.OpenAsync(target, untrusted: true, cancellationToken).ConfigureAwait(false);
            return await PgScratchExtensions.PrepareAsync(connection, role.Name, extensions, serverVersionNum, cancellationToken).ConfigureAwait(false);
        }
    }
}
