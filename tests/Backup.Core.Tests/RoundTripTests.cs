using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;

namespace Backup.Core.Tests;

public class RoundTripTests
{
    private const int Min = 16 * 1024;
    private const int Max = 256 * 1024;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(Min - 1)]
    [InlineData(Min)]
    [InlineData(Min + 1)]
    [InlineData(Max - 1)]
    [InlineData(Max)]
    [InlineData(Max + 1)]
    [InlineData(3 * Max + 12345)]
    [InlineData(6 * 1024 * 1024 + 7)]
    public async Task Random_data_of_any_size_restores_byte_for_byte_after_reopening(int size)
    {
        var target = new InMemoryTarget();
        var credentials = TestRepository.NewKeyFile();
        var data = TestRepository.RandomBytes(size, seed: size);
        await using (var repository = await TestRepository.InitAsync(target, credentials))
        {
            var result = await TestRepository.BackupBytesAsync(repository, "data.bin", data);
            result.Snapshot.Statistics.TotalBytes.Should().Be(size);
            result.Snapshot.Statistics.Files.Should().Be(1);
        }

        await using var reopened = await BackupRepository.OpenAsync(target, credentials);
        var snapshot = await reopened.Snapshots.FindAsync("latest");
        var tree = await reopened.Snapshots.LoadTreeAsync(snapshot.Tree);
        tree.Nodes.Should().ContainSingle().Which.Size.Should().Be(size);
        var restored = await TestRepository.RestoreAsync(reopened, snapshot);
        restored.Length.Should().Be(size);
        restored.AsSpan().SequenceEqual(data).Should().BeTrue();
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(Min - 1, 1)]
    [InlineData(Min, 1)]
    public async Task Small_content_is_cut_into_the_expected_number_of_chunks(int size, int chunks)
    {
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());
        var result = await TestRepository.BackupBytesAsync(repository, "data.bin", TestRepository.RandomBytes(size, seed: 3));
        var tree = await repository.Snapshots.LoadTreeAsync(result.Snapshot.Tree);
        tree.Nodes.Single().Content.Should().HaveCount(chunks);
    }

    [Fact]
    public async Task Content_larger_than_the_maximum_chunk_never_yields_a_chunk_above_the_maximum()
    {
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());
        var data = new byte[5 * Max]; // all zeros: no content-defined cut ever fires, so every cut is forced at MaxSize
        var result = await TestRepository.BackupBytesAsync(repository, "zeros.bin", data);
        var node = (await repository.Snapshots.LoadTreeAsync(result.Snapshot.Tree)).Nodes.Single();
        node.Content.Should().HaveCount(5);
        foreach (var id in node.Content!)
        {
            repository.Blobs.Index.TryGet(id, out var location).Should().BeTrue();
            location.RawLength.Should().Be((uint)Max);
        }

        (await TestRepository.RestoreAsync(repository, result.Snapshot)).Should().Equal(data);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("gzip")]
    [InlineData("zstd:1")]
    [InlineData("zstd:19")]
    public async Task Compressible_data_round_trips_with_every_compression_setting(string compression)
    {
        var target = new InMemoryTarget();
        var credentials = TestRepository.NewKeyFile();
        var random = new Random(5);
        var text = string.Concat(Enumerable.Range(0, 40_000).Select(i => $"{i:D8} GET /api/items/{random.Next(1000)} 200 {random.Next(100)}ms\n"));
        var data = System.Text.Encoding.UTF8.GetBytes(text);
        await using (var repository = await TestRepository.InitAsync(target, credentials, TestRepository.SmallOptions(compression)))
        {
            var result = await TestRepository.BackupBytesAsync(repository, "log.txt", data);
            if (compression == "none")
            {
                result.Snapshot.Statistics.BytesStored.Should().BeGreaterThan(data.Length);
            }
            else
            {
                result.Snapshot.Statistics.BytesStored.Should().BeLessThan(data.Length / 2);
            }
        }

        await using var reopened = await BackupRepository.OpenAsync(target, credentials);
        (await TestRepository.RestoreAsync(reopened, await reopened.Snapshots.FindAsync("latest"))).Should().Equal(data);
    }

    [Fact]
    public async Task A_failing_source_check_writes_no_snapshot()
    {
        var target = new InMemoryTarget();
        await using var repository = await TestRepository.InitAsync(target, TestRepository.NewKeyFile());
        var source = new Sources.StreamSource(
            "dump.sql",
            _ => ValueTask.FromResult(System.IO.Pipelines.PipeReader.Create(new MemoryStream(new byte[1000]))),
            complete: _ => throw new InvalidOperationException("pg_dump exited with code 1"));
        var act = () => new Pipeline.BackupService(repository).BackupAsync(source, new Pipeline.BackupOptions { Level = BackupLevel.Full });
        (await act.Should().ThrowAsync<Pipeline.BackupSourceException>()).WithMessage("*pg_dump exited with code 1*");
        (await TestRepository.ListAsync(target, RepositoryLayout.SnapshotsPrefix)).Should().BeEmpty();
    }

    [Fact]
    public async Task A_stream_that_fails_half_way_writes_no_snapshot_rather_than_an_empty_partial_one()
    {
        var target = new InMemoryTarget();
        await using var repository = await TestRepository.InitAsync(target, TestRepository.NewKeyFile());
        // An export whose connection drops after 300 KB: the stream is the whole source, so nothing of it is a backup.
        var source = Sources.StreamSource.FromStream("export.json", new FailingStream(TestRepository.RandomBytes(300_000, seed: 5), new IOException("Connection reset by peer")));

        var act = () => new Pipeline.BackupService(repository).BackupAsync(source, new Pipeline.BackupOptions { Level = BackupLevel.Full });

        (await act.Should().ThrowAsync<Pipeline.BackupSourceException>()).WithMessage("*export.json*Connection reset by peer*");
        (await TestRepository.ListAsync(target, RepositoryLayout.SnapshotsPrefix)).Should().BeEmpty();
    }
}
