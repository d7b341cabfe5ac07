using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Transforms;
using Backup.Core.Repository.Blobs;

namespace Backup.Core.Tests.Fuzzing;

/// <summary>
/// Seeded random mutations of valid pack headers, index objects, snapshots and trees. Mutated plaintexts are encrypted
/// with the repository's key before decoding, as a writer that holds the key (a compromised or buggy client) could
/// store them, so the parsers behind authentication are reached; mutated stored bytes exercise the envelope. No
/// input may escape as anything but the decoder's documented exception, nor make a decode allocate more than a small
/// multiple of its input. Replay a failure from the decoder, seed and iteration it names.
/// </summary>
public sealed class DecoderFuzzTests
{
    // A few seconds in the suite; for a longer run set BACKUP_FUZZ_SEEDS (say 200) and BACKUP_FUZZ_ITERATIONS (say 20000).
    private static readonly int Seeds = FromEnvironment("BACKUP_FUZZ_SEEDS", 4);
    private static readonly int IterationsPerSeed = FromEnvironment("BACKUP_FUZZ_ITERATIONS", 400);

    private static readonly TransformChain Chain = new(
        [CompressionSetting.Parse("zstd:3"), new AesGcmTransform(RandomNumberGenerator.GetBytes(32))],
        [new ZstdTransform(), new GzipTransform(), new NoneTransform()]);

    [Fact]
    public void Pack_headers_and_trailers()
    {
        var entries = Enumerable.Range(0, 6).Select(i => new PackHeaderEntry(Id(i), i % 2 == 0 ? BlobType.Data : BlobType.Tree, 0, (uint)(100 + i), (uint)(200 + i))).ToList();
        var encoded = PackFormat.EncodeHeaderAndTrailer(entries, Chain);
        var blobs = entries.Sum(e => (long)e.Length);
        var headerOnly = encoded.AsSpan(0, encoded.Length - PackFormat.TrailerSize).ToArray();
        var plain = Chain.Decode(headerOnly, PackFormat.HeaderObjectId);

        Fuzz<InvalidDataException>("pack header", plain, mutated =>
        {
            var stored = Chain.Encode(mutated, PackFormat.HeaderObjectId);
            return (stored, () => PackFormat.DecodeHeader(stored, blobs + stored.Length + PackFormat.TrailerSize, Chain));
        });
        Fuzz<InvalidDataException>("stored pack header", headerOnly, mutated => (mutated, () => PackFormat.DecodeHeader(mutated, blobs + mutated.Length + PackFormat.TrailerSize, Chain)));
        Fuzz<InvalidDataException>("pack trailer", encoded.AsSpan(encoded.Length - PackFormat.TrailerSize).ToArray(), mutated =>
            (mutated, () => PackFormat.ReadHeaderLength(mutated, BinaryPrimitives.ReadInt64LittleEndian(SHA256.HashData(mutated)) & 0x7FFF_FFFF)));
    }

    [Fact]
    public void Index_objects()
    {
        var index = new IndexFile();
        index.Supersedes.Add(Id(90));
        for (var p = 0; p < 3; p++)
        {
            index.Packs[Id(100 + p)] = [.. Enumerable.Range(0, 4).Select(i => new PackHeaderEntry(Id((p * 10) + i), BlobType.Data, (uint)(i * 1000), 1000, 2000))];
        }

        var stored = index.Encode(Chain);
        var plain = Chain.Decode(stored, IndexFile.ObjectId);

        Fuzz<InvalidDataException>("index", plain, mutated =>
        {
            var encoded = Chain.Encode(mutated, IndexFile.ObjectId);
            return (encoded, () => IndexFile.Decode(encoded, Chain));
        });
        Fuzz<InvalidDataException>("stored index", stored, mutated => (mutated, () => IndexFile.Decode(mutated, Chain)));
    }

