namespace Backup.Core.Storage;

/// <summary>How <see cref="RetryingTarget"/> retries transient failures: exponential backoff with full jitter.</summary>
public sealed record RetryOptions
{
    /// <summary>Attempts in all, the first included. At least 1.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>The delay before the first retry; each further retry doubles it, up to <see cref="MaxDelay"/>.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest delay between two attempts.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public void Validate()
    {
        if (MaxAttempts < 1)
        {
            throw new ArgumentException($"{nameof(MaxAttempts)} must be at least 1 (was {MaxAttempts}).");
        }

        if (BaseDelay < TimeSpan.Zero || MaxDelay < BaseDelay)
        {
            throw new ArgumentException($"{nameof(BaseDelay)} must be non-negative and no larger than {nameof(MaxDelay)}.");
        }
    }
}
