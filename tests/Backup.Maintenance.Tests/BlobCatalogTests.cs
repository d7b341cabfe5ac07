using System.Security.Cryptography;
using Backup.Core.Maintenance;
using Backup.Core.Repository;
using Backup.Core.Repository.Blobs;

namespace Backup.Maintenance.Tests;

/// <summary>
/// The catalog holds every listed copy once, each pack's entries as consecutive ordinals, and resolves a blob to one
/// copy by a fixed rule; prune marks and judges packs by those ordinals, so each property is load-bearing.
/// </summary>
public class BlobCatalogTests
{
    private static BlobId Id(int n) => new(SHA256.HashData(BitConverter.GetBytes(n)));

    private static List<PackHeaderEntry> Entries(params int[] blobs) =>
        [.. blobs.Select((b, i) => new PackHeaderEntry(Id(b), b % 3 == 0 ? BlobType.Tree : BlobType.Data, (uint)(i * 100), 100, 90))];

    [Fact]
    public void Each_pack_is_a_run_of_consecutive_ordinals_that_reads_back_as_listed()
    {
        var catalog = new BlobCatalog();
        var a = catalog.Add(Id(1000), Entries(1, 2, 3), "index/a");
        var b = catalog.Add(Id(1001), Entries(4, 5), null);

        var first = (BlobCatalog.PackEntries)a.Entries;
        var second = (BlobCatalog.PackEntries)b.Entries;
        (first.First, first.Count, second.First, second.Count).Should().Be((0, 3, 3, 2));
        a.Entries.Should().Equal(Entries(1, 2, 3));
        b.Entries.Should().Equal(Entries(4, 5));
        catalog.PackAt(4).Should().Be(Id(1001));
        catalog.TryGetOrdinal(Id(5), out var ordinal, out var location).Should().BeTrue();
        (ordinal, location).Should().Be((4, new BlobLocation(Id(1001), BlobType.Data, 100, 100, 90)));
        catalog.Contains(Id(6)).Should().BeFalse();
    }

    [Fact]
    public void A_blob_stored_twice_resolves_to_the_indexed_copy_then_to_the_smaller_pack_whatever_the_order_added()
    {
        var (low, high) = Id(2000) < Id(2001) ? (Id(2000), Id(2001)) : (Id(2001), Id(2000));
        foreach (var order in new[] { false, true })
        {
            var catalog = new BlobCatalog();
            // Unindexed copy in the smallest pack: an indexed listing still wins.
            var unindexedPack = new BlobId(new byte[32]);
            catalog.Add(unindexedPack, Entries(7), null);
            PackListing lowListing, highListing;
            if (order)
            {
                highListing = catalog.Add(high, Entries(8, 7), "index/b");
                lowListing = catalog.Add(low, Entries(7, 9), "index/a");
            }
            else
            {
                lowListing = catalog.Add(low, Entries(7, 9), "index/a");
                highListing = catalog.Add(high, Entries(8, 7), "index/b");
            }

            catalog.TryGetOrdinal(Id(7), out var resolved, out var location).Should().BeTrue();
            location.Pack.Should().Be(low);
            resolved.Should().Be(((BlobCatalog.PackEntries)lowListing.Entries).First);
            catalog.IsResolved(resolved).Should().BeTrue();
            catalog.IsResolved(((BlobCatalog.PackEntries)highListing.Entries).First + 1).Should().BeFalse();
            catalog.IsResolved(0).Should().BeFalse();

            var duplicates = BlobCopies.FindDuplicates(catalog);
            duplicates.Keys.Should().Equal(Id(7));
            duplicates[Id(7)].Select(c => c.Pack).Should().BeEquivalentTo([low, high, unindexedPack]);
            duplicates[Id(7)][0].Pack.Should().Be(low, "the copy that is kept comes first");
        }
    }

    [Fact]
    public void The_same_blob_listed_twice_in_one_pack_resolves_to_its_first_entry()
    {
        var catalog = new BlobCatalog();
        catalog.Add(Id(3000), Entries(1, 2, 1), "index/a");

        catalog.TryGetOrdinal(Id(1), out var ordinal, out var location).Should().BeTrue();
        (ordinal, location.Offset).Should().Be((0, 0u));
        BlobCopies.FindDuplicates(catalog)[Id(1)].Select(c => c.Entry.Offset).Should().Equal(0u, 200u);
    }

    [Fact]
    public void Resolutions_survive_the_table_growing_and_a_blob_costs_under_64_bytes()
    {
        var catalog = new BlobCatalog();
        const int Packs = 200, PerPack = 5000;
        for (var p = 0; p < Packs; p++)
        {
            // Every pack repeats the previous pack's last 10 blobs: duplicates spread over every growth of the table.
            var blobs = Enumerable.Range(p * (PerPack - 10), PerPack).ToArray();
            catalog.Add(Id(-1 - p), Entries(blobs), "index/x");
        }

        catalog.Count.Should().Be(Packs * PerPack);
        for (var blob = 0; blob < (Packs * PerPack) - (10 * (Packs - 1)); blob += 997)
        {
            catalog.TryGet(Id(blob), out var location).Should().BeTrue();
            var holders = Enumerable.Range(0, Packs).Where(p => blob >= p * (PerPack - 10) && blob < (p * (PerPack - 10)) + PerPack).Select(p => Id(-1 - p)).ToList();
            location.Pack.Should().Be(holders.Min());
        }

        ((double)catalog.MemoryBytes / catalog.Count).Should().BeLessThan(64);
    }

    [Fact]
    public void Marks_are_one_bit_per_ordinal()
    {
        var marks = new BlobMarks(130);
        marks.TryMark(129).Should().BeTrue();
        marks.TryMark(129).Should().BeFalse();
        marks.IsMarked(129).Should().BeTrue();
        marks.IsMarked(128).Should().BeFalse();
        marks.MemoryBytes.Should().Be(24);
    }

    /// <summary>
    /// Pack listings come from index objects and pack headers a client with append access can write, IDs included:
    /// IDs that agree in their first eight bytes must not pile onto one slot (loading them would take quadratic time).
    /// </summary>
    [Fact]
    public void Ids_chosen_to_share_their_first_word_still_spread_over_the_hash_table()
    {
        const int count = 4096;
        var ids = new List<BlobId>(count);
        var bytes = new byte[32];
        bytes.AsSpan(0, 8).Fill(0xCD);
        for (var i = 0; i < count; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(28), i);
            ids.Add(new BlobId(bytes));
        }

        var catalog = new BlobCatalog();
        catalog.Add(Id(3000), [.. ids.Select((id, i) => new PackHeaderEntry(id, BlobType.Data, (uint)i, 1, 1))], "index/crafted");

        catalog.LongestProbeRun.Should().BeLessThan(count / 8);
        for (var i = 0; i < count; i++)
        {
            catalog.TryGetOrdinal(ids[i], out var ordinal, out _).Should().BeTrue();
            ordinal.Should().Be(i);
        }
    }
}
