using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace Backup.Providers.PostgreSql;

/// <summary>
/// The extensions of a snapshot restored by a <see cref="PgScratchRole"/>, which may create only trusted ones
/// (pgcrypto, hstore, citext, …), not the others (PostGIS, pg_stat_statements, …), which may require trusted ones:
/// every extension the archive names is created beforehand by the connecting superuser, from the server's own
/// extension scripts, in the archive's order and schemas, into the fresh database before any of the snapshot's SQL has
/// run; the archive's statements for them (and their comments, which only an extension's owner may set, and a schema
/// made for them) are then left out of the restore, as are event triggers, which only a superuser may create.
/// </summary>
internal static partial class PgScratchExtensions
{
    /// <summary>
    /// Extensions a test restore does not create for the scratch role: with them its SQL could sign in to the
    /// server's other databases (the role may set its own password).
    /// </summary>
    private static readonly HashSet<string> Refused = new(StringComparer.Ordinal) { "dblink" };

    /// <summary>What the restore leaves out: every extension of the database before the snapshot's SQL ran, and the schemas made for them.</summary>
    public sealed record Prepared(IReadOnlySet<string> Extensions, IReadOnlySet<string> Schemas);

    /// <summary>The (name, schema) of each of pg_dump's <c>CREATE EXTENSION IF NOT EXISTS x WITH SCHEMA s;</c> lines in <paramref name="script"/>.</summary>
    public static List<(string Name, string Schema)> Parse(string script)
    {
        var found = new List<(string, string)>();
        foreach (var line in script.Split('\n'))
        {
            if (CreateExtension().Match(line.TrimEnd('\r')) is { Success: true } match)
            {
                found.Add((Unquote(match.Groups["name"].Value), Unquote(match.Groups["schema"].Value)));
            }
        }

        return found;
    }

    /// <summary>
    /// Creates, connected to the scratch database as the superuser (<paramref name="admin"/>), each of
    /// <paramref name="extensions"/> the server has, in order (a schema for it first, owned by <paramref name="role"/>).
    /// </summary>
    /// <exception cref="DatabaseRestoreException">The snapshot needs an extension a scratch role is not given.</exception>
    public static async Task<Prepared> PrepareAsync(NpgsqlConnection admin, string role, IReadOnlyList<(string Name, string Schema)> extensions, CancellationToken cancellationToken)
    {
        var schemas = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, schema) in extensions)
        {
            if (Refused.Contains(name))
            {
                throw new DatabaseRestoreException(
                    $"The snapshot needs the extension '{name}', which a test restore does not create for the role it restores as: with it, the snapshot's SQL could sign in to the server's other databases. " +
                    "Test-restore it as the connecting role (PostgreSqlVerifyOptions.UseScratchRole = false) only if you trust everyone who can write to the repository.");
            }

            if (!await AvailableAsync(admin, name, cancellationToken).ConfigureAwait(false))
            {
                // The restore fails on it and says so.
                continue;
            }

            await using (var exists = new NpgsqlCommand("SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = $1", admin) { Parameters = { new() { Value = schema } } })
            {
                if ((long)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! == 0)
                {
                    await ExecuteAsync(admin, $"CREATE SCHEMA {PgServer.QuoteIdentifier(schema)} AUTHORIZATION {PgServer.QuoteIdentifier(role)}", cancellationToken).ConfigureAwait(false);
                    schemas.Add(schema);
                }
            }

            // In the archive's order, which is pg_dump's order of dependence: no CASCADE, which would put a required
            // extension in this one's schema rather than the one the archive names for it.
            await ExecuteAsync(admin, $"CREATE EXTENSION IF NOT EXISTS {PgServer.QuoteIdentifier(name)} SCHEMA {PgServer.QuoteIdentifier(schema)}", cancellationToken).ConfigureAwait(false);
        }

        var present = new HashSet<string>(StringComparer.Ordinal);
        await using (var list = new NpgsqlCommand("SELECT extname FROM pg_catalog.pg_extension", admin))
        await using (var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                present.Add(reader.GetString(0));
            }
        }

        return new Prepared(present, schemas);
    }

    /// <summary>The entries of pg_restore's <paramref name="listing"/> that create extensions (for <see cref="Parse"/> of their script); null when there are none.</summary>
    public static string? ExtensionEntries(string listing)
    {
        var entries = listing.Split('\n').Where(line => ListEntry().Match(line) is { Success: true } m && m.Groups["what"].Value.StartsWith("EXTENSION - ", StringComparison.Ordinal)).ToList();
        return entries.Count == 0 ? null : string.Join('\n', entries) + "\n";
    }

    /// <summary>pg_restore's <paramref name="listing"/> with the entries for what <paramref name="prepared"/> made, and event triggers, commented out.</summary>
    public static string FilterListing(string listing, Prepared prepared)
    {
        var output = new StringBuilder(listing.Length + 64);
        foreach (var line in listing.Split('\n'))
        {
            var leave = ListEntry().Match(line) is { Success: true } m && Made(m.Groups["what"].Value + " ", prepared);
            output.Append(leave ? ";" : string.Empty).Append(line).Append('\n');
        }

        return output.ToString();
    }

    /// <summary>Whether a line of pg_dump's plain script creates or comments on an extension <paramref name="prepared"/> made, or creates a schema it made.</summary>
    public static bool MadeFor(string line, Prepared prepared) =>
        (CreateExtension().Match(line) is { Success: true } create && prepared.Extensions.Contains(Unquote(create.Groups["name"].Value)))
        || (CommentOnExtension().Match(line) is { Success: true } comment && prepared.Extensions.Contains(Unquote(comment.Groups["name"].Value)))
        || (CreateSchema().Match(line) is { Success: true } schema && prepared.Schemas.Contains(Unquote(schema.Groups["name"].Value)));

    /// <summary>Whether a listing entry ("EXTENSION - postgis ", "COMMENT - EXTENSION postgis ", "SCHEMA - gis owner ") is for something <paramref name="prepared"/> made.</summary>
    private static bool Made(string what, Prepared prepared) =>
        what.StartsWith("EVENT TRIGGER ", StringComparison.Ordinal)
        || prepared.Extensions.Any(e => what.StartsWith($"EXTENSION - {e} ", StringComparison.Ordinal) || what.StartsWith($"COMMENT - EXTENSION {e} ", StringComparison.Ordinal))
        || prepared.Schemas.Any(s => what.StartsWith($"SCHEMA - {s} ", StringComparison.Ordinal));

    /// <summary>Whether the server has the extension <paramref name="name"/> to create.</summary>
    private static async Task<bool> AvailableAsync(NpgsqlConnection admin, string name, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_catalog.pg_available_extensions WHERE name = $1", admin) { Parameters = { new() { Value = name } } };
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! > 0;
    }

    private static string Unquote(string identifier) =>
        identifier.StartsWith('"') ? identifier[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : identifier;

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private const string Identifier = """(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)""";

    [GeneratedRegex($"^CREATE EXTENSION IF NOT EXISTS (?<name>{Identifier}) WITH SCHEMA (?<schema>{Identifier});$")]
    private static partial Regex CreateExtension();

    [GeneratedRegex($"^COMMENT ON EXTENSION (?<name>{Identifier}) IS '(?:[^']|'')*';$")]
    private static partial Regex CommentOnExtension();

    [GeneratedRegex($"^CREATE SCHEMA (?<name>{Identifier});$")]
    private static partial Regex CreateSchema();

    [GeneratedRegex(@"^\d+; \d+ \d+ (?<what>.*)$")]
    private static partial Regex ListEntry();
}
