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
}
