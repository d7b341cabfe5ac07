using Backup.Tests.Support;
using Backup.Core.Maintenance;
using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core.Verification;
using Backup.Testing.Attacks;
using static Backup.Maintenance.Tests.TestRepository;
using Backup.Core;
using Backup.Core.Repository.Blobs;

namespace Backup.Maintenance.Tests;

/// <summary>
/// Issue 16, "prune trusts indexes over packs": a client that may only add objects adds a shadow pack (sorting first)
/// and an index pointing every blob at it. Check must report it, prune must not delete a real pack, and after the
/// repair prune suggests, every snapshot restores exactly.
/// </summary>
public class IndexTrustTests
{
    private static readonly PruneOptions Prune = new() { RepackThreshold = 0 };

    private static async Task<CheckResult> CheckAsync(IBackupTarget target, bool readData = false)
    {
        await using var repository = await BackupRepository.OpenWithoutIndexAsync(target, Credentials);
        return await new VerificationService(repository).CheckAsync(new CheckOptions { ReadData = readData });
    }

    [Theory]
    [InlineData(1)]
    [InlineData(200)]
    public async Task A_shadow_pack_with_junk_under_real_ids_is_reported_by_check_and_prune_deletes_no_real_pack(int junkLength)
    {
        var (target, _, _, first, second) = await CreateTwoSnapshotsAsync();
        var realPacks = await KeysAsync(target, RepositoryLayout.DataPrefix);
        BlobId shadow;
        await using (var attacker = await BackupRepository.OpenAsync(target, Credentials))
        {
            shadow = await AppendOnlyAttacker.AddShadowPackAsync(attacker, junkLength);
        }

        var check = await CheckAsync(target);
        check.IsSuccess.Should().BeFalse("the index points every data blob at junk");
        check.Problems.Should().Contain(p => p.Kind == CheckProblemKind.BlobDamaged && p.Object == RepositoryLayout.PackKey(shadow));

        await using var repository = await BackupRepository.OpenWithoutIndexAsync(target, Credentials);
        var prune = () => new MaintenanceService(repository).PruneAsync(Prune);
        (await prune.Should().ThrowAsync<RepositoryCorruptException>()).Which.Message
            .Should().Contain(shadow.ToShortString()).And.Contain("repair index");
        (await KeysAsync(target, RepositoryLayout.DataPrefix)).Should().Contain(realPacks, "prune refused before deleting anything");

        // What the report says to run next: repair index drops the unreadable copies; then prune and restore.
        var repair = await new MaintenanceService(repository).RepairIndexAsync();
        repair.PacksRemoved.Should().Be(1, "only the shadow pack is rewritten without its junk");
        (await KeysAsync(target, RepositoryLayout.DataPrefix)).Should().Contain(realPacks).And.NotContain(RepositoryLayout.PackKey(shadow));
        await new MaintenanceService(repository).PruneAsync(Prune);
        (await CheckAsync(target, readData: true)).Problems.Should().BeEmpty();
        await AssertRestoresAsync(target, new Dictionary<string, Dictionary<string, byte[]>> { ["first"] = first, ["second"] = second });
    }

    [Fact]
    public async Task An_index_that_lists_real_packs_as_empty_does_not_get_them_deleted()
    {
        var (target, _, _, first, second) = await CreateTwoSnapshotsAsync();
        var realPacks = await KeysAsync(target, RepositoryLayout.DataPrefix);
        await using (var attacker = await BackupRepository.OpenAsync(target, Credentials))
        {
            await AppendOnlyAttacker.AddShadowPackAsync(attacker, junkLength: 200, relistRealPacksAsEmpty: true);
        }

        (await CheckAsync(target)).Problems.Should().Contain(p => p.Kind == CheckProblemKind.PackHeaderMismatch);

        // No blob looks duplicated (the real packs are listed as empty): only their own headers show what they hold.
        await using var repository = await BackupRepository.OpenWithoutIndexAsync(target, Credentials);
        var prune = () => new MaintenanceService(repository).PruneAsync(Prune);
        (await prune.Should().ThrowAsync<RepositoryCorruptException>()).Which.Message.Should().Contain("header");
        (await KeysAsync(target, RepositoryLayout.DataPrefix)).Should().Contain(realPacks);

        await new MaintenanceService(repository).RepairIndexAsync();
        await new MaintenanceService(repository).PruneAsync(Prune);
        (await CheckAsync(target, readData: true)).Problems.Should().BeEmpty();
        await AssertRestoresAsync(target, new Dictionary<string, Dictionary<string, byte[]>> { ["first"] = first, ["second"] = second });
    }

