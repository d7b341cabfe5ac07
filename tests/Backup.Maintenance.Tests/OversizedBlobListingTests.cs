using Backup.Core;
using Backup.Core.Maintenance;
using Backup.Core.Repository;
using Backup.Core.Repository.Blobs;
using Backup.Core.Storage;
using Backup.Core.Verification;
using static Backup.Maintenance.Tests.TestRepository;

namespace Backup.Maintenance.Tests;

/// <summary>
/// A client that may only add objects adds a pack, and an index listing it, whose one entry claims a blob that
/// decodes to more than any blob may (256 MiB), or takes more stored than any blob can. That is a damaged index and
/// an unreadable pack, to be reported and repaired like any other; it must not make open, check or repair index fail
/// outright, leaving the owner no way back but deleting objects by hand.
/// </summary>
public class OversizedBlobListingTests
{
    [Theory]
    [InlineData(100u, 0x1000_0000u)] // decodes to 256 MiB
    [InlineData(0x2000_0000u, 100u)] // claims 512 MiB stored: more than any blob takes, whatever the pack's size
    public async Task A_listing_of_a_blob_larger_than_any_blob_is_reported_and_repaired_not_fatal(uint storedLength, uint rawLength)
    {
        var (target, _, _, first, second) = await CreateTwoSnapshotsAsync();
        BlobId pack;
        string indexKey;
        await using (var attacker = await BackupRepository.OpenAsync(target, Credentials))
        {
            var entries = new List<PackHeaderEntry> { new(BlobId.Sha256("forged"u8), BlobType.Data, 0, storedLength, rawLength) };
            var bytes = new byte[100].Concat(PackFormat.EncodeHeaderAndTrailer(entries, attacker.Blobs.Chain)).ToArray();
            pack = BlobId.Sha256(bytes);
            await target.PutAsync(RepositoryLayout.PackKey(pack), bytes);
            var index = new IndexFile();
            index.Packs[pack] = entries;
            var stored = index.Encode(attacker.Blobs.Chain);
            indexKey = RepositoryLayout.IndexKey(BlobId.Sha256(stored));
            await target.PutAsync(indexKey, stored);
        }

        var open = () => BackupRepository.OpenAsync(target, Credentials);
        var refused = (await open.Should().ThrowAsync<RepositoryCorruptException>()).Which;
        refused.ObjectKey.Should().Be(indexKey);
        refused.Remedy.Should().Be(RepositoryRemedy.RepairIndex);

        await using (var repository = await BackupRepository.OpenWithoutIndexAsync(target, Credentials))
        {
            var check = await new VerificationService(repository).CheckAsync(new CheckOptions());
            check.Problems.Should().Contain(p => p.Kind == CheckProblemKind.IndexDamaged && p.Object == indexKey);

            await new MaintenanceService(repository).RepairIndexAsync();
        }

        await AssertRestoresAsync(target, new Dictionary<string, Dictionary<string, byte[]>> { ["first"] = first, ["second"] = second });
    }
}
