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

    [Fact]
    public async Task Bandwidth_limits_wrap_a_factory_target_inside_the_retry_layer_and_are_disposed_with_it()
    {
        var target = new DisposableTarget();
        var provider = TestSupport.Build(configure: b => b.AddRepository("limited", r =>
        {
            r.TargetFactory = _ => target;
            r.CreateIfMissing = true;
            r.KeySource = _ => TestSupport.FastKey();
            r.LimitUpload = "10M";
        }));

        var repository = await provider.GetRequiredService<IBackupRepositoryProvider>().GetAsync("limited");
        repository.Blobs.Target.Should().BeOfType<RetryingTarget>("the limit is inside the retry layer, so a retried request is charged again");
        var limited = repository.Blobs.Target.GetCapability<BandwidthLimitedTarget>();
        limited.Should().NotBeNull();
        limited!.Upload!.Slice.Should().Be(64 * 1024);
        limited.Download.Should().BeNull("LimitDownload is not set");

        await provider.DisposeAsync();
        target.Disposals.Should().Be(1);
    }

    [Fact]
    public async Task Bandwidth_limits_reach_a_target_made_from_the_location()
    {
        var directory = Directory.CreateTempSubdirectory("di-bandwidth-");
        try
        {
            await using var provider = TestSupport.Build(configure: b => b.AddRepository("local", r =>
            {
                r.Path = directory.FullName;
                r.CreateIfMissing = true;
                r.KeySource = _ => TestSupport.FastKey();
                r.LimitDownload = "512K";
            }));

            var repository = await provider.GetRequiredService<IBackupRepositoryProvider>().GetAsync("local");
            var limited = repository.Blobs.Target.GetCapability<BandwidthLimitedTarget>();
            limited.Should().NotBeNull();
            limited!.Download!.Slice.Should().Be(512 * 1024 / 10, "a tenth of a second's worth below 640 KiB/s");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
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
