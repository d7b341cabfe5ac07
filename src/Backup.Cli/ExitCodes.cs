namespace Backup.Cli;

/// <summary>
/// The exit codes of the <c>backup</c> tool:
/// <list type="table">
/// <item><term>0</term><description>Success.</description></item>
/// <item><term>1</term><description>Error: the command failed (I/O, storage, bad input, anything unexpected).</description></item>
/// <item><term>2</term><description>Usage error: unknown verb or option, missing or invalid argument.</description></item>
/// <item><term>3</term><description>Partial: the backup was stored but some files could not be read, or a restore could not restore some entries (each is listed on stderr), or a database restore's --verify found restored tables that differ from the checksums recorded at backup time (each is named; the database is left as restored).</description></item>
/// <item><term>4</term><description>Problems found: check found errors in the repository, or verify's restore drill did not restore every file exactly, or a database drill found a differing table or an integrity problem, or <c>dr validate</c> found errors in the plan, or a <c>dr drill</c> failed (each is listed).</description></item>
/// <item><term>10</term><description>Repository not found at the given location.</description></item>
/// <item><term>11</term><description>Wrong password: it opens none of the repository's keys.</description></item>
/// <item><term>12</term><description>Repository damaged: stored data is missing, altered or corrupt (a restore that missed entries because of it exits 12, not 3).</description></item>
/// <item><term>13</term><description>Storage full: the repository's disk, or a restore's target, has no space left or its quota is used up (nothing half-written is left; see docs/failures.md), or standard output is redirected to a full file system or device.</description></item>
/// <item><term>130</term><description>Interrupted (Ctrl+C).</description></item>
/// </list>
/// </summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Error = 1;
    public const int Usage = 2;
    public const int Partial = 3;
    public const int ProblemsFound = 4;
    public const int RepositoryNotFound = 10;
    public const int WrongPassword = 11;
    public const int RepositoryDamaged = 12;
    public const int StorageFull = 13;
    public const int Interrupted = 130;

    /// <summary>The table printed at the end of every --help.</summary>
    public const string HelpText = """
        Exit codes:
          0    success
          1    error
          2    usage error (unknown verb or option, bad argument)
          3    partial: some entries could not be backed up or restored, or restore --verify found tables that differ (listed on stderr)
          4    problems found: check found errors, verify's restore drill failed (files or tables), or dr validate found gaps, or a dr drill failed (each is listed)
          10   repository not found
          11   wrong password
          12   repository damaged (missing or altered data)
          13   storage full: no space left (or quota exceeded) in the repository, the restore target or standard output
          130  interrupted (Ctrl+C)

        Environment:
          BACKUP_REPOSITORY     repository location when --repo is not given
          BACKUP_PASSWORD       repository password (or use --password-file, or type it when asked)
          BACKUP_PASSWORD_FILE  file whose first line is the repository password (before BACKUP_PASSWORD)
          BACKUP_NEW_PASSWORD   new password for 'key add' and 'key passwd' (or BACKUP_NEW_PASSWORD_FILE)
          BACKUP_DESTINATION_PASSWORD  password of the destination repository of 'copy' (or BACKUP_DESTINATION_PASSWORD_FILE)
          BACKUP_DB_PASSWORD    database password for --postgres/--mysql/--to-*/verify --scratch (or --db-password-file; else PGPASSWORD / MYSQL_PWD)
          BACKUP_SFTP_HOST_KEY, BACKUP_SFTP_KEY_FILE, BACKUP_SFTP_KEY_PASSPHRASE, BACKUP_SFTP_PASSWORD   sftp:// repositories
          BACKUP_S3_ENDPOINT, BACKUP_S3_REGION, BACKUP_S3_PATH_STYLE, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY   s3:// repositories
          AZURE_STORAGE_CONNECTION_STRING   azure:// repositories
          BACKUP_TRACE_REQUESTS=1   print the storage calls each command made (stderr)
          BACKUP_TRACE_TIMINGS=1    print where the command's time went: start-up, opening the repository (config,
                                    keys, key derivation, index), snapshot listing, lock, the operation (stderr)
          BACKUP_LOCK_TTL       lifetime of this process's repository locks in seconds (default 900)
          BACKUP_APPEND_ONLY=1  never delete or overwrite anything in the repository (as --append-only)
          BACKUP_RETENTION_LOCK lock new packs and snapshots against deletion, e.g. 30d (as --retention-lock; s3:// and azure://)
          BACKUP_FILE_MODE      octal permissions of new repository files, local and sftp:// (default 600)
        """;
}
