using Azure.Core;
using Azure.Core.Pipeline;

namespace Backup.Providers.Azure;

/// <summary>
/// The storage client's retry policy (the same tries and delays), except that a refused connection is not retried: the
/// SDK's six tries over 25 seconds, under each of <c>RetryingTarget</c>'s five, made a repository whose server is
/// down take two minutes to say so. A refused connection fails at once, and the retry layer above, if any, tries it
/// again with its own backoff (a server being restarted is back within it). Throttling, server errors and dropped
/// connections are retried as before.
/// </summary>
internal sealed class AzureRetryPolicy(RetryOptions retry) : RetryPolicy(
    retry.MaxRetries,
    retry.Mode == RetryMode.Fixed ? DelayStrategy.CreateFixedDelayStrategy(retry.Delay) : DelayStrategy.CreateExponentialDelayStrategy(retry.Delay, retry.MaxDelay))
{
    protected override bool ShouldRetry(HttpMessage message, Exception? exception) =>
        !RefusedConnection.IsRefused(exception) && base.ShouldRetry(message, exception);

    protected override ValueTask<bool> ShouldRetryAsync(HttpMessage message, Exception? exception) =>
        RefusedConnection.IsRefused(exception) ? ValueTask.FromResult(false) : base.ShouldRetryAsync(message, exception);
}