    [Fact]
    public void Snapshot_objects()
    {
        var snapshot = new Snapshot
        {
            Time = DateTimeOffset.UnixEpoch.AddDays(20000),
            Hostname = "host",
            Username = "user",
            Tags = ["daily", "db"],
            SourceKind = "files",
            Paths = ["/home", "/etc"],
            Parent = Id(7),
            Tree = Id(8),
            Problems = ["/x: unreadable"],
            Metadata = new Dictionary<string, string> { ["k"] = "v" },
        };
        var plain = JsonSerializer.SerializeToUtf8Bytes(snapshot, SnapshotJson.Default.Snapshot);

        Fuzz<RepositoryCorruptException>("snapshot", plain, mutated =>
        {
            var stored = Chain.Encode(mutated, SnapshotStore.SnapshotObjectId);
            return (stored, () => SnapshotStore.DecodeSnapshot(stored, BlobId.Sha256(stored), Chain));
        });
    }

    [Fact]
    public void Trees()
    {
        var tree = new Tree(
        [
            new TreeNode { Name = "dir", Type = NodeType.Directory, Mode = 0x41ED, Subtree = Id(1) },
            new TreeNode { Name = "file", Type = NodeType.File, Mode = 0x81A4, Size = 3, Content = [Id(2), Id(3)], ExtendedAttributes = new Dictionary<string, byte[]> { ["user.a"] = [1, 2] } },
            new TreeNode { Name = "link", Type = NodeType.Symlink, LinkTarget = "../x" },
            new TreeNode { Name = "dev", Type = NodeType.Special, Mode = 0x21B6, DeviceNumber = 0x0103 },
        ]);
        var plain = TreeCodec.Serialize(tree);

        Fuzz<RepositoryCorruptException>("tree", plain, mutated => (mutated, () => TreeCodec.Decode(mutated, Id(0))));
    }

