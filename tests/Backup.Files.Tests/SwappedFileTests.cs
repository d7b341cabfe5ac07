using System.Runtime.CompilerServices;
using System.Text;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Sources;
using Backup.Core.Sources.FileSystem;

namespace Backup.Files.Tests;

/// <summary>
/// A user who can write in the backed-up tree swaps a file for a symlink, a FIFO or a hard link to someone else's file
/// between the backup's stat and its open: the backup must neither read through the link, nor wait on the FIFO, nor
/// store the other file, and reports those paths instead.
/// </summary>
/// <remarks>
/// The swap is made at the one moment that matters, after the source has read an entry's metadata and before the
/// pipeline opens it, by a source decorator: a race against a swapping thread may never land there on a given machine
/// (it once ran 25 backups in CI without landing), and then proves nothing.
/// </remarks>
public sealed class SwappedFileTests : IDisposable
{
    private const int Victims = 8;

    private readonly TempDirectory _temp = new();
    private readonly byte[] _secret = Encoding.ASCII.GetBytes("SECRET-" + Convert.ToHexString(Guid.NewGuid().ToByteArray()) + "-ONLY-ROOT-READS-THIS");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public Task A_file_swapped_for_a_symlink_to_a_secret_never_puts_the_secret_in_a_snapshot() =>
        SwapForTheSecretAsync((path, secret) => File.CreateSymbolicLink(path, secret), "became a symlink");

    [Fact]
    public Task A_file_swapped_for_a_hard_link_to_a_secret_never_puts_the_secret_in_a_snapshot() =>
        SwapForTheSecretAsync((path, secret) => Shell.Run("ln", secret, path), "replaced by another file");

    [Fact]
    public async Task A_file_swapped_for_a_fifo_is_reported_and_the_backup_does_not_hang()
    {
        var swapped = new List<string>();
        await using var repo = await TestRepository.CreateAsync();
        try
        {
            var result = await BackupSwappingEachFileAsync(repo, path =>
            {
                File.Delete(path);
                Shell.Run("mkfifo", path);
                swapped.Add(path);
            });

            result.Problems.Should().HaveCount(Victims).And.OnlyContain(p => p.Reason.Contains("no longer a regular file", StringComparison.Ordinal));
            result.IsComplete.Should().BeFalse();
        }
        finally
        {
            // A backup stuck in open(2) on a FIFO (the fault this guards against) is released by a writer, so the run can end.
            swapped.ForEach(ReleaseReader);
        }
    }

    /// <summary>
    /// Swaps every file, right after its metadata is read, for what <paramref name="link"/> makes at the path to a
    /// root-only secret; each must be reported with <paramref name="reason"/>, and the secret never stored.
    /// </summary>
    private async Task SwapForTheSecretAsync(Action<string, string> link, string reason)
    {
        var secretPath = _temp.Sub("secret");
        await File.WriteAllBytesAsync(secretPath, _secret);
        File.SetUnixFileMode(secretPath, UnixFileMode.UserRead);
        await using var repo = await TestRepository.CreateAsync();
        var result = await BackupSwappingEachFileAsync(repo, path =>
        {
            File.Delete(path);
            link(path, secretPath);
        });

        result.Problems.Should().HaveCount(Victims).And.OnlyContain(p => p.Reason.Contains(reason, StringComparison.Ordinal));
        result.IsComplete.Should().BeFalse("a file that could not be read makes the backup partial");
        await ShouldNotHoldSecretAsync(repo);
    }

    /// <summary>Backs up a directory of small files, each swapped by <paramref name="swap"/> right after its metadata is read.</summary>
    private async Task<BackupResult> BackupSwappingEachFileAsync(TestRepository repo, Action<string> swap)
    {
        var source = _temp.Sub("source");
        Directory.CreateDirectory(source);
        for (var i = 0; i < Victims; i++)
        {
            File.WriteAllText(Path.Combine(source, $"file{i}"), $"innocent content {i}");
        }

        return await repo.BackupAsync(new SwapAfterStatSource(new FileSystemSource([source]), swap)).WaitAsync(TimeSpan.FromMinutes(2));
    }

    private async Task ShouldNotHoldSecretAsync(TestRepository repo)
    {
        var data = 0;
        foreach (var (id, location) in repo.Repository.Blobs.Index.ToList())
        {
            if (location.Type == BlobType.Data)
            {
                var blob = await repo.Repository.Blobs.ReadBlobAsync(id);
                blob.AsSpan().IndexOf(_secret).Should().Be(-1, "nothing outside the backed-up paths may be stored");
                data++;
            }
        }

        data.Should().Be(0, "every file was swapped, so no file content may have been stored at all");
    }

    private static void ReleaseReader(string path)
    {
        var fd = NativeMethods.open(path, 1 | 0x800); // O_WRONLY | O_NONBLOCK: fails at once when nobody waits to read
        if (fd >= 0)
        {
            _ = NativeMethods.close(fd);
        }
    }

    /// <summary>Hands each regular file on only after <c>swap</c> has replaced it on disk: the window between stat and open, held open.</summary>
    private sealed class SwapAfterStatSource(IBackupSource inner, Action<string> swap) : IBackupSource
    {
        public string Kind => inner.Kind;

        public IReadOnlyList<string> Paths => inner.Paths;

        public async IAsyncEnumerable<SourceEntry> ReadEntriesAsync(SourceContext context, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await foreach (var entry in inner.ReadEntriesAsync(context, cancellationToken))
            {
                if (entry.OpenContentAsync is not null)
                {
                    swap("/" + entry.Path);
                }

                yield return entry;
            }
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    private static class NativeMethods
    {
        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true, CharSet = System.Runtime.InteropServices.CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        internal static extern int open(string path, int flags);

        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
        internal static extern int close(int fd);
    }
}
