namespace Backup.Providers.PostgreSql;

/// <summary>How the database is read.</summary>
public enum PostgreSqlBackupMethod
{
    /// <summary>pg_dump (and pg_dumpall for globals) reading the pinned snapshot; needs the client tools, at least the server's major version.</summary>
    PgDump,

    /// <summary>
    /// No client tools needed for the data: every table is read with Npgsql's binary COPY inside the pinned
    /// REPEATABLE READ snapshot. The schema comes from <c>pg_dump --schema-only</c> when pg_dump is found (then it
    /// is complete), otherwise from the catalog, which covers only tables (columns, types, defaults, NOT NULL,
    /// primary keys), sequences and their values — not views, functions, triggers, indexes other than primary
    /// keys, foreign keys, extensions, large objects, roles or grants.
    /// </summary>
    DriverOnly,

    /// <summary>
    /// The default: pg_dump's parallel mode done inside the repository. A schema-only custom-format archive from
    /// pg_dump, then every table as a binary COPY on its own connection in the pinned snapshot, as many at once as
    /// the backup reads files at once (<c>BackupOptions.FilesInFlight</c>, by default one per core), streamed into
    /// the repository with no dump on local disk. Per-table checksums are taken from the COPY streams as they pass,
    /// so the tables are read once. Restores load the tables in parallel (<see cref="PostgreSqlRestoreOptions.Jobs"/>
    /// connections) before pg_restore builds indexes and constraints with as many jobs. Needs pg_dump at least as
    /// new as the server. A database holding large objects, or columns of arrays or records of user-defined types
    /// (whose binary form names the type by an object id another database does not share), is backed up with
    /// <see cref="PgDump"/> instead, for the whole snapshot, with a warning in the log.
    /// </summary>
    Parallel,
}

/// <summary>The pg_dump output format.</summary>
public enum PostgreSqlDumpFormat
{
    /// <summary>Custom format (-Fc): restored by pg_restore, selectively (-t) and in parallel (-j).</summary>
    Custom,

    /// <summary>
    /// Plain SQL: restored by psql, all or nothing, with psql's meta-commands switched off (<c>\restrict</c>, so the
    /// restoring psql must be 13.22, 14.19, 15.14, 16.10, 17.6 or later); a dump that holds one fails to restore.
    /// </summary>
    Plain,
}

/// <summary>Where a PostgreSQL server is and who connects to it. The password is kept apart from the connection string so neither is ever logged with it.</summary>
public abstract record PostgreSqlConnectionOptions
{
    /// <summary>An Npgsql connection string (Host, Port, Username, Database, SSL Mode …); it need not contain a password.</summary>
    public required string ConnectionString { get; init; }

    /// <summary>The password, filled by the caller from an environment variable or a file; overrides one in <see cref="ConnectionString"/>. Handed to client tools through a 0600 temporary PGPASSFILE, never on their command line.</summary>
    public string? Password { get; init; }

    /// <summary>Where pg_dump, pg_restore and psql are; when null they are looked for in /usr/lib/postgresql/&lt;server major&gt;/bin, newer installed versions, then PATH.</summary>
    public string? ClientToolsDirectory { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public virtual void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new ArgumentException("A connection string is required.", nameof(ConnectionString));
        }

        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString);
        }
        catch (ArgumentException ex)
        {
            // The builder's message may quote the string (and a password in it): say only that it is malformed.
            throw new ArgumentException($"The connection string is malformed ({ex.GetType().Name}).", nameof(ConnectionString));
        }
    }
}

/// <summary>What a PostgreSQL backup reads and how.</summary>
public sealed record PostgreSqlSourceOptions : PostgreSqlConnectionOptions
{
    /// <summary>Back up every database that accepts connections (templates excluded) plus the globals (roles, tablespaces) instead of only the connection string's database.</summary>
    public bool AllDatabases { get; init; }

    /// <summary>Parallel (the default), pg_dump or driver-only.</summary>
    public PostgreSqlBackupMethod Method { get; init; } = PostgreSqlBackupMethod.Parallel;

