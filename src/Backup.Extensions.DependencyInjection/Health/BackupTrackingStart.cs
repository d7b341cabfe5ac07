namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// When this process began tracking the jobs. Job state, the last verification among it, lives in memory, so after a
/// restart the health check measures <see cref="BackupJobOptions.VerificationMaxAge"/> from here until this process
/// verifies: a verification it cannot know about is not a missing one. A host fixes the time when it starts.
/// </summary>
internal sealed class BackupTrackingStart(TimeProvider time)
{
    /// <summary>The time this was created.</summary>
    public DateTimeOffset Time { get; } = time.GetUtcNow();
}
