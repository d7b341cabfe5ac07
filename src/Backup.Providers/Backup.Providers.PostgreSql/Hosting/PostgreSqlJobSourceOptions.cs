namespace Backup.Providers.PostgreSql;

/// <summary>
/// A PostgreSQL database as a named source of hosted backup jobs (<c>AddPostgreSqlSource</c>), bindable from
/// configuration. The password never sits here: it is read for each run from <see cref="PasswordEnvironmentVariable"/>
/// or <see cref="PasswordFile"/> (or comes from a ~/.pgpass the server accepts).
/// </summary>
public sealed class PostgreSqlJobSourceOptions
{
    /// <summary>An Npgsql connection string without a password (Host, Port, Username, Database, Timeout, SSL Mode …).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The environment variable holding the password.</summary>
    public string? PasswordEnvironmentVariable { get; set; }

    /// <summary>A file whose content (trailing newline trimmed) is the password, e.g. a mounted secret.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>pg_dump (default) or driver-only (no client tools needed for the data).</summary>
    public PostgreSqlBackupMethod Method { get; set; } = PostgreSqlBackupMethod.PgDump;

    /// <summary>Back up every database plus the globals instead of the connection string's database.</summary>
    public bool AllDatabases { get; set; }

    /// <summary>pg_dump's format.</summary>
    public PostgreSqlDumpFormat Format { get; set; } = PostgreSqlDumpFormat.Custom;

    /// <summary>Where pg_dump is; looked up by the server's major version when null.</summary>
    public string? ClientToolsDirectory { get; set; }

    /// <summary>Record per-table row counts and checksums (default true).</summary>
    public bool RecordChecksums { get; set; } = true;

    /// <summary>The configuration path validation messages start with (set when bound from a section).</summary>
    internal string? SectionPath { get; set; }

    /// <summary>Builds the provider's source options with <paramref name="password"/>.</summary>
    internal PostgreSqlSourceOptions ToSourceOptions(string? password) => new()
    {
        ConnectionString = ConnectionString ?? string.Empty,
        Password = password,
        Method = Method,
        AllDatabases = AllDatabases,
        Format = Format,
        ClientToolsDirectory = ClientToolsDirectory,
        RecordChecksums = RecordChecksums,
    };
}
