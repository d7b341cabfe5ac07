using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;
using Xunit.Abstractions;
using Backup.Core.Content;

namespace Backup.Core.Tests;


[Collection(SerialTests.Name)]
public class LargeStreamTests(ITestOutputHelper log)
{
    // 1 GiB: far more than the memory a streaming pipeline may use, small enough to run in seconds on a shared
    // 2-core machine. Users back up many GiB the same way.
    private const long Size = 1L << 30;
    private const long SampleEvery = 64L * 1024 * 1024;
    private const long AllowedGrowth = 128L * 1024 * 1024;

    [Fact]
    public async Task A_gibibyte_stream_round_trips_with_the_same_sha256_and_memory_that_does_not_grow_with_the_data()
    {
        using var directory = new TempDirectory();
        var target = new LocalDirectoryTarget(directory.Path);
        var credentials = TestRepository.NewKeyFile();
        var backupMemory = new MemorySampler(log, "backup");
        var restoreMemory = new MemorySampler(log, "restore");

        byte[] inputHash;
        await using (var repository = await BackupRepository.InitAsync(target, credentials, new RepositoryInitOptions { Compression = "none" }))
        {
            using var input = new GeneratedStream(Size, seed: 42, backupMemory.Sample);
            var result = await new BackupService(repository).BackupAsync(StreamSource.FromStream("big.bin", input), new BackupOptions { Level = BackupLevel.Full });
            result.IsComplete.Should().BeTrue();
            result.Snapshot.Statistics.TotalBytes.Should().Be(Size);
            inputHash = input.FinishHash();
        }

        await using (var reopened = await BackupRepository.OpenAsync(target, credentials))
        {
            var snapshot = await reopened.Snapshots.FindAsync("latest");
            var node = (await reopened.Snapshots.LoadTreeAsync(snapshot.Tree)).Nodes.Single();
            node.Size.Should().Be(Size);
            using var output = new HashingStream(restoreMemory.Sample);
            await new ContentReader(reopened.Blobs).CopyToAsync(node, output);
            output.Length.Should().Be(Size);
            output.FinishHash().Should().Equal(inputHash);
        }

        // Absolute live memory is not asserted: with the default 16 MiB packs it sits around 200 MiB, mostly
        // arrays parked in ArrayPool.Shared's per-thread slots (see the report). What must hold is that it does
        // not scale with the data: the second half of each run may not add more than a fraction of what it reads.
        backupMemory.GrowthInSecondHalf.Should().BeLessThan(AllowedGrowth);
        restoreMemory.GrowthInSecondHalf.Should().BeLessThan(AllowedGrowth);
    }

    private sealed class MemorySampler(ITestOutputHelper log, string phase)
    {
        private long _next;
        private long _peakFirstHalf;
        private long _peakSecondHalf;

        public long GrowthInSecondHalf => _peakSecondHalf - _peakFirstHalf;

        public void Sample(long position)
        {
            if (position < _next && position < Size)
            {
                return;
            }

            _next += SampleEvery;
            var live = GC.GetTotalMemory(forceFullCollection: true);
            log.WriteLine($"{phase} {position >> 20} MiB: {live >> 20} MiB live");
            if (position <= Size / 2)
            {
                _peakFirstHalf = Math.Max(_peakFirstHalf, live);
            }
            else
            {
                _peakSecondHalf = Math.Max(_peakSecondHalf, live);
            }
        }
    }
}
