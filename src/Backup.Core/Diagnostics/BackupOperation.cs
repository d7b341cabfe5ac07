using System.Diagnostics;

namespace Backup.Core.Diagnostics;

/// <summary>One running operation: its activity, and what is recorded and logged when it ends.</summary>
internal sealed class BackupOperation : IDisposable
{
    private readonly BackupDiagnostics _diagnostics;
    private readonly string _operation;
    private readonly string _repository;
    private readonly Activity? _activity;
    private readonly long _started = Stopwatch.GetTimestamp();

    public BackupOperation(BackupDiagnostics diagnostics, string operation, string repository, Activity? activity)
    {
        _diagnostics = diagnostics;
        _operation = operation;
        _repository = repository;
        _activity = activity;
        if (activity is not null)
        {
            foreach (var tag in diagnostics.ExtraTags)
            {
                activity.SetTag(tag.Key, tag.Value);
            }

            activity.SetTag("backup.repository", repository);
        }

        Log.OperationStarted(diagnostics.Logger, operation, repository);
    }

    /// <summary>The diagnostics the operation reports to.</summary>
    public BackupDiagnostics Diagnostics => _diagnostics;

    /// <summary>The operation's activity, when anything listens.</summary>
    public Activity? Activity => _activity;

    /// <summary>The operation's name (backup, restore, check...).</summary>
    public string Name => _operation;

    /// <summary>Where the repository lives, as logged.</summary>
    public string Repository => _repository;

    private BackupInstruments Instruments => _diagnostics.Instruments;

    public void Cancelled()
    {
        Ended("cancelled");
        Log.OperationCancelled(_diagnostics.Logger, _operation, _repository, Elapsed);
    }

    public void Failed(Exception error)
    {
        _activity?.SetStatus(ActivityStatusCode.Error, error.Message);
        _activity?.SetTag("error.type", error.GetType().FullName);
        Ended("failed");
        Log.OperationFailed(_diagnostics.Logger, _operation, _repository, error.GetType().Name, error.Message);
    }

    public void Dispose() => _activity?.Dispose();

    public double Elapsed => Stopwatch.GetElapsedTime(_started).TotalSeconds;

    public void Ended(string outcome)
    {
        _activity?.SetTag("backup.outcome", outcome);
        if (outcome is "failed" or "partial")
        {
            _activity?.SetStatus(ActivityStatusCode.Error);
        }

        var tags = _diagnostics.Tags();
        tags.Add("operation", _operation);
        tags.Add("outcome", outcome);
        Instruments.OperationDuration.Record(Elapsed, tags);
    }
}
