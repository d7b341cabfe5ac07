using System.Buffers;
using System.IO.Compression;
using System.Security.Cryptography;
using Backup.Core.Transforms;

namespace Backup.Core.Tests;

public class TransformTests
{
    private static readonly byte[] Aad = "object-id"u8.ToArray();

    public static TheoryData<string> Transforms => ["none", "gzip", "zstd:1", "zstd:3", "zstd:19", "aes"];

    private static IStreamTransform Create(string name) => name switch
    {
        "none" => new NoneTransform(),
        "gzip" => new GzipTransform(CompressionLevel.Optimal),
        "aes" => new AesGcmTransform(RandomNumberGenerator.GetBytes(32)),
        _ => new ZstdTransform(int.Parse(name[5..], System.Globalization.CultureInfo.InvariantCulture)),
    };

    private static byte[] Compressible(int size)
    {
        var random = new Random(size);
        return [.. Enumerable.Range(0, size).Select(i => (byte)"abcd efgh\n"[random.Next(10)])];
    }

    [Theory]
    [MemberData(nameof(Transforms))]
    public void Every_transform_alone_round_trips_compressible_data(string name)
    {
        var transform = Create(name);
        var data = Compressible(200_000);
        var encoded = new ArrayBufferWriter<byte>();
        var applied = transform.TryEncode(data, encoded, new TransformContext(Aad, int.MaxValue));

        applied.Should().Be(name != "none", "only 'none' declines compressible data");
        var decoded = new ArrayBufferWriter<byte>();
        transform.Decode(applied ? encoded.WrittenSpan : data, decoded, new TransformContext(Aad, data.Length));
        decoded.WrittenSpan.ToArray().Should().Equal(data);
        if (name is "gzip" or "zstd:1" or "zstd:3" or "zstd:19")
        {
            encoded.WrittenCount.Should().BeLessThan(data.Length / 2);
        }
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(1, true)]
    [InlineData(2, true)]
    public void Zstd_compresses_small_inputs_at_its_small_input_level_and_larger_ones_at_its_own(int level, bool preferNative)
    {
        // Text of many words: at this size, zstd's level 5 finds matches its levels 1 and 2 skip.
        var random = new Random(5);
        var words = Enumerable.Range(0, 400).Select(_ => new string([.. Enumerable.Range(0, random.Next(2, 9)).Select(_ => (char)('a' + random.Next(26)))])).ToArray();
        var small = System.Text.Encoding.ASCII.GetBytes(string.Join(' ', Enumerable.Range(0, 4000).Select(_ => words[(int)Math.Pow(random.Next(400 * 400), 0.5)])))[..ZstdTransform.SmallInputLimit];
        using var transform = new ZstdTransform(level, preferNative);
        using var atLevel = new ZstdSharp.Compressor(level);
        using var atSmallLevel = new ZstdSharp.Compressor(ZstdTransform.MinimumSmallInputLevel);

        transform.SmallInputLevel.Should().Be(ZstdTransform.MinimumSmallInputLevel);
        var encoded = new ArrayBufferWriter<byte>();
        transform.TryEncode(small, encoded, new TransformContext(Aad, int.MaxValue)).Should().BeTrue();
        encoded.WrittenCount.Should().BeLessThan(atLevel.Wrap(small).Length);
        if (!preferNative)
        {
            encoded.WrittenCount.Should().Be(atSmallLevel.Wrap(small).Length);
        }

        var decoded = new ArrayBufferWriter<byte>();
        transform.Decode(encoded.WrittenSpan, decoded, new TransformContext(Aad, small.Length));
        decoded.WrittenSpan.ToArray().Should().Equal(small);

        var large = Compressible(ZstdTransform.SmallInputLimit + 1);
        var largeEncoded = new ArrayBufferWriter<byte>();
        transform.TryEncode(large, largeEncoded, new TransformContext(Aad, int.MaxValue)).Should().BeTrue();
        if (!preferNative)
        {
            largeEncoded.WrittenCount.Should().Be(atLevel.Wrap(large).Length, "inputs above the limit keep the configured level");
        }

        new ZstdTransform(19, preferNative).SmallInputLevel.Should().Be(19, "a higher configured level is kept for small inputs too");
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("zstd:1")]
    [InlineData("zstd:19")]
    public void Compression_declines_incompressible_and_tiny_data(string name)
    {
        var transform = Create(name);
        var random = RandomNumberGenerator.GetBytes(100_000);
        transform.TryEncode(random, new ArrayBufferWriter<byte>(), new TransformContext(Aad, int.MaxValue)).Should().BeFalse();
        transform.TryEncode(new byte[10], new ArrayBufferWriter<byte>(), new TransformContext(Aad, int.MaxValue)).Should().BeFalse();
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("zstd:3")]
    public void Decompression_refuses_output_larger_than_allowed(string name)
    {
        var transform = Create(name);
        var data = new byte[100_000];
        var encoded = new ArrayBufferWriter<byte>();
        transform.TryEncode(data, encoded, new TransformContext(Aad, int.MaxValue)).Should().BeTrue();
        var act = () => transform.Decode(encoded.WrittenSpan, new ArrayBufferWriter<byte>(), new TransformContext(Aad, data.Length - 1));
        act.Should().Throw<InvalidDataException>();
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("zstd:3")]
    public void Decompressing_garbage_throws_InvalidDataException(string name)
    {
        var act = () => Create(name).Decode(RandomNumberGenerator.GetBytes(1000), new ArrayBufferWriter<byte>(), new TransformContext(Aad, 1 << 20));
        act.Should().Throw<InvalidDataException>();
    }

