namespace Backup.DisasterRecovery;

/// <summary>
/// Polls a health URL with GET until it answers with an expected status, and fails when the step's timeout passes
/// first. A drill polls <see cref="DrillUrl"/> and skips the step when there is none.
/// </summary>
public sealed class WaitStep
{
    /// <summary>The URL a recovery polls. Required.</summary>
    public Uri? Url { get; set; }

    /// <summary>The URL a drill polls instead.</summary>
    public Uri? DrillUrl { get; set; }

    /// <summary>The statuses that mean healthy (default: 200).</summary>
    public List<int> ExpectStatus { get; } = [];

    /// <summary>The time between two polls (default 2 seconds).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(2);
}
