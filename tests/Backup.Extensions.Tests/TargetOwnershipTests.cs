using Backup.Core.Storage;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;

namespace Backup.Extensions.Tests;

/// <summary>The hosting layer makes each repository's target (from its path or factory), so it disposes it.</summary>
public sealed class TargetOwnershipTests
{
    [Fact]
    public async Task The_target_a_factory_returns_is_disposed_with_the_service_provider_and_not_before()
    {
        var target = new DisposableTarget();
        var provider = TestSupport.Build(configure: b => b.AddRepository("owned", r =>
        {
            r.TargetFactory = _ => target;
            r.CreateIfMissing = true;
            r.KeySource = _ => TestSupport.FastKey();
        }));

        var repository = await provider.GetRequiredService<IBackupRepositoryProvider>().GetAsync("owned");
        repository.Blobs.Target.Should().BeOfType<RetryingTarget>("hosting retries by default");
        target.Disposals.Should().Be(0, "the repository is still open");

        await provider.DisposeAsync();

        target.Disposals.Should().Be(1, "the hosting layer created the target through the factory, so it disposes it once");
    }

    /// <summary>An in-memory target that counts how often it is disposed.</summary>
    private sealed class DisposableTarget : DelegatingTarget
    {
        public DisposableTarget() : base(new InMemoryTarget()) { }

        public int Disposals { get; private set; }

        protected override async ValueTask DisposeAsyncCore()
        {
            Disposals++;
            await base.DisposeAsyncCore();
        }
    }
}