    [Theory]
    [InlineData("zstd")]
    [InlineData("gzip")]
    public void Compressed_layers_under_the_encryption(string compression)
    {
        // The compressed frame is what a password holder shapes freely: mutated, then encrypted as the chain would.
        var plain = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 200).Select(i => $"{{\"name\":\"file{i}\",\"size\":{i * 37}}},")));
        IStreamTransform compressor = compression == "zstd" ? new ZstdTransform() : new GzipTransform();
        var compressed = new System.Buffers.ArrayBufferWriter<byte>();
        compressor.TryEncode(plain, compressed, new TransformContext(ReadOnlyMemory<byte>.Empty, int.MaxValue)).Should().BeTrue();
        var header = new List<byte> { 1, 2, (byte)compression.Length };
        header.AddRange(Encoding.ASCII.GetBytes(compression));
        header.Add((byte)AesGcmTransform.TransformName.Length);
        header.AddRange(Encoding.ASCII.GetBytes(AesGcmTransform.TransformName));
        var objectId = SnapshotStore.SnapshotObjectId;
        var aad = objectId.Concat(header).ToArray();
        var aes = (AesGcmTransform)Chain.Encoders[^1];

        Fuzz<InvalidDataException>($"{compression} frame", compressed.WrittenSpan.ToArray(), mutated =>
        {
            var stored = new System.Buffers.ArrayBufferWriter<byte>();
            System.Buffers.BuffersExtensions.Write(stored, header.ToArray());
            aes.TryEncode(mutated, stored, new TransformContext(aad, int.MaxValue));
            var bytes = stored.WrittenSpan.ToArray();
            return (bytes, () => Chain.Decode(bytes, objectId, maxDecodedLength: 64 * 1024));
        });
    }

    [Theory]
    [InlineData("{\"nodes\":[{\"name\":\"f\",\"extendedAttributes\":{\"user.a\":null}}]}")]
    public void A_tree_with_null_for_an_extended_attribute_value_is_not_a_valid_tree(string json)
    {
        // A restore set the attribute with value.Length and failed with NullReferenceException.
        var decode = () => TreeCodec.Decode(Encoding.UTF8.GetBytes(json), Id(0));

        decode.Should().Throw<RepositoryCorruptException>().WithMessage("*not a valid tree*");
    }

    [Theory]
    [InlineData("\"problems\":[null]")]
    [InlineData("\"metadata\":{\"k\":null}")]
    public void A_snapshot_with_null_for_a_problem_or_a_metadata_value_is_damaged(string member)
    {
        var valid = JsonSerializer.Serialize(new Snapshot { Time = DateTimeOffset.UnixEpoch, Hostname = "h", SourceKind = "files", Tree = Id(1) }, SnapshotJson.Default.Snapshot);
        var stored = Chain.Encode(Encoding.UTF8.GetBytes(valid), SnapshotStore.SnapshotObjectId);
        SnapshotStore.DecodeSnapshot(stored, BlobId.Sha256(stored), Chain).Hostname.Should().Be("h");
        var damaged = Chain.Encode(Encoding.UTF8.GetBytes(valid.Insert(valid.Length - 1, "," + member)), SnapshotStore.SnapshotObjectId);

        var decode = () => SnapshotStore.DecodeSnapshot(damaged, BlobId.Sha256(damaged), Chain);

        decode.Should().Throw<RepositoryCorruptException>().WithMessage("*damaged*");
    }

    /// <summary>Decodes mutations of <paramref name="seedInput"/>; collects every escape and every oversized allocation.</summary>
    private static void Fuzz<TExpected>(string decoder, byte[] seedInput, Func<byte[], (byte[] Input, Func<object> Decode)> prepare)
        where TExpected : Exception
    {
        // The valid input decodes: a fuzzer whose starting point fails tests nothing.
        var (_, valid) = prepare(seedInput);
        valid.Should().NotThrow($"the unmutated {decoder} is valid");

        var failures = new List<string>();
        for (var seed = 1; seed <= Seeds; seed++)
        {
            var mutator = new ByteMutator(seed);
            var current = seedInput;
            for (var iteration = 0; iteration < IterationsPerSeed; iteration++)
            {
                // Mutations stack for a while, then start again from the valid input.
                current = mutator.Mutate(iteration % 8 == 0 ? seedInput : current);
                var (input, decode) = prepare(current);
                var before = GC.GetAllocatedBytesForCurrentThread();
                object? decoded = null;
                try
                {
                    decoded = decode();
                }
                catch (TExpected)
                {
                }
                catch (Exception ex)
                {
                    failures.Add($"{decoder} seed {seed} iteration {iteration}: {ex.GetType().Name}: {ex.Message} (input {Convert.ToHexString(current.AsSpan(0, Math.Min(current.Length, 64)))}…)");
                }

                var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                var budget = (1 << 20) + (64L * (input.Length + current.Length));
                if (allocated > budget)
                {
                    failures.Add($"{decoder} seed {seed} iteration {iteration}: allocated {allocated:N0} bytes for {input.Length:N0} bytes of input");
                }

                try
                {
                    Use(decoded);
                }
                catch (Exception ex)
                {
                    failures.Add($"{decoder} seed {seed} iteration {iteration}: decoded, then {ex.GetType().Name} on use: {ex.Message} (input {Convert.ToHexString(current.AsSpan(0, Math.Min(current.Length, 64)))}…)");
                }
            }
        }

        failures.Should().BeEmpty();
    }

    /// <summary>Reads what callers read of a decoded object: what decodes must be usable, not only not throw.</summary>
    private static void Use(object? decoded)
    {
        switch (decoded)
        {
            case Snapshot s:
                _ = s.Hostname.Length + s.SourceKind.Length + s.Tags.Sum(t => t.Length) + s.Paths.Sum(p => p.Length) + s.Problems.Sum(p => p.Length) + s.Metadata.Sum(m => m.Key.Length + m.Value.Length) + s.Statistics.GetHashCode();
                break;
            case Tree t:
                _ = t.Nodes.Sum(n => n.Name.Length + (n.ExtendedAttributes?.Sum(a => a.Key.Length + a.Value.Length) ?? 0));
                break;
            case IndexFile i:
                _ = i.Packs.Values.Sum(entries => entries.Count(e => e.Type is BlobType.Data or BlobType.Tree ? true : throw new InvalidDataException($"blob type {e.Type}")));
                break;
        }
    }

    private static int FromEnvironment(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var value) && value > 0 ? value : fallback;

    private static BlobId Id(int i) => BlobId.Sha256(BitConverter.GetBytes(i));
}
