using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;
using Backup.Core.Verification;

namespace Backup.Core.Tests;

/// <summary>
/// Someone with write access to a local repository puts a FIFO where an object is listed (a lock, a key, a snapshot).
/// Opening a FIFO for reading waits for a writer that never comes, in a system call no cancellation or SIGTERM ends:
/// every backup, check and restore would hang for good, and a scheduled job would never report it. The object must
/// read as the damaged object it is instead.
/// </summary>
public sealed class PlantedSpecialFileTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly Crypto.RepositoryCredentials _credentials = TestRepository.NewKeyFile();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_fifo_planted_as_a_lock_key_or_snapshot_is_reported_and_nothing_waits_for_it()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        await using (var repository = await TestRepository.InitAsync(new LocalDirectoryTarget(_directory.Path), _credentials))
        {
            await TestRepository.BackupBytesAsync(repository, "first.bin", TestRepository.RandomBytes(100_000, seed: 61));
        }

        string[] planted = [RepositoryLayout.LocksPrefix + new string('f', 32), RepositoryLayout.KeysPrefix + new string('f', 32), RepositoryLayout.SnapshotsPrefix + new string('f', 64)];
        var fifos = planted.Select(key => Path.Combine(_directory.Path, key)).ToList();
        foreach (var fifo in fifos)
        {
            using var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo)!;
            await mkfifo.WaitForExitAsync();
        }

        try
        {
            // Guards, not timings: without the fix each of these waits forever.
            var guard = TimeSpan.FromSeconds(60);
            await using var repository = await BackupRepository.OpenAsync(new LocalDirectoryTarget(_directory.Path), _credentials).WaitAsync(guard);
            repository.SkippedKeys.Should().Contain(k => k.Id == new string('f', 32));

            var second = await TestRepository.BackupBytesAsync(repository, "second.bin", TestRepository.RandomBytes(100_000, seed: 62)).WaitAsync(guard);
            (await TestRepository.RestoreAsync(repository, second.Snapshot).WaitAsync(guard)).Length.Should().Be(100_000);

            var check = await new VerificationService(repository).CheckAsync(new CheckOptions()).WaitAsync(guard);
            check.Problems.Should().Contain(p => p.Kind == CheckProblemKind.KeyDamaged && p.Object == planted[1]);
            check.Problems.Should().Contain(p => p.Kind == CheckProblemKind.SnapshotDamaged && p.Object == planted[2]);
        }
        finally
        {
            // Lets an open stuck on a FIFO (the bug) return, so the test process is not left with a blocked thread.
            foreach (var fifo in fifos)
            {
                using (new FileStream(fifo, FileMode.Open, FileAccess.ReadWrite))
                {
                }
            }
        }
    }

    /// <summary>
    /// Two links in data/ back to the repository's directory make a listing that follows every directory link walk
    /// 2^n paths n levels down (until paths reach the system's length limit): the backup, check and restore that list
    /// data/ would never end. A directory is listed once, however many links lead to it.
    /// </summary>
    [Fact]
    public async Task Directory_links_that_lead_back_up_are_walked_once_and_nothing_lists_for_ever()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        await using (var repository = await TestRepository.InitAsync(new LocalDirectoryTarget(_directory.Path), _credentials))
        {
            await TestRepository.BackupBytesAsync(repository, "first.bin", TestRepository.RandomBytes(100_000, seed: 63));
        }

        string[] links = [Path.Combine(_directory.Path, "data", "up"), Path.Combine(_directory.Path, "data", "again"), Path.Combine(_directory.Path, "data", "self")];
        File.CreateSymbolicLink(links[0], "..");
        File.CreateSymbolicLink(links[1], "..");
        File.CreateSymbolicLink(links[2], ".");
        try
        {
            // Guards, not timings: without the fix each of these runs until the paths grow too long, which is never here.
            // The listing is synchronous below its async surface, so each runs on the thread pool for the guard to see.
            var guard = TimeSpan.FromSeconds(60);
            var target = new LocalDirectoryTarget(_directory.Path);
            var listed = await Task.Run(() => target.ListAsync(RepositoryLayout.DataPrefix).Select(i => i.Key).ToListAsync().AsTask()).WaitAsync(guard);
            listed.Should().OnlyHaveUniqueItems().And.NotContain(k => k.StartsWith("data/self/", StringComparison.Ordinal) || k.Contains("/data/", StringComparison.Ordinal));
            var throughLinks = listed.Where(k => k.StartsWith("data/up/", StringComparison.Ordinal) || k.StartsWith("data/again/", StringComparison.Ordinal)).Select(k => k.Split('/')[1]).Distinct();
            throughLinks.Should().ContainSingle("the repository's directory is walked once, through whichever of its two links comes first");

            await using var repository = await Task.Run(() => BackupRepository.OpenAsync(target, _credentials)).WaitAsync(guard);
            var second = await Task.Run(() => TestRepository.BackupBytesAsync(repository, "second.bin", TestRepository.RandomBytes(100_000, seed: 64))).WaitAsync(guard);
            (await Task.Run(() => TestRepository.RestoreAsync(repository, second.Snapshot)).WaitAsync(guard)).Length.Should().Be(100_000);
            (await Task.Run(() => new VerificationService(repository).CheckAsync(new CheckOptions())).WaitAsync(guard)).IsSuccess.Should().BeTrue();
        }
        finally
        {
            // Ends a walk still under way (the bug) by taking its links away, so the test process is not left busy.
            foreach (var link in links)
            {
                File.Delete(link);
            }
        }
    }

    /// <summary>
    /// A link in data/ to one of its own directories (data/zz -> 78), met before the directory itself, took its place:
    /// the directory was then walked once, through the link, so its packs were listed only under the link's name, and
    /// check reported them missing and advised repairs that drop snapshots. Real directories come first.
    /// </summary>
    [Fact]
    public async Task A_link_to_a_directory_of_data_never_hides_the_directory_itself()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        await using (var repository = await TestRepository.InitAsync(new LocalDirectoryTarget(_directory.Path), _credentials))
        {
            await TestRepository.BackupBytesAsync(repository, "first.bin", TestRepository.RandomBytes(100_000, seed: 65));
        }

        var target = new LocalDirectoryTarget(_directory.Path);
        var before = await target.ListAsync(RepositoryLayout.DataPrefix).Select(i => i.Key).ToListAsync();
        var data = Path.Combine(_directory.Path, "data");
        var real = Directory.GetDirectories(data).Select(Path.GetFileName).ToList();

        // Many names, so some come before the real directories in the order the directory is read, whatever it is.
        var links = Enumerable.Range(0, 32).Select(i => Path.Combine(data, $"{i:x2}link")).ToList();
        foreach (var link in links)
        {
            File.CreateSymbolicLink(link, real[0]!);
        }

        var listed = await target.ListAsync(RepositoryLayout.DataPrefix).Select(i => i.Key).ToListAsync();

        listed.Should().Contain(before, "every pack is listed under its own name");
        await using var reopened = await BackupRepository.OpenAsync(target, _credentials);
        (await new VerificationService(reopened).CheckAsync(new CheckOptions())).Errors.Should().BeEmpty();
    }
}
