using Microsoft.Extensions.Logging;

namespace Backup.Providers.Tests;

/// <summary>
/// A logger that cancels <see cref="Token"/> when the event named <paramref name="eventName"/> is logged: a Ctrl+C
/// at a known step (the restorers log "Restored" once the target is complete, before verifying it).
/// </summary>
internal sealed class CancelOnLog<T>(string eventName) : ILogger<T>, IDisposable
{
    private readonly CancellationTokenSource _cancellation = new();

    public CancellationToken Token => _cancellation.Token;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (eventId.Name == eventName)
        {
            _cancellation.Cancel();
        }
    }

    public void Dispose() => _cancellation.Dispose();
}
