using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;
using Backup.Core.Transforms;

namespace Backup.Core.Tests;

/// <summary>
/// Entries that prefer fast compression (database dumps) are compressed at zstd level 1 in a repository on the default
/// or zstd's own level, and at the repository's level when it was set higher for size.
/// </summary>
public class FastCompressionTests
{
    private static readonly byte[] Aad = "object-id"u8.ToArray();

    /// <summary>Machine-made text of about 200 KB (more than the small-input limit, less than one chunk).</summary>
    private static byte[] DumpText()
    {
        var random = new Random(7);
        var rows = Enumerable.Range(0, 2500).Select(i => $"({i},'{Convert.ToHexString(BitConverter.GetBytes(random.NextInt64()))}','note {random.Next(1000)} lorem ipsum',{random.Next()}.{random.Next(100):D2})");
        return System.Text.Encoding.ASCII.GetBytes("INSERT INTO t VALUES " + string.Join(',', rows) + ";\n");
    }

    private static byte[] Encode(ZstdTransform transform, byte[] data, bool preferSpeed)
    {
        var output = new ArrayBufferWriter<byte>();
        transform.TryEncode(data, output, new TransformContext(Aad, int.MaxValue) { PreferSpeed = preferSpeed }).Should().BeTrue();
        return output.WrittenSpan.ToArray();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Zstd_uses_level_1_for_content_that_prefers_speed_unless_its_level_was_set_above_the_default(bool preferNative)
    {
        var data = DumpText();
        data.Length.Should().BeGreaterThan(ZstdTransform.SmallInputLimit);
        using var level1 = new ZstdTransform(1, preferNative);
        using var level2 = new ZstdTransform(2, preferNative);
        using var level3 = new ZstdTransform(3, preferNative);
        using var level4 = new ZstdTransform(4, preferNative);

        Encode(level2, data, preferSpeed: false).Should().NotEqual(Encode(level1, data, preferSpeed: false), "the levels differ on this text, or the test could not tell them apart");
        Encode(level2, data, preferSpeed: true).Should().Equal(Encode(level1, data, preferSpeed: false));
        Encode(level3, data, preferSpeed: true).Should().Equal(Encode(level1, data, preferSpeed: false), "level 3 is zstd's own default, not a choice for size");
        level2.FastLevel.Should().Be(1);
        Encode(level4, data, preferSpeed: true).Should().Equal(Encode(level4, data, preferSpeed: false), "a repository set to zstd:4 chose size");
        level4.FastLevel.Should().Be(4);

        var small = data[..ZstdTransform.SmallInputLimit];
        Encode(level2, small, preferSpeed: true).Should().Equal(Encode(level2, small, preferSpeed: false), "small inputs keep their small-input level");
    }

    [Fact]
    public async Task A_backup_stores_an_entry_that_prefers_fast_compression_as_level_1_and_other_entries_at_the_repository_level()
    {
        var data = DumpText();

        var hinted = await StoredLengthAsync("zstd:2", data, preferFast: true);
        var plain = await StoredLengthAsync("zstd:2", data, preferFast: false);
        var atLevel1 = await StoredLengthAsync("zstd:1", data, preferFast: false);

        hinted.Should().Be(atLevel1);
        plain.Should().NotBe(atLevel1);
    }

    /// <summary>Backs up <paramref name="data"/> as one file into a new repository; returns the stored length of its one chunk.</summary>
    private static async Task<uint> StoredLengthAsync(string compression, byte[] data, bool preferFast)
    {
        using var directory = new TempDirectory();
        await using var repository = await BackupRepository.InitAsync(new LocalDirectoryTarget(directory.Path), TestRepository.NewKeyFile(), new RepositoryInitOptions { Compression = compression });
        var result = await new BackupService(repository).BackupAsync(new OneFileSource(data, preferFast), new BackupOptions());
        result.IsComplete.Should().BeTrue();

        var root = await repository.Snapshots.LoadTreeAsync(result.Snapshot.Tree);
        var content = root.Nodes.Single(n => n.Name == "dump.sql").Content!;
        content.Should().ContainSingle("the text is smaller than the least chunk");
        repository.Blobs.Index.TryGet(content[0], out var location).Should().BeTrue();
        return location.Length;
    }

    private sealed class OneFileSource(byte[] data, bool preferFast) : IBackupSource
    {
        public string Kind => "test";

        public IReadOnlyList<string> Paths => ["dump.sql"];

        public async IAsyncEnumerable<SourceEntry> ReadEntriesAsync(SourceContext context, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            yield return new SourceEntry
            {
                Path = "dump.sql",
                Metadata = new TreeNode { Name = "dump.sql", Type = NodeType.File, Size = data.Length, Mode = 0b110_000_000 },
                OpenContentAsync = _ => ValueTask.FromResult(PipeReader.Create(new ReadOnlySequence<byte>(data))),
                PreferFastCompression = preferFast,
            };
        }
    }
}
