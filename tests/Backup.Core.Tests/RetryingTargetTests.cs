using Backup.Core.Storage;
using Backup.Core.Tests.Support;

namespace Backup.Core.Tests;

public class RetryingTargetTests
{
    private static readonly RetryOptions NoDelay = new() { MaxAttempts = 4, BaseDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero };

    [Fact]
    public async Task Transient_failures_are_retried_until_the_call_succeeds()
    {
        var faults = new FaultInjectingTarget(new InMemoryTarget())
            .FailCall(TargetOperation.Put, 1).FailCall(TargetOperation.Put, 2)
            .FailCall(TargetOperation.Get, 1).FailCall(TargetOperation.List, 1).FailCall(TargetOperation.Stat, 1).FailCall(TargetOperation.Delete, 1);
        var target = new RetryingTarget(faults, NoDelay);

        await target.PutAsync("a", new byte[] { 1 });
        (await target.ReadAllAsync("a", Array.MaxLength)).Should().Equal(1);
        (await TestRepository.ListAsync(target, "")).Should().ContainSingle();
        (await target.StatAsync("a")).Should().NotBeNull();
        await target.DeleteAsync("a");
        faults.CountOf(TargetOperation.Put).Should().Be(3);
        faults.CountOf(TargetOperation.Get).Should().Be(2);
        faults.CountOf(TargetOperation.List).Should().Be(2);
    }

    [Fact]
    public async Task The_retention_lock_confirmation_goes_through_the_retry_and_counting_layers()
    {
        var locking = new FlakyRetentionLockingTarget(new InMemoryTarget(), failures: 2);
        var counting = new CountingTarget(locking);
        var target = new RetryingTarget(counting, NoDelay);

        var capability = target.GetCapability<IRetentionLockingTarget>();
        capability.Should().NotBeNull();
        capability!.RetentionLock.Should().Be(locking.RetentionLock);
        await capability.ConfirmRetentionLockAsync();

        locking.Confirmations.Should().Be(3, "two transient failures, then the confirmation");
        counting.Stats.Should().Be(3, "each attempt is a request on a billed store, counted as a stat");
    }

    [Fact]
    public async Task A_retention_extension_goes_through_the_retry_and_counting_layers()
    {
        var locking = new FlakyRetentionLockingTarget(new InMemoryTarget(), failures: 2);
        var counting = new CountingTarget(locking);
        var target = new RetryingTarget(counting, NoDelay);
        var until = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);

        var extended = await target.GetCapability<IRetentionLockingTarget>()!.ExtendRetentionAsync("data/ab/pack", until);

