using Backup.Core.Pipeline;
using Backup.Core.Sources;
using Backup.Core.Sources.FileSystem;

namespace Backup.Files.Tests;

/// <summary>A file backup's progress carries the tree's totals, counted by a second walk alongside the backup.</summary>
public sealed class BackupProgressTotalsTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>Five files of known sizes, one excluded, one behind a symlink to a directory (not followed), one in a nested directory.</summary>
    private string BuildTree()
    {
        var root = _temp.Sub("tree");
        Directory.CreateDirectory(Path.Combine(root, "a", "b"));
        Directory.CreateDirectory(Path.Combine(root, "skip"));
        Directory.CreateDirectory(_temp.Sub("elsewhere"));
        File.WriteAllBytes(Path.Combine(root, "top.bin"), new byte[100]);
        File.WriteAllBytes(Path.Combine(root, "a", "one.bin"), new byte[2_000]);
        File.WriteAllBytes(Path.Combine(root, "a", "b", "two.bin"), new byte[300_000]);
        File.WriteAllBytes(Path.Combine(root, "a", "empty"), []);
        File.WriteAllBytes(Path.Combine(root, "skip", "excluded.bin"), new byte[50_000]);
        File.WriteAllBytes(_temp.Sub("elsewhere/linked.bin"), new byte[70_000]);
        File.CreateSymbolicLink(Path.Combine(root, "link"), _temp.Sub("elsewhere"));
        return root;
    }

    private static readonly FileSystemSourceOptions SkipOne = new() { Excludes = ["skip/"] };

    [Fact]
    public async Task The_count_walks_the_paths_with_the_backups_rules()
    {
        var root = BuildTree();

        var counted = await ((ICountableSource)new FileSystemSource([root], SkipOne)).CountAsync(CancellationToken.None);
        var followed = await ((ICountableSource)new FileSystemSource([root, _temp.Sub("elsewhere/linked.bin")], SkipOne with { FollowSymlinks = true })).CountAsync(CancellationToken.None);

        counted.Should().Be(new SourceTotals(4, 302_100), "four files outside the excluded directory; the symlink is a link, not its target");
        followed.Should().Be(new SourceTotals(6, 442_100), "followed, the link brings its target's file, and the file named on its own is counted again, as the backup stores both");
    }

    [Fact]
    public async Task The_progress_reports_the_totals_once_counted_and_they_match_what_was_backed_up()
    {
        var root = BuildTree();
        var source = new CountFirst(new FileSystemSource([root], SkipOne));
        var reports = new Reports();
        await using var repository = await TestRepository.CreateAsync();

        var result = await new BackupService(repository.Repository).BackupAsync(source, new BackupOptions { Hostname = "h" }, reports);

        var last = reports.Last;
        last.TotalFiles.Should().Be(4);
        last.TotalBytes.Should().Be(302_100);
        last.Files.Should().Be(result.Snapshot.Statistics!.Files).And.Be(4, "the count and the backup agree on the tree");
        last.BytesProcessed.Should().Be(302_100);
    }

    [Fact]
    public async Task A_failing_count_leaves_the_totals_unknown_and_the_backup_unharmed()
    {
        var root = BuildTree();
        var reports = new Reports();
        await using var repository = await TestRepository.CreateAsync();

        var result = await new BackupService(repository.Repository).BackupAsync(new FailingCount(new FileSystemSource([root], SkipOne)), new BackupOptions { Hostname = "h" }, reports);

        result.Problems.Should().BeEmpty();
        result.Snapshot.Partial.Should().BeFalse();
        reports.Last.TotalFiles.Should().BeNull();
        reports.Last.TotalBytes.Should().BeNull();
    }

    /// <summary>Holds back its entries until its count has finished, so the totals are known before the backup ends.</summary>
    private sealed class CountFirst(FileSystemSource inner) : IBackupSource, ICountableSource
    {
        private readonly TaskCompletionSource _counted = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Kind => inner.Kind;

        public IReadOnlyList<string> Paths => inner.Paths;

        public async Task<SourceTotals> CountAsync(CancellationToken cancellationToken)
        {
            var totals = await ((ICountableSource)inner).CountAsync(cancellationToken);
            _counted.SetResult();
            return totals;
        }

        public async IAsyncEnumerable<SourceEntry> ReadEntriesAsync(SourceContext context, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await _counted.Task.WaitAsync(cancellationToken);
            // The totals are stored just after the count returns; give that continuation a moment to run.
            await Task.Delay(50, cancellationToken);
            await foreach (var entry in inner.ReadEntriesAsync(context, cancellationToken))
            {
                yield return entry;
            }
        }
    }

    private sealed class FailingCount(FileSystemSource inner) : IBackupSource, ICountableSource
    {
        public string Kind => inner.Kind;

        public IReadOnlyList<string> Paths => inner.Paths;

        public Task<SourceTotals> CountAsync(CancellationToken cancellationToken) => Task.FromException<SourceTotals>(new IOException("the count broke"));

        public IAsyncEnumerable<SourceEntry> ReadEntriesAsync(SourceContext context, CancellationToken cancellationToken = default) => inner.ReadEntriesAsync(context, cancellationToken);
    }

    /// <summary>Collects reports synchronously (Progress&lt;T&gt; would post them later).</summary>
    private sealed class Reports : IProgress<BackupProgress>
    {
        private readonly Lock _gate = new();
        private BackupProgress? _last;

        public BackupProgress Last
        {
            get
            {
                lock (_gate)
                {
                    return _last ?? throw new InvalidOperationException("no progress was reported");
                }
            }
        }

        public void Report(BackupProgress value)
        {
            lock (_gate)
            {
                _last = value;
            }
        }
    }
}
