using Backup.Core.Maintenance;
using Backup.Core.Repository;
using Backup.Core.Storage;
using static Backup.Maintenance.Tests.TestRepository;
using Backup.Core;

namespace Backup.Maintenance.Tests;

/// <summary>
/// Issue 16: a backup whose lock lapsed (a suspended laptop) may still be uploading packs while another host prunes.
/// Prune leaves packs no index lists, and torn ones, alone until they are older than the grace period.
/// </summary>
public class UnindexedGraceTests
{
    /// <summary>Uploads one pack holding one new blob, as a writer does before it writes its index.</summary>
    internal static async Task<string> UploadUnindexedPackAsync(BackupRepository repository, int seed)
    {
        var content = TestRepository.Random(seed, 10_000);
        var id = repository.Blobs.ComputeId(content);
        var aad = new byte[BlobId.Size];
        id.WriteTo(aad);
        using var rewriter = new PackRewriter(repository);
        await rewriter.AddAsync(id, BlobType.Data, repository.Blobs.Chain.Encode(content, aad), (uint)content.Length, CancellationToken.None);
        await rewriter.FlushAsync(CancellationToken.None);
        return RepositoryLayout.PackKey(rewriter.Written[0].Pack);
    }

    /// <summary>Uploads the first part of a pack under its final name, as a torn upload leaves it.</summary>
    internal static async Task<string> UploadTornPackAsync(IBackupTarget target, int seed)
    {
        var bytes = TestRepository.Random(seed, 5_000);
        var key = RepositoryLayout.PackKey(BlobId.Sha256(bytes));
        await target.PutAsync(key, bytes);
        return key;
    }

    [Fact]
    public async Task Prune_keeps_unindexed_and_torn_packs_until_they_are_older_than_the_grace_period()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var target = new InMemoryTarget(clock);
        await using var repository = await BackupRepository.InitAsync(target, Credentials, Options);
        var files = new Dictionary<string, byte[]> { ["a.bin"] = TestRepository.Random(1, 300_000) };
        await BackupAsync(repository, files, "first");
        var unindexed = await UploadUnindexedPackAsync(repository, 7);
        var torn = await UploadTornPackAsync(target, 8);

        clock.Advance(TimeSpan.FromHours(23));
        var early = await new MaintenanceService(repository, clock).PruneAsync(new PruneOptions());

        early.UnindexedPacksKept.Should().Be(2);
        early.PacksRemoved.Should().Be(0);
        (await KeysAsync(target, RepositoryLayout.DataPrefix)).Should().Contain([unindexed, torn], "a writer whose lock lapsed may still be writing them");
        (await KeysAsync(target, RepositoryLayout.IndexPrefix)).Should().HaveCount(1, "nothing else changed, so prune had nothing to do");

        clock.Advance(TimeSpan.FromHours(2));
        var late = await new MaintenanceService(repository, clock).PruneAsync(new PruneOptions());

        late.UnindexedPacksKept.Should().Be(0);
        late.PacksRemoved.Should().Be(2);
        (await KeysAsync(target, RepositoryLayout.DataPrefix)).Should().NotContain(unindexed).And.NotContain(torn);
        await AssertRestoresAsync(target, new Dictionary<string, Dictionary<string, byte[]>> { ["first"] = files });
    }

    [Fact]
    public async Task A_zero_grace_period_removes_them_at_once_and_a_pack_without_a_time_counts_as_new()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var target = new InMemoryTarget(clock);
        await using var repository = await BackupRepository.InitAsync(target, Credentials, Options);
        await BackupAsync(repository, new() { ["a.bin"] = TestRepository.Random(1, 300_000) }, "first");
        var unindexed = await UploadUnindexedPackAsync(repository, 7);

        var result = await new MaintenanceService(repository, clock).PruneAsync(new PruneOptions { UnindexedGracePeriod = TimeSpan.Zero });

        result.PacksRemoved.Should().Be(1);
        (await KeysAsync(target, RepositoryLayout.DataPrefix)).Should().NotContain(unindexed);
        MaintenanceService.IsWithinGracePeriod(new BackupObjectInfo { Key = "data/x", Length = 1, LastModified = DateTimeOffset.MinValue }, clock.GetUtcNow(), TimeSpan.FromHours(1)).Should().BeTrue();
        MaintenanceService.IsWithinGracePeriod(new BackupObjectInfo { Key = "data/x", Length = 1, LastModified = clock.GetUtcNow().AddHours(3) }, clock.GetUtcNow(), TimeSpan.FromHours(1)).Should().BeTrue("a time ahead of this clock is not old");
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(366 * 24 * 3600)]
    public void The_grace_period_is_validated(int seconds)
    {
        var build = () => new PruneOptions { UnindexedGracePeriod = TimeSpan.FromSeconds(seconds) };

        build.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("UnindexedGracePeriod");
        new PruneOptions().UnindexedGracePeriod.Should().Be(TimeSpan.FromDays(1));
    }
}
