using System.Text;
using Backup.Core.Pipeline;
using Backup.Core.Repository;

namespace Backup.Files.Tests;

/// <summary>
/// A user who can write in the backed-up tree keeps swapping files for symlinks or FIFOs while backups run, so that
/// some are swapped between the backup's stat and its open: the backup must neither read through the link nor wait on
/// the FIFO, and reports those paths instead.
/// </summary>
public sealed class SwappedFileTests : IDisposable
{
    private const int Victims = 48;
    private const int MaxBackups = 25;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_file_swapped_for_a_symlink_to_a_secret_never_puts_the_secret_in_a_snapshot()
    {
        var secret = Encoding.ASCII.GetBytes("SECRET-" + Convert.ToHexString(Guid.NewGuid().ToByteArray()) + "-ONLY-ROOT-READS-THIS");
        var secretPath = _temp.Sub("secret");
        await File.WriteAllBytesAsync(secretPath, secret);
        File.SetUnixFileMode(secretPath, UnixFileMode.UserRead);
        var (source, spares) = CreateVictims(i => File.CreateSymbolicLink(Path.Combine(_temp.Sub("spare"), $"swap{i}"), secretPath));

        await using var repo = await TestRepository.CreateAsync();
        var (results, hits) = await BackupWhileSwappingAsync(repo, source, spares, p => p.Reason.Contains("symlink", StringComparison.Ordinal));

        foreach (var (id, location) in repo.Repository.Blobs.Index.ToList())
        {
            if (location.Type == BlobType.Data)
            {
                var blob = await repo.Repository.Blobs.ReadBlobAsync(id);
                blob.AsSpan().IndexOf(secret).Should().Be(-1, "nothing outside the backed-up paths may be stored");
            }
        }

        hits.Should().BePositive("the swap must have landed between a stat and an open at least once for the test to mean anything");
        results.Should().NotBeEmpty();
    }

    [Fact]
    public async Task A_file_swapped_for_a_fifo_is_reported_and_the_backup_does_not_hang()
    {
        Shell.Run("mkfifo", _temp.Sub("fifo-outside-the-swap"));
        var (source, spares) = CreateVictims(i => Shell.Run("mkfifo", Path.Combine(_temp.Sub("spare"), $"swap{i}")));
        Shell.Run("mkfifo", Path.Combine(source, "a-fifo-that-stays"));

        await using var repo = await TestRepository.CreateAsync();
        try
        {
            var (results, hits) = await BackupWhileSwappingAsync(repo, source, spares, p => p.Reason.Contains("regular file", StringComparison.Ordinal));

            hits.Should().BePositive("the swap must have landed between a stat and an open at least once for the test to mean anything");
            results.Should().Contain(r => !r.IsComplete, "a file that could not be read makes the backup partial");
        }
        finally
        {
            // A backup stuck in open(2) on a FIFO (before the fix) is released by a writer, so the test run can end.
            for (var i = 0; i < Victims; i++)
            {
                foreach (var path in new[] { Path.Combine(source, $"file{i}"), Path.Combine(_temp.Sub("spare"), $"swap{i}") })
                {
                    ReleaseReader(path);
                }
            }
        }
    }

    /// <summary>A source directory of small regular files and, beside it, what each is swapped with.</summary>
    private (string Source, string Spares) CreateVictims(Action<int> createSwap)
    {
        var source = _temp.Sub("source");
        var spares = _temp.Sub("spare");
        Directory.CreateDirectory(source);
        Directory.CreateDirectory(spares);
        for (var i = 0; i < Victims; i++)
        {
            File.WriteAllText(Path.Combine(source, $"file{i}"), $"innocent content {i}");
            createSwap(i);
        }

        return (source, spares);
    }

    /// <summary>
    /// Runs backups while a thread swaps every file with its spare by renames (atomic, as an attacker would), until a
    /// backup reported a swap it caught (or <see cref="MaxBackups"/> ran). A hung backup fails the test through the
    /// guard instead of hanging the run.
    /// </summary>
    private static async Task<(List<BackupResult> Results, int Hits)> BackupWhileSwappingAsync(TestRepository repo, string source, string spares, Func<Backup.Core.Sources.SourceProblem, bool> caught)
    {
        using var stop = new CancellationTokenSource();
        var swapper = Task.Factory.StartNew(() => Swap(source, spares, stop.Token), TaskCreationOptions.LongRunning);
        var results = new List<BackupResult>();
        var hits = 0;
        try
        {
            for (var i = 0; i < MaxBackups && (hits == 0 || i < 3); i++)
            {
                var result = await repo.BackupAsync(source).WaitAsync(TimeSpan.FromMinutes(2));
                results.Add(result);
                hits += result.Problems.Count(caught);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await swapper;
        }

        return (results, hits);
    }

    /// <summary>Every file is its swap about half of the time: all are swapped in, then all put back, and again.</summary>
    private static void Swap(string source, string spares, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            for (var i = 0; i < Victims; i++)
            {
                File.Move(Path.Combine(source, $"file{i}"), Path.Combine(spares, $"parked{i}"));
                File.Move(Path.Combine(spares, $"swap{i}"), Path.Combine(source, $"file{i}"));
            }

            Thread.Sleep(1);
            for (var i = 0; i < Victims; i++)
            {
                File.Move(Path.Combine(source, $"file{i}"), Path.Combine(spares, $"swap{i}"));
                File.Move(Path.Combine(spares, $"parked{i}"), Path.Combine(source, $"file{i}"));
            }

            Thread.Sleep(1);
        }
    }

    private static void ReleaseReader(string path)
    {
        var fd = NativeMethods.open(path, 1 | 0x800); // O_WRONLY | O_NONBLOCK: fails at once when nobody waits to read
        if (fd >= 0)
        {
            _ = NativeMethods.close(fd);
        }
    }

    private static class NativeMethods
    {
        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true, CharSet = System.Runtime.InteropServices.CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        internal static extern int open(string path, int flags);

        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
        internal static extern int close(int fd);
    }
}
