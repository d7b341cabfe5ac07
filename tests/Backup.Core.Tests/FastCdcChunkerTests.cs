using Backup.Core.Chunking;
using Backup.Core.Tests.Support;
using Backup.Core.Content;

namespace Backup.Core.Tests;

public class FastCdcChunkerTests
{
    private static readonly ChunkerOptions Options = TestRepository.SmallChunker;
    private static readonly byte[] Data = TestRepository.RandomBytes(16 * 1024 * 1024, seed: 81);

    private static List<int> Cut(FastCdcChunker chunker, byte[] data)
    {
        var sizes = new List<int>();
        for (var start = 0; start < data.Length;)
        {
            var cut = chunker.NextBoundary(data.AsSpan(start, Math.Min(data.Length - start, 2 * chunker.Options.MaxSize)));
            sizes.Add(cut);
            start += cut;
        }

        return sizes;
    }

    [Fact]
    public void The_same_secret_cuts_the_same_boundaries_and_another_secret_cuts_different_ones()
    {
        var secret = TestRepository.RandomBytes(32, seed: 1);
        var a = Cut(new FastCdcChunker(secret, Options), Data);
        var b = Cut(new FastCdcChunker(secret, Options), Data);
        var c = Cut(new FastCdcChunker(TestRepository.RandomBytes(32, seed: 2), Options), Data);
        b.Should().Equal(a);
        c.Should().NotEqual(a);
        a.Sum().Should().Be(Data.Length);
    }

    [Fact]
    public void Chunks_stay_within_the_limits_and_average_near_the_target()
    {
        var sizes = Cut(new FastCdcChunker(TestRepository.RandomBytes(32, seed: 3), Options), Data);
        sizes.SkipLast(1).Should().OnlyContain(s => s >= Options.MinSize && s <= Options.MaxSize);
        sizes[^1].Should().BeInRange(1, Options.MaxSize);
        var average = sizes.Average();
        average.Should().BeInRange(Options.AverageSize / 2.0, Options.AverageSize * 2.0);
    }

    [Fact]
    public void Input_shorter_than_the_minimum_is_one_chunk()
    {
        var chunker = new FastCdcChunker(new byte[16], Options);
        chunker.NextBoundary(Data.AsSpan(0, Options.MinSize)).Should().Be(Options.MinSize);
        chunker.NextBoundary(Data.AsSpan(0, 5)).Should().Be(5);
        chunker.NextBoundary([]).Should().Be(0);
        chunker.NextBoundary(new byte[Options.MaxSize * 2]).Should().Be(Options.MaxSize);
    }

    [Fact]
    public async Task The_streaming_chunker_cuts_where_the_chunker_does_however_the_stream_is_read()
    {
        var chunker = new FastCdcChunker(TestRepository.RandomBytes(32, seed: 4), Options);
        var data = Data.AsSpan(0, 3 * 1024 * 1024).ToArray();
        var expected = Cut(chunker, data);
        var reader = System.IO.Pipelines.PipeReader.Create(new TrickleStream(data, 1000), new System.IO.Pipelines.StreamPipeReaderOptions(bufferSize: 4096));
        var actual = new List<int>();
        await foreach (var chunk in Content.ContentChunker.ReadChunksAsync(reader, chunker))
        {
            actual.Add(chunk.Length);
        }

        actual.Should().Equal(expected);
    }

    [Theory]
    [InlineData(65536)]
    [InlineData(1024 * 1024)]
    [InlineData(300_000)]
    [InlineData(4096)]
    public async Task The_streaming_chunker_with_default_limits_matches_the_chunker_through_runs_without_boundaries(int step)
    {
        // Zeros never produce a boundary, so the run between the random parts is cut at the maximum only: the
        // streaming chunker has to look past its usual lookahead there, and find the same cuts as a whole-buffer scan.
        var chunker = new FastCdcChunker(TestRepository.RandomBytes(32, seed: 5));
        var data = new byte[31 * 1024 * 1024];
        TestRepository.RandomBytes(6 * 1024 * 1024, seed: 6).CopyTo(data, 0);
        TestRepository.RandomBytes(5 * 1024 * 1024, seed: 7).CopyTo(data, 26 * 1024 * 1024);
        var expected = Cut(chunker, data);
        expected.Should().Contain(chunker.Options.MaxSize, "the zero run is cut at the maximum");
        var reader = System.IO.Pipelines.PipeReader.Create(new TrickleStream(data, step), new System.IO.Pipelines.StreamPipeReaderOptions(bufferSize: 64 * 1024));
        var actual = new List<int>();
        var restored = new MemoryStream();
        await foreach (var chunk in Content.ContentChunker.ReadChunksAsync(reader, chunker))
        {
            actual.Add(chunk.Length);
            restored.Write(chunk.Span);
        }

        actual.Should().Equal(expected);
        restored.ToArray().Should().Equal(data);
    }

    [Theory]
    [InlineData(32, 64, 128)]
    [InlineData(1024, 1000, 4096)]
    [InlineData(1024, 1024, 4096)]
    [InlineData(1024, 2048, 2048)]
    [InlineData(1024, 2048, 128 * 1024 * 1024)]
    public void Invalid_chunker_options_are_refused_naming_the_setting(int min, int average, int max)
    {
        var act = () => new ChunkerOptions { MinSize = min, AverageSize = average, MaxSize = max }.Validate();
        act.Should().Throw<ArgumentException>().WithMessage("*Size*");
        var secret = () => new FastCdcChunker(new byte[15]);
        secret.Should().Throw<ArgumentException>();
    }

    /// <summary>Hands out at most <c>step</c> bytes per read.</summary>
    private sealed class TrickleStream(byte[] data, int step) : MemoryStream(data)
    {
        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(step, buffer.Length)]);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));
    }
}
