namespace Backup.Extensions.DependencyInjection;

/// <summary>What an alert reports (the <c>On</c> list of <see cref="BackupAlertOptions"/> chooses which alert).</summary>
public enum BackupAlertOutcome
{
    /// <summary>A complete snapshot was written and every step passed.</summary>
    Succeeded = 0,

    /// <summary>A snapshot was written but some entries could not be read.</summary>
    Partial = 1,

    /// <summary>A complete snapshot was written, but a copy to a secondary repository or the verification failed.</summary>
    Degraded = 2,

    /// <summary>No snapshot was written, or a step failed the run.</summary>
    Failed = 3,

    /// <summary>The job succeeded after its previous run (since start-up) was Failed, Partial or Degraded.</summary>
    Recovered = 4,
}
