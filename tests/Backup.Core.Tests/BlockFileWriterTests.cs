using Backup.Core.Native;
using Backup.Core.Storage;

namespace Backup.Core.Tests;

/// <summary>
/// New objects of a local repository are written in aligned blocks, directly to the disk where the file system allows:
/// whatever the sizes of the pieces appended, the object reads back exactly, with no padding and nothing left over
/// from an object written before it through the same buffer.
/// </summary>
public sealed class BlockFileWriterTests : IDisposable
{
    private static readonly int[] Sizes =
    [
        BlockFileWriter.BlockBytes * 3 + 12345, 0, 1, DirectIo.Alignment - 1, DirectIo.Alignment, DirectIo.Alignment + 1,
        BlockFileWriter.BlockBytes - 1, BlockFileWriter.BlockBytes, BlockFileWriter.BlockBytes + 1, 100,
    ];

    private readonly List<string> _directories = [];

    public static TheoryData<string> Places => new() { "temp", "memory" };

    [Theory]
    [MemberData(nameof(Places))]
    public async Task Objects_of_every_size_read_back_exactly_through_one_reused_buffer(string place)
    {
        var directory = Directory(place);
        var target = new LocalDirectoryTarget(directory);
        var random = new Random(7);
        foreach (var size in Sizes)
        {
            var content = new byte[size];
            random.NextBytes(content);
            var staged = await target.BeginObjectAsync();
            await using (staged.ConfigureAwait(false))
            {
                // Pieces of uneven sizes, as packs are appended blob by blob: some cross a block's end, some fill several.
                var at = 0;
                var piece = 1;
                while (at < size)
                {
                    var count = Math.Min(piece, size - at);
                    await staged.AppendAsync(content.AsMemory(at, count));
                    at += count;
                    piece = piece * 7 % 1_500_007;
                }

                staged.Length.Should().Be(size);
                await staged.CommitAsync($"data/{size:x8}");
            }

            var stored = await File.ReadAllBytesAsync(Path.Combine(directory, "data", $"{size:x8}"));
            stored.Length.Should().Be(size, "nothing may follow the object's last byte");
            stored.AsSpan().SequenceEqual(content).Should().BeTrue($"the object of {size} bytes must read back as written");
        }
    }

    [SkippableFact]
    public void Files_on_a_local_disk_file_system_are_written_directly_and_in_memory_through_the_page_cache()
    {
        var temp = Directory("temp");
        Skip.IfNot(OperatingSystem.IsLinux() && new DriveInfo(temp).DriveFormat is "ext2" or "ext3" or "ext4" or "xfs" or "btrfs", "the temporary folder is not on ext4, XFS or Btrfs");
        IsDirect(temp).Should().BeTrue();
        IsDirect(Directory("memory")).Should().BeFalse("tmpfs keeps its files in the page cache");
    }

    public void Dispose()
    {
        foreach (var directory in _directories)
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
    }

    private static bool IsDirect(string directory)
    {
        using var handle = File.OpenHandle(Path.Combine(directory, "probe"), FileMode.CreateNew, FileAccess.Write);
        return new BlockFileWriter(handle, BlockFileWriter.NewBuffer()).IsDirect;
    }

    private string Directory(string place)
    {
        var parent = place == "memory" && System.IO.Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        var directory = Path.Combine(parent, $"blockwriter-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(directory);
        _directories.Add(directory);
        return directory;
    }
}