    [Fact]
    public async Task Repair_with_read_data_decodes_blobs_of_a_pack_that_matches_its_name()
    {
        var (target, _, _, first, second) = await CreateTwoSnapshotsAsync();
        BlobId shadow;
        await using (var attacker = await BackupRepository.OpenAsync(target, Credentials))
        {
            shadow = await AppendOnlyAttacker.AddShadowPackAsync(attacker, junkLength: 200);
        }

        (await CheckAsync(target, readData: true)).Problems.Should().Contain(p => p.Kind == CheckProblemKind.BlobDamaged && p.Object == RepositoryLayout.PackKey(shadow));
        await using var repository = await BackupRepository.OpenWithoutIndexAsync(target, Credentials);
        await new MaintenanceService(repository).RepairIndexAsync(new RepairIndexOptions { ReadData = true });

        (await KeysAsync(target, RepositoryLayout.DataPrefix)).Should().NotContain(RepositoryLayout.PackKey(shadow));
        (await CheckAsync(target, readData: true)).Problems.Should().BeEmpty();
        await AssertRestoresAsync(target, new Dictionary<string, Dictionary<string, byte[]>> { ["first"] = first, ["second"] = second });
    }

    [Fact]
    public async Task Duplicates_whose_kept_copy_decodes_are_pruned_as_before()
    {
        // A blob stored twice with both copies intact (two backups storing the same new chunk): prune still runs.
        var (target, firstSnapshot, _, _, second) = await CreateTwoSnapshotsAsync();
        await using (var other = await BackupRepository.OpenAsync(target, Credentials))
        {
            await using var writer = new PackDuplicator(other);
            await writer.CopyEveryBlobAsync();
        }

        await using var repository = await BackupRepository.OpenAsync(target, Credentials);
        await repository.Snapshots.DeleteAsync(firstSnapshot.Id);
        var result = await new MaintenanceService(repository).PruneAsync(Prune);

        result.PacksRemoved.Should().BeGreaterThan(0, "every blob's second copy is unused");
        (await CheckAsync(target, readData: true)).Problems.Should().BeEmpty();
        await AssertRestoresAsync(target, new Dictionary<string, Dictionary<string, byte[]>> { ["second"] = second });
    }
}

/// <summary>Copies every stored blob verbatim into one extra, unindexed-then-indexed pack (an honest duplicate).</summary>
internal sealed class PackDuplicator(BackupRepository repository) : IAsyncDisposable
{
    public async Task CopyEveryBlobAsync()
    {
        using var rewriter = new PackRewriter(repository);
        foreach (var (id, location) in repository.Blobs.Index.ToList())
        {
            var stored = await repository.Blobs.Target.ReadRangeArrayAsync(RepositoryLayout.PackKey(location.Pack), location.Offset, (int)location.Length);
            await rewriter.AddAsync(id, location.Type, stored, location.RawLength, CancellationToken.None);
        }

        await rewriter.FlushAsync(CancellationToken.None);
        var index = new IndexFile();
        foreach (var (pack, entries, _) in rewriter.Written)
        {
            index.Packs[pack] = entries;
        }

        var stored2 = index.Encode(repository.Blobs.Chain);
        await repository.Blobs.Target.PutAsync(RepositoryLayout.IndexKey(BlobId.Sha256(stored2)), stored2);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
