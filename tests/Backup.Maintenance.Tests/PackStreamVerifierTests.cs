using Backup.Core;
using Backup.Core.Repository;
using Backup.Core.Repository.Blobs;
using Backup.Core.Storage;
using Backup.Core.Verification;
using static Backup.Maintenance.Tests.TestRepository;

namespace Backup.Maintenance.Tests;

/// <summary>Read-data streams each pack through a bounded window: damage anywhere in the pack must still be found.</summary>
public class PackStreamVerifierTests
{
    // Smaller than the test repository's blobs (16 to 256 KiB) and packs (4 MiB): every pack takes many windows.
    private const int SmallWindow = 64 * 1024;

    private static async Task<(InMemoryTarget Target, string Key, BlobId Pack, List<PackHeaderEntry> Entries, long Length)> LargestPackAsync()
    {
        var (target, _, _, _, _) = await CreateTwoSnapshotsAsync();
        await using var repository = await BackupRepository.OpenWithoutIndexAsync(target, Credentials);
        var packs = new List<BackupObjectInfo>();
        await foreach (var info in target.ListAsync(RepositoryLayout.DataPrefix))
        {
            packs.Add(info);
        }

        var largest = packs.OrderByDescending(p => p.Length).First();
        RepositoryLayout.TryParseId(largest.Key, out var pack).Should().BeTrue();
        var entries = await repository.Blobs.ReadPackHeaderAsync(largest);
        entries.Count.Should().BeGreaterThan(4, "the test needs blobs before and after the damaged one");
        return (target, largest.Key, pack, entries, largest.Length);
    }

    private static async Task<(PackStreamOutcome Outcome, List<(PackHeaderEntry Entry, string Message)> Damaged)> VerifyAsync(IBackupTarget target, BlobId pack, long length, List<PackHeaderEntry> entries, int window = SmallWindow)
    {
        await using var repository = await BackupRepository.OpenWithoutIndexAsync(target, Credentials);
        var damaged = new List<(PackHeaderEntry, string)>();
        var outcome = await PackStreamVerifier.VerifyAsync(repository.Blobs, pack, length, entries, (e, m) => damaged.Add((e, m)), window, CancellationToken.None);
        return (outcome, damaged);
    }

    [Theory]
    [InlineData(SmallWindow)]
    [InlineData(PackStreamVerifier.WindowSize)]
    public async Task An_intact_pack_decodes_every_blob_and_matches_its_name(int window)
    {
        var (target, _, pack, entries, length) = await LargestPackAsync();

        var (outcome, damaged) = await VerifyAsync(target, pack, length, entries, window);

        damaged.Should().BeEmpty();
        outcome.Should().Be(new PackStreamOutcome(entries.Count, length, MatchesName: true));
    }

    [Fact]
    public async Task A_damaged_blob_in_the_middle_of_a_pack_is_reported_alone_and_the_blobs_around_it_decode()
    {
        var (target, key, pack, entries, length) = await LargestPackAsync();
        var middle = entries[entries.Count / 2];
        await FlipByteAsync(target, key, (int)(middle.Offset + (middle.Length / 2)));

        var (outcome, damaged) = await VerifyAsync(target, pack, length, entries);

        damaged.Should().ContainSingle().Which.Entry.Should().Be(middle);
        outcome.BlobsDecoded.Should().Be(entries.Count - 1);
        outcome.MatchesName.Should().BeFalse();
        outcome.BytesRead.Should().Be(length);
    }

    [Fact]
    public async Task Listed_blobs_out_of_order_or_overlapping_are_still_each_decoded()
    {
        var (target, _, pack, entries, length) = await LargestPackAsync();
        // A forged listing may name the same bytes twice and in any order; each must be judged on its own.
        var listing = entries.AsEnumerable().Reverse().Append(entries[0]).ToList();

        var (outcome, damaged) = await VerifyAsync(target, pack, length, listing);

        damaged.Should().BeEmpty();
        outcome.BlobsDecoded.Should().Be(listing.Count);
        outcome.MatchesName.Should().BeTrue();
    }

    [Fact]
    public async Task A_truncated_pack_reports_every_blob_past_its_end_and_does_not_match_its_name()
    {
        var (target, key, pack, entries, length) = await LargestPackAsync();
        var cut = entries[entries.Count / 2].Offset + 10;
        var bytes = await target.ReadAllAsync(key, Array.MaxLength);
        await target.PutAsync(key, bytes.AsMemory(0, (int)cut));
        var beyond = entries.Where(e => e.Offset + e.Length > cut).ToList();

        // As listed now (the listing says how long the object is) and as listed before it was cut (a stale length).
        foreach (var listedLength in new[] { cut, length })
        {
            var (outcome, damaged) = await VerifyAsync(target, pack, listedLength, entries);

            damaged.Select(d => d.Entry).Should().BeEquivalentTo(beyond);
            damaged.Should().OnlyContain(d => d.Message.Contains("beyond the pack's end"));
            outcome.BlobsDecoded.Should().Be(entries.Count - beyond.Count);
            outcome.MatchesName.Should().BeFalse();
            outcome.BytesRead.Should().Be(cut);
        }
    }

    [Fact]
    public async Task A_pack_altered_outside_its_blobs_decodes_but_does_not_match_its_name()
    {
        var (target, key, pack, entries, length) = await LargestPackAsync();
        var blobsEnd = entries.Max(e => e.Offset + e.Length);
        await FlipByteAsync(target, key, (int)blobsEnd + 20);

        var (outcome, damaged) = await VerifyAsync(target, pack, length, entries);

        damaged.Should().BeEmpty();
        outcome.BlobsDecoded.Should().Be(entries.Count);
        outcome.MatchesName.Should().BeFalse();
    }

    [Fact]
    public async Task Check_with_read_data_names_a_damaged_blob_in_the_middle_of_a_pack_and_a_pack_that_does_not_match_its_name()
    {
        var (target, key, _, entries, _) = await LargestPackAsync();
        var middle = entries[entries.Count / 2];
        await FlipByteAsync(target, key, (int)(middle.Offset + 7));
        var other = (await KeysAsync(target, RepositoryLayout.DataPrefix)).First(k => k != key);
        var otherBytes = await target.ReadAllAsync(other, Array.MaxLength);
        // Inside the other pack's encoded header: every blob still decodes, only the pack's name no longer matches.
        await FlipByteAsync(target, other, otherBytes.Length - PackFormat.TrailerSize - 1);

        await using var repository = await BackupRepository.OpenWithoutIndexAsync(target, Credentials);
        var check = await new VerificationService(repository).CheckAsync(new CheckOptions { ReadData = true });

        check.Problems.Should().Contain(p => p.Kind == CheckProblemKind.BlobDamaged && p.Object == key && p.Message.Contains($"at {middle.Offset}+{middle.Length}"));
        check.Problems.Should().Contain(p => p.Kind == CheckProblemKind.PackDamaged && p.Object == other && p.Message.Contains("does not match its name"));
        check.IsSuccess.Should().BeFalse();
    }
}
