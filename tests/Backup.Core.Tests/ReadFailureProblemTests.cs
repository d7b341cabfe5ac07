using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Backup.Core.Pipeline;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Core.Tests.Support;

namespace Backup.Core.Tests;

/// <summary>
/// A file that fails part-way through is left out of a partial snapshot with "read failed after N bytes": N is what an
/// operator takes it for, the bytes read from the file before it failed, not the bytes already cut into chunks.
/// </summary>
public class ReadFailureProblemTests
{
    [Theory]
    [InlineData(300_000)]
    [InlineData(2_500_000)] // some chunks, and the bytes after the last cut not yet one
    public async Task A_file_that_fails_part_way_is_reported_with_the_bytes_read_from_it(int readable)
    {
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());

        var result = await new BackupService(repository).BackupAsync(new FailingFileSource(TestRepository.RandomBytes(readable, seed: 11)), new BackupOptions());

        result.Problems.Should().ContainSingle().Which.Reason.Should().StartWith($"read failed after {readable} bytes").And.Contain("Input/output error");
    }

    /// <summary>One file whose content yields <paramref name="data"/> and then fails as a disk with a bad sector does.</summary>
    private sealed class FailingFileSource(byte[] data) : IBackupSource
    {
        public string Kind => "test";

        public IReadOnlyList<string> Paths => ["disk.img"];

        public async IAsyncEnumerable<SourceEntry> ReadEntriesAsync(SourceContext context, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            yield return new SourceEntry
            {
                Path = "disk.img",
                Metadata = new TreeNode { Name = "disk.img", Type = NodeType.File, Size = data.Length + 1_000_000, Mode = 0b110_000_000 },
                OpenContentAsync = _ => ValueTask.FromResult(PipeReader.Create(new FailingStream(data, new IOException("Input/output error")))),
            };
        }
    }
}
