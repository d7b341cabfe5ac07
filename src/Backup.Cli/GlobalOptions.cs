using System.CommandLine;

namespace Backup.Cli;

/// <summary>The options every verb accepts (recursive options of the root command).</summary>
internal sealed class GlobalOptions
{
    public Option<string?> Repo { get; } = new("--repo", "-r")
    {
        Description = "Repository location: a local directory, or sftp://USER@HOST[:PORT]/PATH, s3://BUCKET[/PREFIX], azure://CONTAINER[/PREFIX]. Default: $BACKUP_REPOSITORY.",
        HelpName = "LOCATION",
        Recursive = true,
    };

    public Option<FileInfo?> PasswordFile { get; } = new("--password-file", "-p")
    {
        Description = "Read the repository password from the first line of FILE. Default: the file $BACKUP_PASSWORD_FILE names, else $BACKUP_PASSWORD, else a prompt.",
        HelpName = "FILE",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print machine-readable JSON to stdout instead of tables.",
        Recursive = true,
    };

    public Option<bool> Quiet { get; } = new("--quiet", "-q")
    {
        Description = "Print no progress and no summary: only errors and warnings, and what a command is asked to show (ls, snapshots, stats, dump, forget --dry-run).",
        Recursive = true,
    };

    public Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "Show stack traces and details of errors.",
        Recursive = true,
    };

    public Option<bool> AllowInsecureHttp { get; } = new("--allow-insecure-http")
    {
        Description = "Allow an http:// S3 endpoint ($BACKUP_S3_ENDPOINT) or Azure blob endpoint on another machine (refused by default: anyone on the path can read and alter the requests).",
        Recursive = true,
    };

    public Option<bool> AppendOnly { get; } = new("--append-only")
    {
        Description = "Never delete or overwrite anything in the repository (except this process's own locks): backups work, forget and prune refuse. Default: $BACKUP_APPEND_ONLY (1 or true).",
        Recursive = true,
    };

    public Option<string?> RetentionLock { get; } = new("--retention-lock")
    {
        Description = "Lock new packs and snapshots against deletion for DURATION (e.g. 30d, 12h): S3 Object Lock or an Azure immutability policy; s3:// and azure:// only. Default: $BACKUP_RETENTION_LOCK.",
        HelpName = "DURATION",
        Recursive = true,
    };

    
    public Option<string?> LimitUpload { get; } = new("--limit-upload")
    {
        Description = $"Upload at most RATE to the repository, across all connections ({BandwidthLimit.HelpText}). Default: no limit.",
        HelpName = "RATE",
        Recursive = true,
    };

    public Option<string?> LimitDownload { get; } = new("--limit-download")
    {
        Description = $"Download at most RATE from the repository, across all connections ({BandwidthLimit.HelpText}). Default: no limit.",
        HelpName = "RATE",
        Recursive = true,
    };

    public IEnumerable<Option> All => [Repo, PasswordFile, Json, Quiet, Verbose, AllowInsecureHttp, AppendOnly, RetentionLock, LimitUpload, LimitDownload];
}
