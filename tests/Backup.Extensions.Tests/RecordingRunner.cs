using Backup.Extensions.DependencyInjection;

namespace Backup.Extensions.Tests;

/// <summary>A job runner for the scheduler tests: records when each run started and reports it succeeded.</summary>
internal sealed class RecordingRunner(TimeProvider time) : IBackupJobRunner
{
    public List<DateTimeOffset> Runs { get; } = [];

    public bool Running { get; set; }

    public IReadOnlyCollection<string> JobNames => ["nightly"];

    public event EventHandler<BackupJobEvent>? JobEvent;

    public bool IsRunning(string jobName) => Running;

    public Task<BackupJobResult> RunAsync(string jobName, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        lock (Runs)
        {
            Runs.Add(now);
        }

        var result = new BackupJobResult { JobName = jobName, Outcome = BackupJobOutcome.Succeeded, StartTime = now, Duration = TimeSpan.Zero };
        JobEvent?.Invoke(this, new BackupJobEvent { JobName = jobName, Kind = BackupJobEventKind.Completed, Time = now, Result = result });
        return Task.FromResult(result);
    }
}