    /// <summary>pg_dump's format; custom by default so restores can be selective and parallel. <see cref="PostgreSqlDumpFormat.Plain"/> asks for a pg_dump plain dump, also when <see cref="Method"/> is left at <see cref="PostgreSqlBackupMethod.Parallel"/>.</summary>
    public PostgreSqlDumpFormat Format { get; init; } = PostgreSqlDumpFormat.Custom;

    /// <summary>
    /// pg_dump's compression level for the custom format; 0 (none) by default because the repository compresses
    /// with zstd after deduplication, and compressed dumps of a slightly changed table share no chunks.
    /// </summary>
    public int CompressionLevel { get; init; }

    /// <summary>
    /// Driver-only mode: build the schema from the catalog even when pg_dump is available (for hosts where the
    /// client tools must not run). See <see cref="PostgreSqlBackupMethod.DriverOnly"/> for what that covers.
    /// </summary>
    public bool SchemaFromCatalog { get; init; }

    /// <summary>
    /// Record per-table row counts and checksums so restores can be verified. With <see cref="PostgreSqlBackupMethod.Parallel"/>
    /// they are taken from the tables' COPY streams as they pass (no second read); with the other methods they cost
    /// a full read of every table, inside the dump's snapshot.
    /// </summary>
    public bool RecordChecksums { get; init; } = true;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (CompressionLevel is < 0 or > 9)
        {
            throw new ArgumentException("CompressionLevel must be 0-9.", nameof(CompressionLevel));
        }

        if (!AllDatabases && string.IsNullOrEmpty(new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString).Database))
        {
            throw new ArgumentException("The connection string names no Database; name one, or set AllDatabases (the CLI's --all-databases).", nameof(ConnectionString));
        }

        if (!Enum.IsDefined(Method) || !Enum.IsDefined(Format))
        {
            throw new ArgumentException("Unknown Method or Format.");
        }
    }
}

/// <summary>Where and how a snapshot is restored.</summary>
public sealed record PostgreSqlRestoreOptions : PostgreSqlConnectionOptions
{
    /// <summary>The database in the snapshot to restore; may be null when the snapshot holds exactly one.</summary>
    public string? SourceDatabase { get; init; }

    /// <summary>The database to restore into; the connection string's Database when null.</summary>
    public string? TargetDatabase { get; init; }

    /// <summary>Restore over an existing database (pg_restore --clean --if-exists drops the objects it recreates). Without it an existing target database is an error.</summary>
    public bool Clean { get; init; }

    /// <summary>
    /// Parallel jobs. A custom-format dump goes to pg_restore -j (above 1 the dump is first written to a temporary
    /// file, because pg_restore -j cannot read standard input); a parallel snapshot loads this many tables at once,
    /// each on its own connection, and then has pg_restore -j build the indexes and constraints.
    /// </summary>
    public int Jobs { get; init; } = 1;

    /// <summary>Restore only these tables (pg_restore -t, by name without schema); all when empty. Custom-format and parallel snapshots only.</summary>
    public IReadOnlyList<string> Tables { get; init; } = [];

    /// <summary>Skip ownership (pg_restore --no-owner; for plain and driver-only dumps their <c>ALTER … OWNER TO</c> lines are left out) so objects belong to the restoring user; set false to keep the original owners (their roles must exist).</summary>
    public bool NoOwner { get; init; } = true;

    /// <summary>Where the temporary dump for parallel restores goes; the system temp directory when null.</summary>
    public string? TempDirectory { get; init; }

    /// <summary>
    /// Memory each index or key build of the restore may use (PostgreSQL's <c>maintenance_work_mem</c>, in MB),
    /// 256 by default: the server's own default (64 MB) sorts a large table's index on disk, which a restore pays for
    /// every index. Set for the restore's pg_restore sessions only (through PGOPTIONS), and only when the server's
    /// setting is lower; with several jobs each build at once may take this much. Null keeps the server's setting.
    /// </summary>
    public int? MaintenanceWorkMemMegabytes { get; init; } = 256;

