using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Backup.Core.Diagnostics;

/// <summary>
/// Where the services (backup, restore, check and drill, prune, forget and repair) report: one activity per
/// operation on the ActivitySource <see cref="Name"/>, instruments on the meter <see cref="Name"/>, and log messages
/// through an optional <see cref="ILoggerFactory"/>. Give one to a service to see what a hosted job sees; the
/// services use <see cref="Default"/> otherwise. Instrument and activity names are listed in docs/telemetry.md.
/// </summary>
public sealed class BackupDiagnostics
{
    /// <summary>The meter's and the activity source's name: add it to OpenTelemetry with AddMeter("Backup") and AddSource("Backup").</summary>
    public const string Name = "Backup";

    // ActivitySource has no factory: listeners select sources by name, so one immutable source per process is the
    // pattern .NET itself uses, and per-instance sources would only be more objects for the listeners to track.
    private static readonly ActivitySource Source = new(Name);

    // Without an IMeterFactory (an app with no host) the instruments live on one process-wide meter, created once:
    // a meter per service instance would never be disposed and would accumulate in every MeterListener.
    private static readonly Lazy<BackupInstruments> SharedInstruments = new(() => new BackupInstruments(new Meter(Name)));

    private readonly KeyValuePair<string, object?>[] _tags;

    /// <summary>
    /// Creates the instruments on a meter from <paramref name="meterFactory"/> (which owns it), or on a process-wide
    /// meter when null; logs go to <paramref name="loggerFactory"/>, or nowhere when null.
    /// </summary>
    public BackupDiagnostics(IMeterFactory? meterFactory = null, ILoggerFactory? loggerFactory = null)
        : this(meterFactory is null ? SharedInstruments.Value : new BackupInstruments(meterFactory.Create(Name)),
            (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Backup.Core"), [])
    {
    }

    private BackupDiagnostics(BackupInstruments instruments, ILogger logger, KeyValuePair<string, object?>[] tags)
    {
        Instruments = instruments;
        Logger = logger;
        _tags = tags;
    }

    /// <summary>Reports on the process-wide meter and activity source and logs nothing: what a service uses when given none.</summary>
    public static BackupDiagnostics Default { get; } = new();

    /// <summary>
    /// The same instruments and logs, with <paramref name="tags"/> added to every measurement and activity (the
    /// hosting package adds the job's name as "job").
    /// </summary>
    public BackupDiagnostics WithTags(params IEnumerable<KeyValuePair<string, object?>> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        return new BackupDiagnostics(Instruments, Logger, [.. _tags, .. tags]);
    }

    internal BackupInstruments Instruments { get; }

    internal ILogger Logger { get; }

    /// <summary>Runs <paramref name="run"/> as the operation <paramref name="operation"/> on <paramref name="repository"/>: an activity around it, its duration and outcome recorded, a failure logged.</summary>
    internal async Task<T> RunAsync<T>(string operation, string repository, Func<Task<T>> run, Action<BackupOperation, T> completed)
    {
        using var scope = new BackupOperation(this, operation, repository, Source.StartActivity(operation, ActivityKind.Internal));
        try
        {
            var result = await run().ConfigureAwait(false);
            completed(scope, result);
            return result;
        }
        catch (OperationCanceledException)
        {
            scope.Cancelled();
            throw;
        }
        catch (Exception e)
        {
            scope.Failed(e);
            throw;
        }
    }

    internal TagList Tags()
    {
        var list = default(TagList);
        foreach (var tag in _tags)
        {
            list.Add(tag);
        }

        return list;
    }

    internal IReadOnlyList<KeyValuePair<string, object?>> ExtraTags => _tags;
}
