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
        Bandwidth = BandwidthLimit.FromOptions(parseResult.GetValue(options.LimitUpload), parseResult.GetValue(options.LimitDownload));
        Output = new OutputWriter(console, Json, Quiet);
        Trace = new RequestTrace(console.GetEnvironmentVariable);
    }

    public ParseResult ParseResult { get; }

    public CliConsole Console { get; }

    public string? Repo { get; }

    public FileInfo? PasswordFile { get; }

    public bool Json { get; }

    public bool Quiet { get; }

    public bool Verbose { get; }

    /// <summary>--allow-insecure-http: a plain-HTTP S3 endpoint on another machine is accepted (with a warning).</summary>
    public bool AllowInsecureHttp { get; }

    /// <summary>--limit-upload and --limit-download; null when neither is given.</summary>
    public Backup.Core.Storage.BandwidthLimitOptions? Bandwidth { get; }

    /// <summary>Builds the storage target at <paramref name="location"/> with this invocation's settings.</summary>
    public Backup.Core.Storage.IBackupTarget CreateTarget(string location, bool create) =>
        RepositoryTargets.Create(location, create, Console.GetEnvironmentVariable, Trace.Wrap, AllowInsecureHttp, Output.Warn, Bandwidth);

    public OutputWriter Output { get; }

    /// <summary>Storage call counting, on with BACKUP_TRACE_REQUESTS=1.</summary>
    public RequestTrace Trace { get; }

    public T? Get<T>(Option<T> option) => ParseResult.GetValue(option);

    public T? Get<T>(Argument<T> argument) => ParseResult.GetValue(argument);

    /// <summary>A progress line on stderr, drawn only when stderr is a terminal and --quiet is not given.</summary>
    public ProgressRenderer CreateProgress(string verb) => new(Console.Error, enabled: !Quiet && !Console.IsErrorRedirected, verb);
}