    /// <summary>
    /// Parallel snapshots restored with several jobs: a table with at least this many bytes of data gets its own
    /// indexes and keys built right after its rows are in (smaller ones wait for the final post-data pass, where one
    /// pg_restore run is cheaper than one per table). Internal: tests lower it to reach the early path with small tables.
    /// </summary>
    internal long EarlyPostDataMinBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>
    /// For a scratch copy of a snapshot someone else may have written (a test restore, a drill): when the connecting
    /// role is a superuser, the snapshot's SQL runs as a role made for this restore, which owns the new target database
    /// and may do nothing else, so that a function of the snapshot cannot act as a superuser (run a program on the
    /// server with <c>COPY … TO PROGRAM</c>, reach other databases). Extensions only a superuser may create are created
    /// first, by the connecting role (dblink is refused). The role bears the database's name; drop both with
    /// <see cref="PostgreSqlVerifier"/> or <c>IDatabaseEngine.DropAsync</c>. Needs a new target (not with
    /// <see cref="Clean"/>) and a server that lets the role sign in with a password. Off by default: a real restore
    /// keeps the connecting role as owner.
    /// </summary>
    public bool UseScratchRole { get; init; }

    /// <summary>
    /// After the restore, compare the restored tables (only those of <see cref="Tables"/> when it is set) with the row
    /// counts and checksums recorded at backup time; the result's <see cref="DatabaseRestoreResult.Verification"/>
    /// says what differs, and a difference leaves the database as restored. A snapshot without recorded checksums
    /// is refused before anything is restored. See <see cref="PostgreSqlRestorer.VerifyRestoredAsync"/>.
    /// </summary>
    public bool Verify { get; init; }

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (Jobs is < 1 or > 64)
        {
            throw new ArgumentException("Jobs must be 1-64.", nameof(Jobs));
        }

        if (MaintenanceWorkMemMegabytes is < 1 or > 2_097_151)
        {
            throw new ArgumentException("MaintenanceWorkMemMegabytes must be 1-2097151 (PostgreSQL's limit), or null to keep the server's setting.", nameof(MaintenanceWorkMemMegabytes));
        }

        if (Tables.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("Table names must not be empty.", nameof(Tables));
        }

        if (UseScratchRole && Clean)
        {
            throw new ArgumentException("UseScratchRole restores into a new database only; it cannot be combined with Clean.", nameof(UseScratchRole));
        }

        if (string.IsNullOrEmpty(TargetDatabase) && string.IsNullOrEmpty(new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString).Database))
        {
            throw new ArgumentException("Name the target database (TargetDatabase or the connection string's Database).", nameof(TargetDatabase));
        }
    }
}

/// <summary>How a snapshot is test-restored and checked.</summary>
public sealed record PostgreSqlVerifyOptions : PostgreSqlConnectionOptions
{
    /// <summary>The scratch database's name prefix; the library creates "&lt;prefix&gt;_&lt;random&gt;" databases and drops them afterwards.</summary>
    public string ScratchDatabasePrefix { get; init; } = "backup_verify";

    /// <summary>pg_restore's parallel jobs.</summary>
    public int Jobs { get; init; } = 1;

    /// <summary>Check every btree index with amcheck's bt_index_check (the extension is created in the scratch database when available).</summary>
    public bool RunAmcheck { get; init; } = true;

    /// <summary>
    /// Runs after each restore, before the comparison, on a connection to the scratch database: application smoke
    /// tests belong here (and tests use it to tamper with the restore).
    /// </summary>
    public Func<Npgsql.NpgsqlConnection, string, CancellationToken, Task>? AfterRestore { get; init; }

    /// <summary>
    /// When the connecting role is a superuser, run each snapshot's SQL as a role made for the scratch database and
    /// dropped with it (<see cref="PostgreSqlRestoreOptions.UseScratchRole"/>); on by default. Set false only when
    /// everyone who can write to the repository is trusted with the superuser's rights, for snapshots that need what
    /// the scratch role is not given (dblink, foreign servers, event triggers, extensions in untrusted languages).
    /// </summary>
    public bool UseScratchRole { get; init; } = true;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (Jobs is < 1 or > 64)
        {
            throw new ArgumentException("Jobs must be 1-64.", nameof(Jobs));
        }

        if (string.IsNullOrWhiteSpace(ScratchDatabasePrefix) || ScratchDatabasePrefix.Length > 40 || !ScratchDatabasePrefix.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw new ArgumentException("ScratchDatabasePrefix must be 1-40 letters, digits or underscores.", nameof(ScratchDatabasePrefix));
        }
    }
}
