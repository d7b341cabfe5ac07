namespace Backup.Tests.Support;

/// <summary>
/// A clock whose wall time can be stepped back, as NTP or an operator does, over a fake one
/// (<see cref="Microsoft.Extensions.Time.Testing.FakeTimeProvider"/> itself never goes back); its timers and timestamps
/// run on, as a real machine's monotonic clock does.
/// </summary>
internal sealed class SteppableTimeProvider(TimeProvider inner) : TimeProvider
{
    private long _backTicks;

    /// <summary>Sets the wall time back by <paramref name="by"/> (a negative span sets it forward).</summary>
    public void StepBack(TimeSpan by) => Interlocked.Add(ref _backTicks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow() - TimeSpan.FromTicks(Interlocked.Read(ref _backTicks));

    public override long GetTimestamp() => inner.GetTimestamp();

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        inner.CreateTimer(callback, state, dueTime, period);
}
