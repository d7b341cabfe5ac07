using System.Security.Cryptography;
using Backup.Core.Repository;
using Backup.Core.Tests.Support;
using Backup.Core.Repository.Blobs;

namespace Backup.Core.Tests;

[Collection(SerialTests.Name)] // the memory test measures the process heap
public class ChunkIndexTests
{
    private static BlobId RandomId(Random random)
    {
        Span<byte> bytes = stackalloc byte[32];
        random.NextBytes(bytes);
        return new BlobId(bytes);
    }

    [Fact]
    public void Added_blobs_are_found_with_their_location_and_duplicates_are_refused()
    {
        var index = new ChunkIndex();
        var id = BlobId.Sha256("a"u8);
        var pack = BlobId.Sha256("pack"u8);
        var location = new BlobLocation(pack, BlobType.Tree, 123, 456, 789);
        index.TryAdd(id, location).Should().BeTrue();
        index.TryAdd(id, location with { Offset = 1 }).Should().BeFalse();
        index.TryGet(id, out var found).Should().BeTrue();
        found.Should().Be(location);
        index.Contains(BlobId.Sha256("b"u8)).Should().BeFalse();
        index.Count.Should().Be(1);
        index.ContainsPack(pack).Should().BeTrue();
        var tooLarge = () => index.TryAdd(BlobId.Sha256("c"u8), location with { RawLength = 0x1000_0000 });
        tooLarge.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Growth_past_many_thousand_entries_keeps_every_entry_findable()
    {
        var index = new ChunkIndex();
        var random = new Random(71);
        var packs = Enumerable.Range(0, 50).Select(_ => RandomId(random)).ToArray();
        var ids = Enumerable.Range(0, 200_000).Select(_ => RandomId(random)).ToArray();
        for (var i = 0; i < ids.Length; i++)
        {
            index.TryAdd(ids[i], new BlobLocation(packs[i % packs.Length], BlobType.Data, (uint)i, (uint)(i + 1), (uint)(i * 2))).Should().BeTrue();
        }

        index.Count.Should().Be(ids.Length);
        index.PackCount.Should().Be(packs.Length);
        for (var i = 0; i < ids.Length; i += 97)
        {
            index.TryGet(ids[i], out var location).Should().BeTrue();
            location.Should().Be(new BlobLocation(packs[i % packs.Length], BlobType.Data, (uint)i, (uint)(i + 1), (uint)(i * 2)));
        }

        index.ToList().Should().HaveCount(ids.Length);
        index.Contains(RandomId(random)).Should().BeFalse();
    }

    [Fact]
    public void A_million_entries_take_at_most_64_bytes_each()
    {
        const int Count = 1_000_000;
        var random = new Random(72);
        var packs = Enumerable.Range(0, Count / 32).Select(_ => RandomId(random)).ToArray(); // ~32 blobs a pack
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var index = new ChunkIndex();
        for (var i = 0; i < Count; i++)
        {
            index.TryAdd(RandomId(random), new BlobLocation(packs[i / 32], BlobType.Data, 0, 1, 1));
        }

        var measured = GC.GetTotalMemory(forceFullCollection: true) - before;
        index.Count.Should().Be(Count);
        (index.MemoryBytes / (double)Count).Should().BeLessThanOrEqualTo(64);
        (measured / (double)Count).Should().BeLessThanOrEqualTo(64, "the heap really held {0} bytes", measured);
        GC.KeepAlive(index);
    }
}
