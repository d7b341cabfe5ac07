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

    /// <summary>
    /// A client that may add index entries chooses their IDs: ones that agree in their first eight bytes, or whose
    /// 64-bit words each fold to the same 32 bits, must still spread over the hash table (else every lookup walks one
    /// chain and loading such an index takes quadratic time).
    /// </summary>
    [Theory]
    [InlineData("same first word")]
    [InlineData("words that fold alike")]
    public void Ids_chosen_to_collide_still_spread_over_the_hash_table(string shape)
    {
        const int count = 4096;
        var ids = new List<BlobId>(count);
        Span<byte> bytes = stackalloc byte[32];
        for (var i = 0; i < count; i++)
        {
            bytes.Clear();
            if (shape == "same first word")
            {
                bytes[..8].Fill(0xAB);
                System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes[28..], i);
            }
            else
            {
                // Each word is x << 32 | x: its two halves XOR to zero, whatever x is.
                for (var word = 0; word < 4; word++)
                {
                    System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes[(word * 8)..], i + word);
                    System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes[(word * 8 + 4)..], i + word);
                }
            }

            ids.Add(new BlobId(bytes));
        }

        // 4,096 random hashes fill about 63% of 4,096 slots; a hash that ignores what the IDs vary in fills one.
        ids.Select(id => id.GetHashCode() & (count - 1)).Distinct().Count().Should().BeGreaterThan(count / 2);

        var index = new ChunkIndex();
        var pack = BlobId.Sha256("pack"u8);
        for (var i = 0; i < count; i++)
        {
            index.TryAdd(ids[i], new BlobLocation(pack, BlobType.Data, (uint)i, 1, 1)).Should().BeTrue();
        }

        // Linear probing at three-quarters load keeps the longest run in the tens; IDs piled onto one slot make it 4,096.
        index.LongestProbeRun.Should().BeLessThan(count / 8);
        for (var i = 0; i < count; i++)
        {
            index.TryGet(ids[i], out var location).Should().BeTrue();
            location.Offset.Should().Be((uint)i);
        }
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
