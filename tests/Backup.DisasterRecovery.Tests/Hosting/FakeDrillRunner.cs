using System.Collections.Concurrent;

namespace Backup.DisasterRecovery.Tests.Hosting;

/// <summary>
/// A drill runner that runs nothing: it returns the result it is told to, at the fake clock's time, and records each
/// call; <paramref name="whileRunning"/>, when given, happens during each drill (the clock stepped, say).
/// </summary>
internal sealed class FakeDrillRunner(TimeProvider time, TimeSpan rto, bool succeed = true, Action? whileRunning = null) : IRecoveryDrillRunner, IDisposable
{
    private readonly ConcurrentQueue<string> _calls = new();
    private readonly SemaphoreSlim _called = new(0);

    public IReadOnlyCollection<string> Calls => _calls;

    public Task<RecoveryDrillResult> RunAsync(RecoveryPlan plan, string system, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var target = plan.Systems[system];
        _calls.Enqueue(system);
        var result = Reports.ReportFixture.Drill(system, now, rto, TimeSpan.FromMinutes(20), target, failedStep: succeed ? null : "Switch DNS");
        whileRunning?.Invoke();
        _called.Release();
        return Task.FromResult(result);
    }

    public void Dispose() => _called.Dispose();

    /// <summary>Waits for the next call (a real-time bound, so a broken scheduler fails the test instead of hanging it).</summary>
    public async Task WaitForCallAsync()
    {
        (await _called.WaitAsync(TimeSpan.FromSeconds(30))).Should().BeTrue("the scheduler should have started a drill");
    }
}
