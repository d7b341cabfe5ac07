using System.Runtime.CompilerServices;
using Backup.Core;
using Backup.Core.Maintenance;
using Backup.Core.Repository;
using Backup.Core.Storage;
using static Backup.Maintenance.Tests.TestRepository;

namespace Backup.Maintenance.Tests;

/// <summary>
/// Prune and repair decide from listings. Storage that answers a listing with keys from elsewhere (a hostile server,
/// one in the middle of plain http, or one that ignores the prefix) must not get them deleted; keys nothing can address,
/// planted by a client that may only append, must not stop maintenance.
/// </summary>
public class HostileListingTests
{
    private static readonly PruneOptions RemoveAllUnused = new() { RepackThreshold = 0 };

    [Fact]
    public async Task A_listing_that_names_a_pack_among_the_index_objects_is_refused_and_nothing_is_deleted()
    {
        var (target, _, _, first, second) = await CreateTwoSnapshotsAsync();
        var packs = await KeysAsync(target, RepositoryLayout.DataPrefix);
        var hostile = new ListingTarget(target, RepositoryLayout.IndexPrefix, packs[0]);
        var before = await KeysAsync(target);

        await using (var repository = await BackupRepository.OpenWithoutIndexAsync(hostile, Credentials))
        {
            var prune = () => new MaintenanceService(repository).PruneAsync(RemoveAllUnused);
            (await prune.Should().ThrowAsync<BackupTargetException>()).Which.Message.Should().Contain("cannot be trusted").And.Contain(packs[0]);
            var repair = () => new MaintenanceService(repository).RepairIndexAsync();
            await repair.Should().ThrowAsync<BackupTargetException>();
        }

        (await KeysAsync(target)).Should().Equal(before, "nothing may be decided, least of all deleted, from a listing storage got wrong");
        await AssertRestoresAsync(target, new Dictionary<string, Dictionary<string, byte[]>> { ["first"] = first, ["second"] = second });
    }

    [Theory]
    [InlineData("snapshots/../x")]
    [InlineData("index/sub/../0000")]
    [InlineData("snapshots/a\\b")]
    public async Task A_key_nothing_can_address_is_passed_over_and_maintenance_goes_on(string planted)
    {
        var (target, firstSnapshot, _, _, second) = await CreateTwoSnapshotsAsync();
        var prefix = planted[..(planted.IndexOf('/') + 1)];
        var hostile = new ListingTarget(target, prefix, planted);

        await using var repository = await BackupRepository.OpenAsync(hostile, Credentials);
        await repository.Snapshots.DeleteAsync(firstSnapshot.Id);
        var maintenance = new MaintenanceService(repository);
        (await maintenance.RepairSnapshotsAsync(dryRun: false)).SnapshotsRemoved.Should().Be(0);
        (await maintenance.RepairIndexAsync()).IndexesReplaced.Should().Be(0);
        (await maintenance.PruneAsync(RemoveAllUnused)).BlobsRemoved.Should().BeGreaterThan(0);

        await AssertRestoresAsync(target, new Dictionary<string, Dictionary<string, byte[]>> { ["second"] = second });
    }

    /// <summary>Adds <paramref name="extra"/> to every listing of <paramref name="prefix"/>, as a server that got the listing wrong would.</summary>
    private sealed class ListingTarget(IBackupTarget inner, string prefix, string extra) : DelegatingTarget(inner)
    {
        public override async IAsyncEnumerable<BackupObjectInfo> ListAsync(string asked, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await foreach (var info in Inner.ListAsync(asked, cancellationToken).ConfigureAwait(false))
            {
                yield return info;
            }

            if (asked == prefix)
            {
                yield return new BackupObjectInfo { Key = extra, Length = 100, LastModified = DateTimeOffset.UtcNow.AddDays(-30) };
            }
        }
    }
}
