using System.CommandLine;

namespace Backup.Cli;

/// <summary>What one verb's action sees: the parsed command line, the global options' values and the console.</summary>
internal sealed class CommandContext
{
    public CommandContext(ParseResult parseResult, GlobalOptions options, CliConsole console)
    {
        ParseResult = parseResult;
        Console = console;
        Repo = parseResult.GetValue(options.Repo);
        PasswordFile = parseResult.GetValue(options.PasswordFile);
        Json = parseResult.GetValue(options.Json);
        Quiet = parseResult.GetValue(options.Quiet);
        Verbose = parseResult.GetValue(options.Verbose);
        AllowInsecureHttp = parseResult.GetValue(options.AllowInsecureHttp);
        AppendOnly = parseResult.GetValue(options.AppendOnly) || IsTrue(console.GetEnvironmentVariable(AppendOnlyVariable));
        RetentionLock = parseResult.GetValue(options.RetentionLock);
        Bandwidth = BandwidthLimit.FromOptions(parseResult.GetValue(options.LimitUpload), parseResult.GetValue(options.LimitDownload));
        Output = new OutputWriter(console, Json, Quiet);
        Trace = new RequestTrace(console.GetEnvironmentVariable);
        Timings = new TimingTrace(console.GetEnvironmentVariable);
    }

    public ParseResult ParseResult { get; }

    public CliConsole Console { get; }

    public string? Repo { get; }

    public FileInfo? PasswordFile { get; }

    public bool Json { get; }

    public bool Quiet { get; }

    public bool Verbose { get; }

    /// <summary>--allow-insecure-http: a plain-HTTP S3 or Azure blob endpoint on another machine is accepted (with a warning).</summary>
    public bool AllowInsecureHttp { get; }

    /// <summary>--limit-upload and --limit-download; null when neither is given.</summary>
    public Backup.Core.Storage.BandwidthLimitOptions? Bandwidth { get; }


    public const string AppendOnlyVariable = "BACKUP_APPEND_ONLY";

    /// <summary>--append-only or $BACKUP_APPEND_ONLY: every target is an <see cref="Backup.Core.Storage.AppendOnlyTarget"/>.</summary>
    public bool AppendOnly { get; }

    /// <summary>--retention-lock: overrides $BACKUP_RETENTION_LOCK for the S3 and Azure providers.</summary>
    public string? RetentionLock { get; }

    /// <summary>Builds the storage target at <paramref name="location"/> with this invocation's settings.</summary>
    /// <param name="location">A local directory or a repository URL.</param>
    /// <param name="create">Whether the location may be created (init).</param>
    /// <param name="storesLockedObjects">
    /// Whether this target is where --retention-lock applies, so that storage which cannot lock objects is refused; false
    /// for the source of a copy, which only reads (an immutable off-site copy of a local repository is the point).
    /// </param>
    public Backup.Core.Storage.IBackupTarget CreateTarget(string location, bool create, bool storesLockedObjects = true)
    {
        var target = RepositoryTargets.Create(location, create, Environment, Trace.Wrap, AllowInsecureHttp, Output.Warn, storesLockedObjects && RetentionLock is not null, Bandwidth);
        return AppendOnly ? new Backup.Core.Storage.AppendOnlyTarget(target, ownsInner: true) : target;
    }

    /// <summary>Refuses a verb that deletes when the tool runs append-only.</summary>
    /// <exception cref="CliUsageException">--append-only or $BACKUP_APPEND_ONLY is set.</exception>
    public void RefuseInAppendOnlyMode(string verb, string deletes)
    {
        if (AppendOnly)
        {
            throw new CliUsageException($"'{verb}' {deletes}, and this run is append-only (--append-only or ${AppendOnlyVariable}), which never deletes. Run it from a machine whose credentials may delete, without append-only mode.");
        }
    }

    private string? Environment(string name) =>
        name == RepositoryTargets.RetentionLockVariable && RetentionLock is not null ? RetentionLock : Console.GetEnvironmentVariable(name);

    private static bool IsTrue(string? value) =>
        value?.Trim() is { } text && (text == "1" || text.Equals("true", StringComparison.OrdinalIgnoreCase) || text.Equals("yes", StringComparison.OrdinalIgnoreCase));

    public OutputWriter Output { get; }

    /// <summary>Storage call counting, on with BACKUP_TRACE_REQUESTS=1.</summary>
    public RequestTrace Trace { get; }

    /// <summary>Where the command's time went, on with BACKUP_TRACE_TIMINGS=1.</summary>
    public TimingTrace Timings { get; }

    public T? Get<T>(Option<T> option) => ParseResult.GetValue(option);

    public T? Get<T>(Argument<T> argument) => ParseResult.GetValue(argument);

    /// <summary>A progress line on stderr, drawn only when stderr is a terminal and --quiet is not given.</summary>
    public ProgressRenderer CreateProgress(string verb) => new(Console.Error, enabled: !Quiet && !Console.IsErrorRedirected, verb);
}
