using MySqlConnector;

namespace Backup.Providers.MySql;

/// <summary>Where a MariaDB or MySQL server is and who connects to it; the password is kept apart from the connection string.</summary>
public abstract record MySqlConnectionOptions
{
    /// <summary>A MySqlConnector connection string (Server, Port, User ID, Database …); it need not contain a password.</summary>
    public required string ConnectionString { get; init; }

    /// <summary>The password, filled by the caller from an environment variable or a file; handed to client tools only through a 0600 --defaults-extra-file.</summary>
    public string? Password { get; init; }

    /// <summary>Where mariadb-dump/mysqldump and mariadb/mysql are; PATH when null.</summary>
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
            _ = new MySqlConnectionStringBuilder(ConnectionString);
        }
        catch (ArgumentException ex)
        {
            // The builder's message may quote the string (and a password in it).
            throw new ArgumentException($"The connection string is malformed ({ex.GetType().Name}).", nameof(ConnectionString));
        }
    }
}

/// <summary>What a MariaDB/MySQL backup reads.</summary>
public sealed record MySqlSourceOptions : MySqlConnectionOptions
{
    /// <summary>Every user database (not mysql, sys, information_schema, performance_schema) instead of only the connection string's, each as its own entry, all from one instant.</summary>
    public bool AllDatabases { get; init; }

    /// <summary>Record per-table row counts and checksums (a full read of every table in the dump's snapshot).</summary>
    public bool RecordChecksums { get; init; } = true;

    /// <summary>The dump tool (the default) or driver-only; see <see cref="MySqlBackupMethod.DriverOnly"/> for what that covers.</summary>
    public MySqlBackupMethod Method { get; init; } = MySqlBackupMethod.Dump;

    /// <summary>Parallel mode: how many connections read tables at once (at most 64).</summary>
    public int Jobs { get; init; } = Math.Min(Environment.ProcessorCount, 8);

    /// <summary>Driver-only and parallel modes: the most row text per INSERT statement, in bytes (rows larger than this get a statement of their own).</summary>
    public int InsertBatchBytes { get; init; } = 1 << 20;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (!Enum.IsDefined(Method))
        {
            throw new ArgumentException("Unknown Method.", nameof(Method));
        }

        if (Jobs is < 1 or > 64)
        {
            throw new ArgumentException("Jobs must be 1 - 64.", nameof(Jobs));
        }

        if (InsertBatchBytes is < 1024 or > 64 << 20)
        {
            throw new ArgumentException("InsertBatchBytes must be 1 KiB - 64 MiB.", nameof(InsertBatchBytes));
        }

        if (!AllDatabases && string.IsNullOrEmpty(new MySqlConnectionStringBuilder(ConnectionString).Database))
        {
            throw new ArgumentException("The connection string names no Database; name one, or set AllDatabases (the CLI's --all-databases).", nameof(ConnectionString));
        }
    }
}

/// <summary>Where and how a snapshot is restored.</summary>
public sealed record MySqlRestoreOptions : MySqlConnectionOptions
{
    /// <summary>The database in the snapshot; may be null when it holds exactly one.</summary>
    public string? SourceDatabase { get; init; }

    /// <summary>The database to restore into; the connection string's Database when null.</summary>
    public string? TargetDatabase { get; init; }

    /// <summary>Parallel snapshots: how many connections load tables at once (at most 64); dump and single-connection driver-only snapshots use one.</summary>
    public int Jobs { get; init; } = Math.Min(Environment.ProcessorCount, 8);

    /// <summary>Restore over an existing database: it is dropped and recreated first (with its character set and collation). Without it an existing target is an error.</summary>
    public bool Clean { get; init; }

    /// <summary>
    /// Create the snapshot's events disabled, so that none runs in the restored database: a copy restored beside the
    /// original would run its scheduled jobs (with the restoring user's privileges), and a test restore's would change
    /// the rows it compares. Driver-only and parallel snapshots create them disabled; a dump restored by the mariadb
    /// client creates them as the dump says and the restore disables them right after, so one due that instant may run once.
    /// </summary>
    public bool EventsDisabled { get; init; }

    /// <summary>
    /// For a scratch copy of a snapshot someone else may have written (a test restore, a drill): when the connecting
    /// user holds privileges on every database (<c>ON *.*</c>), the snapshot's SQL runs as a user made for this
    /// restore, which holds every privilege on the new target database and no other, so that a <c>Dump</c> snapshot's
    /// script (which the mariadb client runs as it stands) cannot drop, read or change other databases, create users or
    /// write files. Its objects' definers become that user. The user bears the database's name; drop both with
    /// <see cref="MySqlVerifier"/> or <c>IDatabaseEngine.DropAsync</c>. Needs a new target (not with
    /// <see cref="Clean"/>). Off by default: a real restore keeps the connecting user as definer.
    /// </summary>
    public bool UseScratchUser { get; init; }

    /// <summary>
    /// After the restore, compare every restored table with the row count and checksum recorded at backup time; the
    /// result's <see cref="DatabaseRestoreResult.Verification"/> says what differs, and a difference leaves the
    /// database as restored. A snapshot without recorded checksums is refused before anything is restored. See
    /// <see cref="MySqlRestorer.VerifyRestoredAsync"/>.
    /// </summary>
    public bool Verify { get; init; }

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (UseScratchUser && Clean)
        {
            throw new ArgumentException("UseScratchUser restores into a new database only; it cannot be combined with Clean.", nameof(UseScratchUser));
        }

        if (UseScratchUser && !MyScratchUser.IsScratchName(TargetDatabase ?? new MySqlConnectionStringBuilder(ConnectionString).Database ?? string.Empty))
        {
            throw new ArgumentException("UseScratchUser restores into a scratch database, named as test restores and drills name them: letters, digits or underscores, then '_' and 12 lower-case hex digits (dr_0123456789ab).", nameof(UseScratchUser));
        }

        if (string.IsNullOrEmpty(TargetDatabase) && string.IsNullOrEmpty(new MySqlConnectionStringBuilder(ConnectionString).Database))
        {
            throw new ArgumentException("Name the target database (TargetDatabase or the connection string's Database).", nameof(TargetDatabase));
        }

        if (Jobs is < 1 or > 64)
        {
            throw new ArgumentException("Jobs must be 1 - 64.", nameof(Jobs));
        }
    }
}

/// <summary>How a snapshot is test-restored and checked.</summary>
public sealed record MySqlVerifyOptions : MySqlConnectionOptions
{
    /// <summary>The scratch database's name prefix; the library creates "&lt;prefix&gt;_&lt;random&gt;" and drops it afterwards.</summary>
    public string ScratchDatabasePrefix { get; init; } = "backup_verify";

    /// <summary>Runs after each restore, before the comparison, on a connection to the scratch database.</summary>
    public Func<MySqlConnection, string, CancellationToken, Task>? AfterRestore { get; init; }

    /// <summary>
    /// When the connecting user holds privileges on every database, run each snapshot's SQL as a user made for the
    /// scratch database and dropped with it (<see cref="MySqlRestoreOptions.UseScratchUser"/>); on by default. Set
    /// false only when everyone who can write to the repository is trusted with that user's rights.
    /// </summary>
    public bool UseScratchUser { get; init; } = true;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (string.IsNullOrWhiteSpace(ScratchDatabasePrefix) || ScratchDatabasePrefix.Length > 40 || !ScratchDatabasePrefix.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw new ArgumentException("ScratchDatabasePrefix must be 1-40 letters, digits or underscores.", nameof(ScratchDatabasePrefix));
        }
    }
}
