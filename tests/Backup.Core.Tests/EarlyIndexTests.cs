using Backup.Core.Repository;
using Backup.Core.Repository.Blobs;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;
using Backup.Testing;

namespace Backup.Core.Tests;

/// <summary>
/// A writer indexes what it has uploaded each time an index object's worth of blobs is reached, so a huge first
/// backup holds no per-blob state beyond the repository's index, and a run that dies leaves its earlier packs indexed.
/// </summary>
public class EarlyIndexTests
{
    private const int PackSize = 4 * 1024 * 1024;
    private const int BlobSize = 200 * 1024; // incompressible: about 20 blobs fill a pack
    private const int FlushAfter = 30;

    private static List<byte[]> Blobs(int count) => [.. Enumerable.Range(0, count).Select(i => TestRepository.RandomBytes(BlobSize, seed: 700 + i))];

    [Fact]
    public async Task A_long_run_writes_index_objects_as_it_goes_and_every_blob_is_indexed_exactly_once()
    {
        var target = new InMemoryTarget();
        var credentials = TestRepository.NewKeyFile();
        await using var repository = await TestRepository.InitAsync(target, credentials, TestRepository.SmallOptions("none", PackSize));
        var indexBefore = (await TestRepository.ListAsync(target, RepositoryLayout.IndexPrefix)).Count;
        var blobs = Blobs(100);
        var ids = new List<BlobId>();

        await using (var writer = new RepositoryWriter(repository.Blobs, 1, indexFlushBlobs: FlushAfter))
        {
            foreach (var blob in blobs)
            {
                ids.Add(await writer.AddBlobAsync(blob, BlobType.Data));
            }

            await writer.CompleteAsync();
            writer.BlobsInFlight.Should().Be(0, "a blob's claim is released once the index holds it");
        }

        var indexObjects = (await TestRepository.ListAsync(target, RepositoryLayout.IndexPrefix)).Count - indexBefore;
        indexObjects.Should().BeGreaterThan(1, "100 blobs with a flush every 30 are indexed in several objects");

        await using var reopened = await BackupRepository.OpenAsync(target, credentials);
        reopened.Blobs.UnindexedPacks.Should().BeEmpty();
        reopened.Blobs.Index.Count.Should().Be(repository.Blobs.Index.Count, "no blob was indexed twice or left out");
        for (var i = 0; i < blobs.Count; i++)
        {
            (await reopened.Blobs.ReadBlobAsync(ids[i])).Should().Equal(blobs[i]);
        }
    }

    [Fact]
    public async Task A_run_that_dies_leaves_the_packs_it_indexed_early_in_the_index()
    {
        var inner = new InMemoryTarget();
        var credentials = TestRepository.NewKeyFile();
        await (await TestRepository.InitAsync(inner, credentials, TestRepository.SmallOptions("none", PackSize))).DisposeAsync();
        var blobs = Blobs(100);
        var ids = new List<BlobId>();
        // Two packs, the early index of their 40 blobs, a third pack; then storage goes away.
        var faulty = new FaultInjectingTarget(inner).DieAfterPuts(4);

        await using (var dying = await BackupRepository.OpenAsync(faulty, credentials))
        await using (var writer = new RepositoryWriter(dying.Blobs, 1, indexFlushBlobs: FlushAfter))
        {
            var act = async () =>
            {
                foreach (var blob in blobs)
                {
                    ids.Add(await writer.AddBlobAsync(blob, BlobType.Data));
                }

                await writer.CompleteAsync();
            };
            await act.Should().ThrowAsync<Exception>();
        }

        faulty.IsDead.Should().BeTrue();
        await using var reopened = await BackupRepository.OpenAsync(inner, credentials);
        var indexed = ids.Count(reopened.Blobs.Index.Contains);
        indexed.Should().BeGreaterThanOrEqualTo(FlushAfter, "the early index object survived the failure");
        reopened.Blobs.UnindexedPacks.Should().ContainSingle("only the pack uploaded after the early index is left for the next writer");
        foreach (var id in ids.Where(reopened.Blobs.Index.Contains))
        {
            (await reopened.Blobs.ReadBlobAsync(id)).Length.Should().Be(BlobSize);
        }
    }
}
