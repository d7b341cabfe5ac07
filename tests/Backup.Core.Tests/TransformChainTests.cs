using System.Security.Cryptography;
using Backup.Core.Transforms;

namespace Backup.Core.Tests;

public class TransformChainTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] ObjectId = RandomNumberGenerator.GetBytes(32);

    private static TransformChain RepositoryChain(IStreamTransform compression) =>
        new([compression, new AesGcmTransform(Key)], [new ZstdTransform(), new GzipTransform(), new NoneTransform()]);

    public static TheoryData<string> Compressions => ["none", "gzip", "zstd:1", "zstd:3", "zstd:19"];

    private static IStreamTransform Compression(string name) =>
        Repository.CompressionSetting.Parse(name);

    [Theory]
    [MemberData(nameof(Compressions))]
    public void Chains_round_trip_compressible_and_random_data(string compression)
    {
        var chain = RepositoryChain(Compression(compression));
        var text = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 5000).Select(i => $"row {i}\n")));
        foreach (var data in new[] { text, RandomNumberGenerator.GetBytes(50_000), [], new byte[] { 42 } })
        {
            var stored = chain.Encode(data, ObjectId);
            var names = TransformChain.ReadTransformNames(stored);
            names[^1].Should().Be(AesGcmTransform.TransformName);
            chain.Decode(stored, ObjectId).Should().Equal(data);
        }

        var compressed = TransformChain.ReadTransformNames(chain.Encode(text, ObjectId));
        compressed.Should().HaveCount(compression == "none" ? 1 : 2);
        TransformChain.ReadTransformNames(chain.Encode(RandomNumberGenerator.GetBytes(50_000), ObjectId)).Should().Equal([AesGcmTransform.TransformName], "compression declines random data and is not recorded");
    }

    [Fact]
    public void A_chain_of_transforms_that_grow_and_shrink_the_data_round_trips()
    {
        // Decoding needs two intermediate buffers here, and the zstd stage writes several times its input.
        var chain = new TransformChain([new Doubling("twice"), new ZstdTransform(), new Doubling("again"), new AesGcmTransform(Key)]);
        var text = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 20_000).Select(i => $"row {i % 97}\n")));
        var stored = chain.Encode(text, ObjectId);
        TransformChain.ReadTransformNames(stored).Should().Equal("twice", "zstd", "again", AesGcmTransform.TransformName);
        chain.Decode(stored, ObjectId).Should().Equal(text);
    }

    [Fact]
    public void A_chain_reads_objects_written_with_another_registered_compression()
    {
        var zstdWriter = RepositoryChain(new ZstdTransform(19));
        var gzipReader = RepositoryChain(new GzipTransform());
        var data = new byte[10_000];
        gzipReader.Decode(zstdWriter.Encode(data, ObjectId), ObjectId).Should().Equal(data);
    }

    [Fact]
    public void Decoding_refuses_an_object_whose_encryption_was_stripped()
    {
        var plainChain = new TransformChain([new ZstdTransform()], requireAuthenticatedLast: false);
        var data = new byte[10_000];
        var stripped = plainChain.Encode(data, ObjectId);
        plainChain.Decode(stripped, ObjectId).Should().Equal(data);

        var act = () => RepositoryChain(new ZstdTransform()).Decode(stripped, ObjectId);
        act.Should().Throw<InvalidDataException>().WithMessage("*not protected*");

        var empty = new TransformChain([new NoneTransform()], requireAuthenticatedLast: false).Encode(data, ObjectId);
        var emptyAct = () => RepositoryChain(new ZstdTransform()).Decode(empty, ObjectId);
        emptyAct.Should().Throw<InvalidDataException>();
    }

    [Fact]
    public void A_chain_that_requires_encryption_cannot_be_built_without_it_last()
    {
        var act = () => new TransformChain([new AesGcmTransform(Key), new ZstdTransform()]);
        act.Should().Throw<ArgumentException>();
        var none = () => new TransformChain([new ZstdTransform()]);
        none.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Decoding_for_another_object_id_fails()
    {
        var chain = RepositoryChain(new ZstdTransform());
        var stored = chain.Encode(new byte[1000], ObjectId);
        var act = () => chain.Decode(stored, RandomNumberGenerator.GetBytes(32));
        act.Should().Throw<InvalidDataException>();
    }

    [Fact]
    public void Every_altered_header_byte_and_unknown_transforms_are_refused()
    {
        var chain = RepositoryChain(new ZstdTransform());
        var stored = chain.Encode(new byte[1000], ObjectId);
        var headerLength = 2 + TransformChain.ReadTransformNames(stored).Sum(n => n.Length + 1);
        for (var i = 0; i < headerLength + 4; i++)
        {
            var altered = (byte[])stored.Clone();
            altered[i] ^= 0x01;
            var act = () => chain.Decode(altered, ObjectId);
            act.Should().Throw<InvalidDataException>($"byte {i} was altered");
        }

        var onlyAes = new TransformChain([new AesGcmTransform(Key)]);
        var unknown = () => onlyAes.Decode(stored, ObjectId);
        unknown.Should().Throw<InvalidDataException>().WithMessage("*not registered*");
    }

    [Fact]
    public void Truncated_envelopes_are_refused()
    {
        var chain = RepositoryChain(new ZstdTransform());
        var stored = chain.Encode(new byte[1000], ObjectId);
        foreach (var length in new[] { 0, 1, 2, 5, stored.Length - 1 })
        {
            var act = () => chain.Decode(stored.AsSpan(0, length).ToArray(), ObjectId);
            act.Should().Throw<InvalidDataException>($"{length} bytes were kept");
        }
    }

    /// <summary>Writes every byte twice: always applies, and doubles the size.</summary>
    private sealed class Doubling(string name) : IStreamTransform
    {
        public string Name => name;

        public bool IsAuthenticatedEncryption => false;

        public bool TryEncode(ReadOnlySpan<byte> input, System.Buffers.IBufferWriter<byte> output, in TransformContext context)
        {
            var span = output.GetSpan(input.Length * 2);
            for (var i = 0; i < input.Length; i++)
            {
                span[2 * i] = span[(2 * i) + 1] = input[i];
            }

            output.Advance(input.Length * 2);
            return true;
        }

        public void Decode(ReadOnlySpan<byte> input, System.Buffers.IBufferWriter<byte> output, in TransformContext context)
        {
            var span = output.GetSpan(input.Length / 2);
            for (var i = 0; i < input.Length / 2; i++)
            {
                span[i] = input[2 * i];
            }

            output.Advance(input.Length / 2);
        }
    }
}
