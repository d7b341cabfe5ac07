namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// A pre- or post-backup hook: a delegate (code) or a command line run directly (never through a shell, so
/// arguments need no quoting and cannot inject commands), bounded by a timeout.
/// </summary>
public sealed class BackupHookOptions
{
    /// <summary>A name for logs and errors (default: the command or "hook {index}").</summary>
    public string? Name { get; set; }

    /// <summary>The program to run (a path or a name found on PATH).</summary>
    public string? Command { get; set; }

    /// <summary>The program's arguments, passed one by one.</summary>
    public List<string> Arguments { get; } = [];

    /// <summary>
    /// Variables set for <see cref="Command"/>. The command does not inherit this process's environment, which may
    /// hold repository passwords and cloud credentials: only what any program needs (PATH, HOME, USER, locale, time
    /// zone, temporary directory, the platform's own) and the database clients' settings (PG*, MYSQL*, MARIADB*)
    /// pass on. Name here whatever else the command needs.
    /// </summary>
    public Dictionary<string, string> Environment { get; } = [];

    /// <summary>The working directory of <see cref="Command"/> (default: the process's).</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>The delegate to run instead of a command. Code only.</summary>
    public Func<BackupHookContext, CancellationToken, Task>? Action { get; set; }

    /// <summary>How long the hook may run before it is cancelled (a command is killed with its process tree).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>What a failure (non-zero exit, exception or timeout) does to the run.</summary>
    public HookErrorPolicy OnError { get; set; } = HookErrorPolicy.Fail;
}

/// <summary>What a failing hook does to its run.</summary>
public enum HookErrorPolicy
{
    /// <summary>The run fails (a failing pre-hook means the backup is not taken).</summary>
    Fail = 0,

    /// <summary>The failure is logged and the run goes on.</summary>
    Continue = 1,
}

/// <summary>What a hook delegate is told.</summary>
public sealed record BackupHookContext
{
    /// <summary>The job being run.</summary>
    public required string JobName { get; init; }

    /// <summary>"pre" or "post".</summary>
    public required string Phase { get; init; }

    /// <summary>The application's services.</summary>
    public required IServiceProvider Services { get; init; }

    /// <summary>For a post-hook, the run's outcome so far (null before the backup, or when it failed).</summary>
    public required Backup.Core.Pipeline.BackupResult? Result { get; init; }
}
