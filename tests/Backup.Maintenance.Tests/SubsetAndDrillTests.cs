using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core.Verification;
using static Backup.Maintenance.Tests.TestRepository;
using Backup.Core;

namespace Backup.Maintenance.Tests;

public class SubsetAndDrillTests
{
    [Theory]
    [InlineData("1/5", 1, 5, 0, 0)]
    [InlineData("5/5", 5, 5, 0, 0)]
    [InlineData("0.2", 0, 0, 0.2, 0)]
    [InlineData("10%", 0, 0, 0.1, 0)]
    [InlineData("500M", 0, 0, 0, 500L << 20)]
    [InlineData("2G", 0, 0, 0, 2L << 30)]
    [InlineData("4096", 0, 0, 0, 4096)]
    public void Subsets_parse(string text, int group, int groups, double fraction, long bytes)
    {
        var subset = ReadDataSubset.Parse(text);
        subset.Group.Should().Be(group);
        subset.Groups.Should().Be(groups);
        subset.Fraction.Should().BeApproximately(fraction, 1e-9);
        subset.Bytes.Should().Be(bytes);
    }

    [Theory]
    [InlineData("0/5")]
    [InlineData("6/5")]
    [InlineData("1.5")]
    [InlineData("0%")]
    [InlineData("150%")]
    [InlineData("12X")]
    [InlineData("-3M")]
    public void Invalid_subsets_are_refused_when_the_options_are_built(string text) =>
        FluentActions.Invoking(() => new CheckOptions { ReadDataSubset = text }).Should().Throw<FormatException>();

    [Theory]
    [InlineData("0.2", 5)]
    [InlineData("30%", 4)]
    [InlineData("7000", 6)] // about 4 average packs a day: ⌈23 / 4⌉ days
    public void Rotating_subsets_cover_every_pack_over_enough_days(string text, int days)
    {
        var packs = Enumerable.Range(0, 23).ToDictionary(i => BlobId.Sha256(BitConverter.GetBytes(i)), i => 1000L + i * 100);
        var subset = ReadDataSubset.Parse(text);
        var covered = new HashSet<BlobId>();
        var day = new DateOnly(2026, 3, 1);
        for (var i = 0; i < days; i++)
        {
            var chosen = subset.Select(packs, day.AddDays(i));
            chosen.Should().NotBeEmpty().And.OnlyHaveUniqueItems();
            covered.UnionWith(chosen);
        }

        covered.Should().HaveCount(packs.Count);
    }

    [Fact]
    public void Groups_partition_the_packs()
    {
        var packs = Enumerable.Range(0, 50).ToDictionary(i => BlobId.Sha256(BitConverter.GetBytes(i)), _ => 1L);
        var all = Enumerable.Range(1, 5).SelectMany(n => ReadDataSubset.Parse($"{n}/5").Select(packs, default)).ToList();
        all.Should().OnlyHaveUniqueItems().And.HaveCount(packs.Count);
    }

    [Fact]
    public async Task Daily_subset_checks_read_every_pack_over_a_rotation()
    {
        var (target, _, _, _, _) = await CreateTwoSnapshotsAsync();
        await using var repository = await BackupRepository.OpenAsync(target, Credentials);
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var service = new VerificationService(repository, clock);
        var packs = repository.Blobs.Index.PackCount;
        long read = 0;
        for (var day = 0; day < 2; day++)
        {
            var result = await service.CheckAsync(new CheckOptions { ReadDataSubset = "50%" });
            result.IsSuccess.Should().BeTrue();
            read += result.PacksRead;
            clock.Advance(TimeSpan.FromDays(1));
        }

        read.Should().BeGreaterThanOrEqualTo(packs);
    }

    [Fact]
    public async Task A_restore_drill_restores_verifies_measures_and_cleans_up()
    {
        var (target, _, _, _, second) = await CreateTwoSnapshotsAsync();
        await using var repository = await BackupRepository.OpenAsync(target, Credentials);
        var scratch = Directory.CreateTempSubdirectory("drill-test-").FullName;
        try
        {
            var result = await new VerificationService(repository).RestoreDrillAsync(new DrillOptions { ScratchDirectory = scratch });
            result.Problems.Should().BeEmpty();
            result.Files.Should().Be(second.Count);
            result.Bytes.Should().Be(second.Values.Sum(v => (long)v.Length));
            result.Duration.Should().BePositive();
            result.BytesPerSecond.Should().BePositive();
            Directory.EnumerateFileSystemEntries(scratch).Should().BeEmpty("the scratch directory is deleted");

            var random = await new VerificationService(repository).RestoreDrillAsync(new DrillOptions { RandomWithin = TimeSpan.FromHours(1), ScratchDirectory = scratch });
            random.IsSuccess.Should().BeTrue();
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    [Fact]
    public async Task A_restore_drill_writes_the_snapshot_only_where_its_own_user_can_read_it()
    {
        // The drill restores every file of the snapshot under the temporary directory, which every user of the
        // machine can list: files come out 0644 in 0755 directories whatever their modes were (a 0600 key in a 0700
        // directory), so the drill's own directory must keep others out for as long as it exists.
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var (target, _, _, _, _) = await CreateTwoSnapshotsAsync();
        var scratch = Directory.CreateTempSubdirectory("drill-test-").FullName;
        var seen = new ScratchWatchingTarget(target, scratch);
        await using var repository = await BackupRepository.OpenAsync(seen, Credentials);
        try
        {
            var result = await new VerificationService(repository).RestoreDrillAsync(new DrillOptions { ScratchDirectory = scratch });

            result.Problems.Should().BeEmpty();
            seen.Modes.Should().NotBeEmpty("the drill read data while its directory existed");
            seen.Modes.Should().OnlyContain(m => (m & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) == 0,
                "no one but the drill's user may enter the directory the snapshot is restored into");
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>Records the permissions of the drill's directories below <c>scratch</c> whenever data is read, that is while the drill restores.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private sealed class ScratchWatchingTarget(IBackupTarget inner, string scratch) : DelegatingTarget(inner)
    {
        public System.Collections.Concurrent.ConcurrentBag<UnixFileMode> Modes { get; } = [];

        public override ValueTask<int> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
        {
            foreach (var directory in Directory.EnumerateDirectories(scratch, "backup-drill-*"))
            {
                Modes.Add(File.GetUnixFileMode(directory));
            }

            return base.ReadAsync(key, offset, destination, cancellationToken);
        }
    }

    [Fact]
    public void Drill_options_refuse_both_a_snapshot_and_a_window() =>
        FluentActions.Invoking(() => new DrillOptions { Snapshot = "latest", RandomWithin = TimeSpan.FromDays(7) }).Should().Throw<ArgumentException>();
}