        extended.Should().Be(new RetentionExtension { Extended = true, RetainUntil = until });
        locking.Extensions.Should().Be(3, "two transient failures, then the extension");
        counting.RetentionExtensions.Should().Be(3, "each attempt is a request on a billed store");
        counting.Total.Should().Be(3);
        counting.ToString().Should().Contain("retention 3");
    }

    [Fact]
    public async Task A_clients_own_timeout_is_retried_and_never_passed_on_as_a_cancellation()
    {
        // An HTTP client's timeout surfaces as a TaskCanceledException nobody asked for.
        var timingOut = new TimingOutTarget(new InMemoryTarget(), failures: 2);
        var target = new RetryingTarget(timingOut, NoDelay);
        await target.PutAsync("a", new byte[] { 1 });
        (await target.ReadAllAsync("a", Array.MaxLength)).Should().Equal(1);
        timingOut.Calls.Should().Be(4, "two timeouts, then the put and the read");

        var always = new RetryingTarget(new TimingOutTarget(new InMemoryTarget(), failures: int.MaxValue), NoDelay);
        var put = () => always.PutAsync("a", new byte[] { 1 });
        (await put.Should().ThrowAsync<BackupTargetException>()).Which.Message.Should().Contain("did not answer in time");
        var list = async () => await always.ListAsync("").ToListAsync();
        await list.Should().ThrowAsync<BackupTargetException>();

        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var stopped = () => new RetryingTarget(new TimingOutTarget(new InMemoryTarget(), failures: 0), NoDelay).PutAsync("a", new byte[] { 1 }, cancelled.Token);
        await stopped.Should().ThrowAsync<OperationCanceledException>("the caller's own cancellation stays one");
    }

    private sealed class TimingOutTarget(IBackupTarget inner, int failures) : DelegatingTarget(inner)
    {
        public int Calls;

        public override Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return Interlocked.Increment(ref Calls) <= failures
                ? Task.FromException(new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout of 100 seconds elapsing."))
                : base.PutAsync(key, content, cancellationToken);
        }

        public override async IAsyncEnumerable<BackupObjectInfo> ListAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref Calls) <= failures)
            {
                throw new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout of 100 seconds elapsing.");
            }

            await foreach (var info in base.ListAsync(prefix, cancellationToken))
            {
                yield return info;
            }
        }

        public override ValueTask<int> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Calls);
            return base.ReadAsync(key, offset, destination, cancellationToken);
        }
    }

    [Fact]
    public async Task Permanent_failures_are_not_retried()
    {
        var faults = new FaultInjectingTarget(new InMemoryTarget()).FailCall(TargetOperation.Put, 1, transient: false);
        var act = () => new RetryingTarget(faults, NoDelay).PutAsync("a", new byte[] { 1 });
        await act.Should().ThrowAsync<BackupTargetException>();
        faults.CountOf(TargetOperation.Put).Should().Be(1);
    }

    [Fact]
    public async Task Missing_objects_are_not_retried()
    {
        var faults = new FaultInjectingTarget(new InMemoryTarget());
        var act = () => new RetryingTarget(faults, NoDelay).ReadAllAsync("missing", Array.MaxLength);
        await act.Should().ThrowAsync<BackupObjectNotFoundException>();
        faults.CountOf(TargetOperation.Get).Should().Be(1);
    }

    [Fact]
    public async Task Retrying_stops_after_the_configured_number_of_attempts()
    {
        var faults = new FaultInjectingTarget(new InMemoryTarget());
        for (var i = 1; i <= 10; i++)
        {
            faults.FailCall(TargetOperation.Get, i);
        }

        var act = () => new RetryingTarget(faults, NoDelay).ReadAllAsync("a", Array.MaxLength);
        await act.Should().ThrowAsync<BackupTargetException>();
        faults.CountOf(TargetOperation.Get).Should().Be(NoDelay.MaxAttempts);
    }

    [Fact]
    public void Transient_classification_follows_the_exception()
    {
        RetryingTarget.IsTransient(new TimeoutException()).Should().BeTrue();
        RetryingTarget.IsTransient(new BackupTargetException("x") { IsTransient = true }).Should().BeTrue();
        RetryingTarget.IsTransient(new BackupTargetException("x")).Should().BeFalse();
        RetryingTarget.IsTransient(new BackupObjectNotFoundException("k", "t")).Should().BeFalse();
        RetryingTarget.IsTransient(new InvalidOperationException("x", new TimeoutException())).Should().BeTrue();
        RetryingTarget.IsTransient(new ArgumentException("x")).Should().BeFalse();
    }

    /// <summary>A retention-locking target whose confirmation fails transiently a few times: a fault no local server can be made to cause.</summary>
    private sealed class FlakyRetentionLockingTarget(IBackupTarget inner, int failures) : DelegatingTarget(inner), IRetentionLockingTarget
    {
        private int _confirmations;

        public int Confirmations => Volatile.Read(ref _confirmations);

        public RetentionLock? RetentionLock { get; } = new() { Period = TimeSpan.FromDays(30), Mode = "governance" };

        private int _extensions;

        public int Extensions => Volatile.Read(ref _extensions);

        public Task ConfirmRetentionLockAsync(CancellationToken cancellationToken = default) =>
            Interlocked.Increment(ref _confirmations) <= failures
                ? Task.FromException(new BackupTargetException("the storage did not answer") { IsTransient = true })
                : Task.CompletedTask;

        public Task<RetentionExtension> ExtendRetentionAsync(string key, DateTimeOffset retainUntil, CancellationToken cancellationToken = default) =>
            Interlocked.Increment(ref _extensions) <= failures
                ? Task.FromException<RetentionExtension>(new BackupTargetException("the storage did not answer") { IsTransient = true })
                : Task.FromResult(new RetentionExtension { Extended = true, RetainUntil = retainUntil });
    }
}