    [Fact]
    public void Aes_output_differs_every_time_and_adds_a_fixed_overhead()
    {
        using var aes = new AesGcmTransform(RandomNumberGenerator.GetBytes(32));
        var data = new byte[1000];
        var a = new ArrayBufferWriter<byte>();
        var b = new ArrayBufferWriter<byte>();
        aes.TryEncode(data, a, new TransformContext(Aad, int.MaxValue));
        aes.TryEncode(data, b, new TransformContext(Aad, int.MaxValue));
        a.WrittenCount.Should().Be(data.Length + AesGcmTransform.Overhead);
        a.WrittenSpan.SequenceEqual(b.WrittenSpan).Should().BeFalse("salt and nonce are random per object");
        a.WrittenSpan.IndexOf(data.AsSpan(0, 64)).Should().Be(-1, "the plaintext never appears");
    }

    [Fact]
    public void Aes_decoding_with_another_key_fails()
    {
        using var aes = new AesGcmTransform(RandomNumberGenerator.GetBytes(32));
        using var other = new AesGcmTransform(RandomNumberGenerator.GetBytes(32));
        var encoded = new ArrayBufferWriter<byte>();
        aes.TryEncode("secret"u8, encoded, new TransformContext(Aad, int.MaxValue));
        var act = () => other.Decode(encoded.WrittenSpan, new ArrayBufferWriter<byte>(), new TransformContext(Aad, 100));
        act.Should().Throw<InvalidDataException>();
    }

    [Fact]
    public void Aes_decoding_with_different_associated_data_fails()
    {
        using var aes = new AesGcmTransform(RandomNumberGenerator.GetBytes(32));
        var encoded = new ArrayBufferWriter<byte>();
        aes.TryEncode("secret"u8, encoded, new TransformContext(Aad, int.MaxValue));
        var act = () => aes.Decode(encoded.WrittenSpan, new ArrayBufferWriter<byte>(), new TransformContext("other-id"u8.ToArray(), 100));
        act.Should().Throw<InvalidDataException>();
    }

    [Fact]
    public void Aes_decoding_of_any_altered_byte_fails()
    {
        using var aes = new AesGcmTransform(RandomNumberGenerator.GetBytes(32));
        var encoded = new ArrayBufferWriter<byte>();
        aes.TryEncode(new byte[100], encoded, new TransformContext(Aad, int.MaxValue));
        for (var i = 0; i < encoded.WrittenCount; i++)
        {
            var altered = encoded.WrittenSpan.ToArray();
            altered[i] ^= 0x40;
            var act = () => aes.Decode(altered, new ArrayBufferWriter<byte>(), new TransformContext(Aad, 100));
            act.Should().Throw<InvalidDataException>($"byte {i} was altered");
        }

        var truncated = () => aes.Decode(encoded.WrittenSpan[..(AesGcmTransform.Overhead - 1)], new ArrayBufferWriter<byte>(), new TransformContext(Aad, 100));
        truncated.Should().Throw<InvalidDataException>();
    }

    [Fact]
    public void Invalid_transform_parameters_are_refused()
    {
        ((Action)(() => _ = new ZstdTransform(0))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => _ = new ZstdTransform(20))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => _ = new AesGcmTransform(new byte[16]))).Should().Throw<ArgumentException>();
    }
}
