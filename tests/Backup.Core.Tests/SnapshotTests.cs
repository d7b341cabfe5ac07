using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;

namespace Backup.Core.Tests;

public class SnapshotTests
{
    [Fact]
    public async Task Snapshots_are_found_by_latest_by_full_id_and_by_unique_prefix()
    {
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());
        var first = await TestRepository.BackupBytesAsync(repository, "a.bin", [1]);
        var second = await TestRepository.BackupBytesAsync(repository, "b.bin", [2]);

        (await repository.Snapshots.FindAsync("latest")).Id.Should().Be(second.Snapshot.Id);
        (await repository.Snapshots.FindAsync(first.Snapshot.Id.ToString())).Paths.Should().Equal("a.bin");
        (await repository.Snapshots.FindAsync(first.Snapshot.Id.ToString()[..12].ToUpperInvariant())).Id.Should().Be(first.Snapshot.Id);
    }

    /// <summary>
    /// A snapshot dated a year ahead (a host whose clock ran ahead, or one added by anyone who holds the password) would
    /// otherwise be "latest" for a year, and a restore of "latest" would bring back its data instead of last night's.
    /// </summary>
    [Fact]
    public async Task Latest_passes_over_a_snapshot_dated_ahead_of_the_clock_and_says_so()
    {
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());
        var real = (await TestRepository.BackupBytesAsync(repository, "a.bin", [1])).Snapshot;
        var now = DateTimeOffset.UtcNow;
        var ahead = await repository.Snapshots.SaveAsync(real with { Time = now.AddYears(1), Hostname = "clock-ahead" });
        var slightlyAhead = await repository.Snapshots.SaveAsync(real with { Time = now.AddMinutes(2), Hostname = "skewed" });

        (await repository.Snapshots.FindAsync("latest")).Id.Should().Be(slightlyAhead.Id, "a host whose clock is a minute or two ahead made the newest backup");
        var found = await repository.Snapshots.FindLatestAsync(null, now);
        found.Snapshot!.Id.Should().Be(slightlyAhead.Id);
        found.DatedAhead.Select(s => s.Id).Should().Equal(ahead.Id);
        found.DatedAheadWarning.Should().Contain(ahead.Id.ToShortString()).And.Contain("clock-ahead").And.Contain("Give its ID");
        (await repository.Snapshots.FindAsync(ahead.Id.ToString())).Id.Should().Be(ahead.Id, "an ID still names it");

        var onlyAhead = await repository.Snapshots.FindLatestAsync(s => s.Hostname == "clock-ahead", now);
        onlyAhead.Invoking(f => f.GetOrThrow("none", repository.Location)).Should().Throw<SnapshotNotFoundException>()
            .WithMessage("No snapshot to take as 'latest': passed over 1 snapshot dated after this machine's clock*");
        var noMatch = await repository.Snapshots.FindLatestAsync(s => s.Hostname == "elsewhere", now);
        noMatch.Invoking(f => f.GetOrThrow("none of host elsewhere", repository.Location)).Should().Throw<SnapshotNotFoundException>().WithMessage("none of host elsewhere");
    }

    /// <summary>
    /// A snapshot with a null metadata value is refused as damaged when read, so a backup must not write one: a caller's
    /// null value (a library caller, or a binding that gives null for an empty setting) is refused before anything is
    /// stored, rather than leaving a new snapshot that every later read skips as damaged.
    /// </summary>
    [Fact]
    public async Task A_backup_with_a_null_metadata_value_is_refused_before_it_writes_a_snapshot_no_one_can_read()
    {
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());
        var options = new BackupOptions { Level = BackupLevel.Full, Metadata = new Dictionary<string, string> { ["owner"] = null! } };

        var backup = () => new BackupService(repository).BackupAsync(StreamSource.FromStream("a.bin", new MemoryStream([1])), options);

        await backup.Should().ThrowAsync<ArgumentException>().WithMessage("*'owner'*");
        await repository.Invoking(r => r.Snapshots.FindAsync("latest")).Should().ThrowAsync<SnapshotNotFoundException>("nothing was written, damaged or not");
    }

    /// <summary>A source (any IBackupSource) whose facts hold a null value fails the backup naming the fact, rather than writing a snapshot that reads as damaged.</summary>
    [Fact]
    public async Task A_source_fact_with_a_null_value_fails_the_backup_instead_of_writing_a_snapshot_no_one_can_read()
    {
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());

        var backup = () => new BackupService(repository).BackupAsync(new NullFactSource(StreamSource.FromStream("a.bin", new MemoryStream([1]))), new BackupOptions { Level = BackupLevel.Full });

        await backup.Should().ThrowAsync<BackupSourceException>().WithMessage("*'server.version'*");
        await repository.Invoking(r => r.Snapshots.FindAsync("latest")).Should().ThrowAsync<SnapshotNotFoundException>("nothing was written, damaged or not");
    }

    private sealed class NullFactSource(IBackupSource inner) : IBackupSource
    {
        public string Kind => inner.Kind;

        public IReadOnlyList<string> Paths => inner.Paths;

        public IAsyncEnumerable<SourceEntry> ReadEntriesAsync(SourceContext context, CancellationToken cancellationToken = default) => inner.ReadEntriesAsync(context, cancellationToken);

        public Task<IReadOnlyDictionary<string, string>> GetSnapshotMetadataAsync(CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string> { ["server.version"] = null! });
    }

    [Fact]
    public async Task Unknown_short_and_ambiguous_prefixes_are_errors()
    {
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());
        var none = () => repository.Snapshots.FindAsync("latest");
        (await none.Should().ThrowAsync<RepositoryException>()).WithMessage("*no snapshots*");

        // Save bare snapshots until two IDs share their first four digits (expected after about 300).
        var seen = new Dictionary<string, BlobId>();
        string? ambiguous = null;
        for (var i = 0; ambiguous is null; i++)
        {
            var saved = await repository.Snapshots.SaveAsync(new Snapshot { Hostname = $"host{i}", SourceKind = "test" });
            var prefix = saved.Id.ToString()[..4];
            if (!seen.TryAdd(prefix, saved.Id))
            {
                ambiguous = prefix;
            }
        }

        var act = () => repository.Snapshots.FindAsync(ambiguous);
        var message = (await act.Should().ThrowAsync<RepositoryException>()).WithMessage("*give more digits*").Which.Message;
        message.Should().Contain(seen[ambiguous].ToString()[..12], "the candidates are named");
        var unknown = () => repository.Snapshots.FindAsync(new string('0', 64) == seen.Values.First().ToString() ? "ffff" + new string('f', 60) : new string('0', 64));
        await unknown.Should().ThrowAsync<RepositoryException>();
        var tooShort = () => repository.Snapshots.FindAsync("abc");
        await tooShort.Should().ThrowAsync<RepositoryException>();
        var notHex = () => repository.Snapshots.FindAsync("xyz12");
        await notHex.Should().ThrowAsync<RepositoryException>();
    }

    [Fact]
    public async Task A_snapshot_records_host_tags_level_paths_kind_and_time_with_its_offset()
    {
        var target = new InMemoryTarget();
        var credentials = TestRepository.NewKeyFile();
        var zone = TimeZoneInfo.CreateCustomTimeZone("test+0530", TimeSpan.FromMinutes(330), "test", "test");
        var clock = new FixedClock(new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero), zone);
        await using (var repository = await TestRepository.InitAsync(target, credentials))
        {
            var source = StreamSource.FromStream("db.dump", new MemoryStream(new byte[100]), kind: "postgresql");
            await new BackupService(repository, clock).BackupAsync(source, new BackupOptions
            {
                Level = BackupLevel.Full,
                Hostname = "db-1",
                Tags = ["nightly", "prod"],
                Metadata = new Dictionary<string, string> { ["server"] = "16.2" },
            });
        }

        await using var reopened = await BackupRepository.OpenAsync(target, credentials);
        var snapshot = await reopened.Snapshots.FindAsync("latest");
        snapshot.Hostname.Should().Be("db-1");
        snapshot.Tags.Should().Equal("nightly", "prod");
        snapshot.Level.Should().Be(BackupLevel.Full);
        snapshot.Paths.Should().Equal("db.dump");
        snapshot.SourceKind.Should().Be("postgresql");
        snapshot.Metadata.Should().Contain("server", "16.2");
        snapshot.Time.Should().Be(clock.GetUtcNow());
        snapshot.Time.Offset.Should().Be(TimeSpan.FromMinutes(330));
        snapshot.Partial.Should().BeFalse();
        snapshot.Statistics.TotalBytes.Should().Be(100);
    }

    [Fact]
    public async Task A_stream_is_read_whole_every_time_so_each_of_its_snapshots_is_full_whatever_level_was_asked()
    {
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());
        var options = new BackupOptions { Level = BackupLevel.Incremental, Hostname = "h" };
        var first = await TestRepository.BackupBytesAsync(repository, "x.bin", [1, 2, 3], options);
        var second = await TestRepository.BackupBytesAsync(repository, "x.bin", [1, 2, 3], options);
        var differential = await TestRepository.BackupBytesAsync(repository, "x.bin", [1, 2, 3], options with { Level = BackupLevel.Differential });

        foreach (var snapshot in new[] { first.Snapshot, second.Snapshot, differential.Snapshot })
        {
            snapshot.Level.Should().Be(BackupLevel.Full, "a dump or stream has no metadata to trust: every backup reads it all");
            snapshot.Parent.Should().BeNull();
            snapshot.Statistics.FilesRead.Should().Be(1);
        }

        (await TestRepository.RestoreAsync(repository, second.Snapshot)).Should().Equal(1, 2, 3);
    }

    [Fact]
    public async Task An_incremental_file_backup_names_its_parent_and_a_parent_must_come_from_the_same_host()
    {
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());
        using var source = new TempDirectory();
        await File.WriteAllTextAsync(System.IO.Path.Combine(source.Path, "a.txt"), "unchanged");
        var options = new BackupOptions { Level = BackupLevel.Incremental, Hostname = "h" };
        async Task<Snapshot> BackupAsync(BackupOptions o) => (await new BackupService(repository).BackupAsync(new Backup.Core.Sources.FileSystem.FileSystemSource([source.Path]), o)).Snapshot;

        var first = await BackupAsync(options);
        var second = await BackupAsync(options);
        var otherHost = await BackupAsync(options with { Hostname = "other" });

        first.Level.Should().Be(BackupLevel.Full);
        first.Parent.Should().BeNull();
        second.Level.Should().Be(BackupLevel.Incremental, "the unchanged file was taken from its parent");
        second.Parent.Should().Be(first.Id);
        second.Statistics.FilesRead.Should().Be(0);
        otherHost.Level.Should().Be(BackupLevel.Full, "a parent must come from the same host");
        otherHost.Parent.Should().BeNull();
    }

    private sealed class FixedClock(DateTimeOffset now, TimeZoneInfo zone) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;

        public override TimeZoneInfo LocalTimeZone => zone;
    }
}
