using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Backup.Core;
using Backup.Core.Crypto;
using Backup.Core.Maintenance;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Restore;
using Backup.Core.Sources;
using Backup.Core.Sources.FileSystem;
using Backup.Core.Storage;
using Backup.Core.Verification;

namespace Backup.Files.Tests;

/// <summary>
/// Faults of the real world, met for real: a repository disk that fills up, a restore target that fills up, a source
/// file system that vanishes mid-backup, and storage that refuses writes.
/// </summary>
public class FullDiskTests
{
    private const int PackSize = 4 * 1024 * 1024;
    private const int FileSize = 3 * 1024 * 1024;

    private static readonly BackupOptions Options = new() { Hostname = "test-host", FilesInFlight = 2, EncodeWorkers = 2 };

    [SkippableFact]
    public async Task A_backup_into_a_full_disk_fails_naming_it_writes_no_snapshot_and_the_next_run_after_freeing_space_reuses_what_was_stored()
    {
        using var disk = SmallFileSystem.TryMount("12m", out var whyNot);
        Skip.If(disk is null, whyNot);
        using var source = new TempDirectory();
        var sourceBytes = WriteRandomFiles(source.Path, count: 8); // 24 MiB that does not compress: twice the disk
        var repositoryPath = Path.Combine(disk.Path, "repo");
        var (key, error) = await FillAsync(repositoryPath, source.Path);
        error.OverQuota.Should().BeFalse();
        error.Message.Should().Contain(repositoryPath).And.Contain("full").And.Contain("no space is left on the device");
        var leftBehind = FilesUnder(Path.Combine(repositoryPath, "data")).Sum(f => new FileInfo(f).Length);
        leftBehind.Should().BeGreaterThanOrEqualTo(PackSize, "packs completed before the disk filled stay, to be reused");

        await using (var repository = await BackupRepository.OpenAsync(new LocalDirectoryTarget(repositoryPath), RepositoryCredentials.FromKeyFile(key)))
        {
            var check = await new VerificationService(repository).CheckAsync(new CheckOptions { ReadData = true });
            check.IsSuccess.Should().BeTrue(string.Join("; ", check.Problems));
            check.Problems.Should().OnlyContain(p => p.Kind == CheckProblemKind.UnindexedPack && p.Severity != ProblemSeverity.Error, "packs of the failed run are only not indexed yet");
        }

        disk.Resize("64m");
        await using (var repository = await BackupRepository.OpenAsync(new LocalDirectoryTarget(repositoryPath), RepositoryCredentials.FromKeyFile(key)))
        {
            var result = await new BackupService(repository).BackupAsync(new FileSystemSource([source.Path]), Options);

            result.IsComplete.Should().BeTrue();
            result.Snapshot.Statistics!.BytesStored.Should().BeLessThanOrEqualTo(sourceBytes + (sourceBytes / 100) - leftBehind, "what the failed run stored is reused, not uploaded again");
            var check = await new VerificationService(repository).CheckAsync(new CheckOptions { ReadData = true });
            check.Problems.Should().BeEmpty();

            using var restored = new TempDirectory();
            var restore = await new RestoreService(repository).RestoreAsync(result.Snapshot, restored.Path);
            restore.IsComplete.Should().BeTrue();
            foreach (var file in Directory.EnumerateFiles(source.Path))
            {
                (await File.ReadAllBytesAsync(restored.Restored(file))).Should().Equal(await File.ReadAllBytesAsync(file));
            }
        }
    }

    [SkippableFact]
    public async Task A_backup_into_a_full_ext4_disk_written_directly_fails_naming_it_and_what_it_stored_reads_back()
    {
        // ext4, unlike tmpfs, takes the local repository's direct writes: the disk fills during one of them.
        using var disk = SmallFileSystem.TryMountExt4("24M", out var whyNot);
        Skip.If(disk is null, whyNot);
        using var source = new TempDirectory();
        WriteRandomFiles(source.Path, count: 12); // 36 MiB that does not compress: past the disk
        var repositoryPath = Path.Combine(disk.Path, "repo");
        var (key, error) = await FillAsync(repositoryPath, source.Path);
        error.Message.Should().Contain(repositoryPath).And.Contain("no space is left on the device");
        FilesUnder(Path.Combine(repositoryPath, "data")).Should().NotBeEmpty("packs completed before the disk filled stay");
        await using (var repository = await BackupRepository.OpenAsync(new LocalDirectoryTarget(repositoryPath), RepositoryCredentials.FromKeyFile(key)))
        {
            var check = await new VerificationService(repository).CheckAsync(new CheckOptions { ReadData = true });
            check.IsSuccess.Should().BeTrue(string.Join("; ", check.Problems));
            check.Problems.Should().OnlyContain(p => p.Kind == CheckProblemKind.UnindexedPack && p.Severity != ProblemSeverity.Error, "the stored packs read back whole, only not indexed yet");
        }
    }

    [SkippableFact]
    public async Task A_backup_over_a_real_disk_quota_fails_naming_the_quota_and_the_next_run_after_raising_it_reuses_what_was_stored()
    {
        using var quota = QuotaFileSystem.TryCreate("20M", out var whyNot); // room for a pack or two to complete before the quota (btrfs reserves ahead of writes)
        Skip.If(quota is null, whyNot);
        using var source = new TempDirectory();
        var sourceBytes = WriteRandomFiles(source.Path, count: 12); // 36 MiB that does not compress: well past the quota
        var repositoryPath = Path.Combine(quota.Path, "repo");
        var (key, error) = await FillAsync(repositoryPath, source.Path);
        error.OverQuota.Should().BeTrue("btrfs reports EDQUOT past a quota-group limit");
        error.Message.Should().Contain(repositoryPath).And.Contain("the disk quota is exceeded");
        var leftBehind = FilesUnder(Path.Combine(repositoryPath, "data")).Sum(f => new FileInfo(f).Length);
        leftBehind.Should().BeGreaterThanOrEqualTo(PackSize, "packs completed before the quota was reached stay, to be reused");

        quota.SetLimit("none");
        await using (var repository = await BackupRepository.OpenAsync(new LocalDirectoryTarget(repositoryPath), RepositoryCredentials.FromKeyFile(key)))
        {
            var result = await new BackupService(repository).BackupAsync(new FileSystemSource([source.Path]), Options);

            result.IsComplete.Should().BeTrue();
            result.Snapshot.Statistics!.BytesStored.Should().BeLessThanOrEqualTo(sourceBytes + (sourceBytes / 100) - leftBehind, "what the failed run stored is reused, not uploaded again");
            var check = await new VerificationService(repository).CheckAsync(new CheckOptions { ReadData = true });
            check.Problems.Should().BeEmpty();
        }
    }

    [SkippableFact]
    public async Task A_restore_into_a_full_disk_stops_with_an_error_that_names_what_was_not_written_and_leaves_no_partial_file()
    {
        using var disk = SmallFileSystem.TryMount("8m", out var whyNot);
        Skip.If(disk is null, whyNot);
        using var source = new TempDirectory();
        WriteRandomFiles(Path.Combine(source.Path, "a"), count: 2);
        WriteRandomFiles(Path.Combine(source.Path, "b"), count: 2);
        WriteRandomFiles(Path.Combine(source.Path, "c"), count: 2);
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.BackupAsync(source.Path)).Snapshot;
        var target = Path.Combine(disk.Path, "restore");

        var restore = async () => await new RestoreService(repo.Repository).RestoreAsync(snapshot, target, new RestoreOptions { Parallelism = 1 });

        var error = (await restore.Should().ThrowAsync<RestoreTargetFullException>()).Which;
        error.TargetDirectory.Should().Be(target);
        error.OverQuota.Should().BeFalse();
        error.Message.Should().Contain(target).And.Contain("no space is left on the device").And.Contain("not written");
        error.InnerException.Should().BeAssignableTo<IOException>();
        error.Result.Files.Should().BeGreaterThan(0, "what fits is restored");
        error.Result.Files.Should().BeLessThan(6);
        error.Result.Bytes.Should().Be(error.Result.Files * FileSize, "the bytes of the files that were removed again do not count as restored");
        error.NotWritten.Should().NotBeEmpty();
        error.Message.Should().Contain($"{error.NotWritten.Count} entr");
        var prefix = source.Path.TrimStart('/');
        foreach (var name in new[] { "a", "b", "c" })
        {
            for (var i = 0; i < 2; i++)
            {
                var relative = $"{prefix}/{name}/file{i}";
                var restored = Path.Combine(target, relative);
                var complete = File.Exists(restored);
                var listed = error.NotWritten.Any(p => p.Path == relative || p.Path == $"{prefix}/{name}");
                complete.Should().NotBe(listed, $"{relative} is either restored or listed as not written");
                if (complete)
                {
                    (await File.ReadAllBytesAsync(restored)).Should().Equal(await File.ReadAllBytesAsync(Path.Combine(source.Path, name, $"file{i}")), "no file is left partly written");
                }
            }
        }

        Directory.EnumerateFiles(target, "*", SearchOption.AllDirectories).Should().OnlyContain(f => !f.Contains(".partial", StringComparison.Ordinal) && !Path.GetFileName(f).StartsWith('.'));
    }

    [SkippableFact]
    public async Task A_source_file_system_that_vanishes_mid_backup_gives_a_partial_snapshot_naming_what_was_lost()
    {
        using var disk = SmallFileSystem.TryMount("8m", out var whyNot);
        Skip.If(disk is null, whyNot);
        foreach (var name in new[] { "a", "b", "c" })
        {
            Directory.CreateDirectory(Path.Combine(disk.Path, name));
            for (var i = 0; i < 3; i++)
            {
                await File.WriteAllTextAsync(Path.Combine(disk.Path, name, $"file{i}"), $"{name}{i}");
            }
        }

        await using var repo = await TestRepository.CreateAsync();
        var source = new VanishingSource(new FileSystemSource([disk.Path]), trigger: "/a/file0", disk.Vanish);

        var result = await repo.BackupAsync(source);

        result.Snapshot.Partial.Should().BeTrue();
        result.Problems.Should().NotBeEmpty();
        result.Problems.Should().Contain(p => p.Path.Contains("/b", StringComparison.Ordinal)).And.Contain(p => p.Path.Contains("/c", StringComparison.Ordinal));
        result.Snapshot.Problems.Should().HaveCount(result.Problems.Count);
        var check = await new VerificationService(repo.Repository).CheckAsync(new CheckOptions());
        check.IsSuccess.Should().BeTrue(string.Join("; ", check.Problems));
    }

    [Fact]
    public async Task A_backup_of_paths_that_all_vanished_fails_naming_them_instead_of_storing_an_empty_snapshot()
    {
        using var temp = new TempDirectory();
        var gone = temp.Sub("unmounted");
        await using var repo = await TestRepository.CreateAsync();

        var backup = async () => await repo.BackupAsync(gone);

        (await backup.Should().ThrowAsync<BackupSourceException>()).Which.Message.Should().Contain(gone).And.Contain("none of the paths to back up exists");
        var snapshots = new List<Backup.Core.Snapshots.Snapshot>();
        await foreach (var snapshot in repo.Repository.Snapshots.ListAsync(static (_, _) => { }))
        {
            snapshots.Add(snapshot);
        }

        snapshots.Should().BeEmpty();
    }

    [SkippableFact]
    public async Task A_repository_that_refuses_writes_fails_the_backup_with_a_permission_error_naming_the_path_not_as_a_source_problem()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && Environment.UserName == "root", "chattr +i needs root on Linux");
        using var place = new TempDirectory();
        using var source = new TempDirectory();
        WriteRandomFiles(source.Path, count: 1);
        var repositoryPath = Path.Combine(place.Path, "repo");
        var key = RepositoryCredentials.GenerateKeyFile();
        await using var repository = await BackupRepository.InitAsync(new LocalDirectoryTarget(repositoryPath), RepositoryCredentials.FromKeyFile(key));
        var data = Path.Combine(repositoryPath, "data");
        Directory.CreateDirectory(data);
        try
        {
            // Immutable: even root may not add to it (EPERM), as a repository mounted read-only for this user would refuse.
            Shell.Run("chattr", "+i", data);
        }
        catch (InvalidOperationException ex)
        {
            Skip.If(true, $"chattr +i is not supported here: {ex.Message}");
        }

        try
        {
            var backup = async () => await new BackupService(repository).BackupAsync(new FileSystemSource([source.Path]), Options);

            var error = (await backup.Should().ThrowAsync<BackupTargetException>()).Which;
            error.Should().NotBeOfType<StorageFullException>();
            error.Message.Should().Contain("permission denied").And.Contain(repositoryPath);
            FilesUnder(Path.Combine(repositoryPath, "snapshots")).Should().BeEmpty();
            FilesUnder(Path.Combine(repositoryPath, ".tmp")).Should().BeEmpty("the pack that could not be put in place is removed");
        }
        finally
        {
            Shell.Run("chattr", "-i", data);
        }
    }

    [Theory]
    [InlineData(28, false)]
    [InlineData(122, true)]
    public void A_full_disk_or_an_exceeded_quota_is_recognised_by_its_error_number(int errno, bool overQuota)
    {
        var io = new IOException("No space left on device : '/mnt/x'", errno);

        StorageFullException.IsFull(new BackupTargetException("wrapped", io), out var quota).Should().BeTrue();
        quota.Should().Be(overQuota);
        StorageFullException.IsFull(new IOException("Input/output error", 5), out _).Should().BeFalse();
        StorageFullException.IsFull(new UnauthorizedAccessException("denied"), out _).Should().BeFalse();
        new StorageFullException("local directory '/mnt/x'", overQuota).Message.Should().Be(overQuota
            ? "Local directory '/mnt/x' is full: the disk quota is exceeded."
            : "Local directory '/mnt/x' is full: no space is left on the device.");
    }

    /// <summary>
    /// Prune writes the packs it rewrites before it deletes the old ones, so on a nearly full disk it fails: the packs it
    /// managed to write must go with it, or each retry finds even less room.
    /// </summary>
    [SkippableFact]
    public async Task A_prune_that_fills_the_disk_removes_the_packs_it_wrote_and_runs_once_space_is_freed()
    {
        using var disk = SmallFileSystem.TryMount("64m", out var whyNot);
        Skip.If(disk is null, whyNot);
        using var source = new TempDirectory();
        WriteRandomFiles(source.Path, count: 10);
        var repositoryPath = Path.Combine(disk.Path, "repo");
        var credentials = RepositoryCredentials.FromKeyFile(RepositoryCredentials.GenerateKeyFile());
        await using (var repository = await BackupRepository.InitAsync(new LocalDirectoryTarget(repositoryPath), credentials, new RepositoryInitOptions { PackSize = PackSize }))
        {
            var all = await new BackupService(repository).BackupAsync(new FileSystemSource([source.Path]), Options);
            foreach (var odd in new[] { 1, 3, 5, 7, 9 })
            {
                File.Delete(Path.Combine(source.Path, $"file{odd}"));
            }

            await new BackupService(repository).BackupAsync(new FileSystemSource([source.Path]), Options);
            await repository.Snapshots.DeleteAsync(all.Snapshot.Id);
        }

        var packsBefore = FilesUnder(Path.Combine(repositoryPath, "data")).ToHashSet();
        var filler = Path.Combine(disk.Path, "filler");
        await File.WriteAllBytesAsync(filler, new byte[new DriveInfo(disk.Path).AvailableFreeSpace - (9 * 1024 * 1024)]);
        var prune = new PruneOptions { RepackThreshold = 0 }; // every partly used pack is rewritten: over 9 MiB of the 15 MiB kept, in packs of 4 MiB and a chunk, into 9 MiB

        await using (var repository = await BackupRepository.OpenAsync(new LocalDirectoryTarget(repositoryPath), credentials))
        {
            var failed = () => new MaintenanceService(repository).PruneAsync(prune);
            await failed.Should().ThrowAsync<StorageFullException>();
        }

        FilesUnder(Path.Combine(repositoryPath, "data")).Should().BeEquivalentTo(packsBefore, "the packs the failed prune wrote are removed, the old ones all kept");
        File.Delete(filler);
        await using (var repository = await BackupRepository.OpenAsync(new LocalDirectoryTarget(repositoryPath), credentials))
        {
            (await new MaintenanceService(repository).PruneAsync(prune)).PacksRewritten.Should().BeGreaterThan(0);
            var check = await new VerificationService(repository).CheckAsync(new CheckOptions { ReadData = true });
            check.Problems.Should().BeEmpty();
        }
    }

    /// <summary>The files below <paramref name="directory"/>; none when it was never made.</summary>
    /// <summary>
    /// Makes a repository at <paramref name="repositoryPath"/> and backs <paramref name="source"/> up into it until its
    /// storage is full: the backup must fail as <see cref="StorageFullException"/>, leaving no snapshot and no partly
    /// written object. Returns the repository's key file and the failure.
    /// </summary>
    private static async Task<(byte[] Key, StorageFullException Error)> FillAsync(string repositoryPath, string source)
    {
        var key = RepositoryCredentials.GenerateKeyFile();
        await (await BackupRepository.InitAsync(new LocalDirectoryTarget(repositoryPath), RepositoryCredentials.FromKeyFile(key), new RepositoryInitOptions { PackSize = PackSize })).DisposeAsync();
        StorageFullException error;
        await using (var repository = await BackupRepository.OpenAsync(new LocalDirectoryTarget(repositoryPath), RepositoryCredentials.FromKeyFile(key)))
        {
            var failed = async () => await new BackupService(repository).BackupAsync(new FileSystemSource([source]), Options);
            error = (await failed.Should().ThrowAsync<StorageFullException>()).Which;
        }

        FilesUnder(Path.Combine(repositoryPath, "snapshots")).Should().BeEmpty("no snapshot is written unless its data and index are stored");
        FilesUnder(Path.Combine(repositoryPath, ".tmp")).Should().BeEmpty("partly written objects are removed");
        return (key, error);
    }

    private static IEnumerable<string> FilesUnder(string directory) =>
        Directory.Exists(directory) ? Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories) : [];

    /// <summary>Writes <paramref name="count"/> files of random bytes (which do not compress) into <paramref name="directory"/>; returns their total size.</summary>
    private static long WriteRandomFiles(string directory, int count)
    {
        Directory.CreateDirectory(directory);
        for (var i = 0; i < count; i++)
        {
            File.WriteAllBytes(Path.Combine(directory, $"file{i}"), RandomNumberGenerator.GetBytes(FileSize));
        }

        return (long)count * FileSize;
    }

    /// <summary>Runs <paramref name="vanish"/> once the entry ending in <paramref name="trigger"/> has been read: the file system goes away mid-walk.</summary>
    private sealed class VanishingSource(IBackupSource inner, string trigger, Action vanish) : IBackupSource
    {
        public string Kind => inner.Kind;

        public IReadOnlyList<string> Paths => inner.Paths;

        public async IAsyncEnumerable<SourceEntry> ReadEntriesAsync(SourceContext context, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var vanished = false;
            await foreach (var entry in inner.ReadEntriesAsync(context, cancellationToken))
            {
                yield return entry;
                if (!vanished && entry.Path.EndsWith(trigger, StringComparison.Ordinal))
                {
                    vanished = true;
                    vanish();
                }
            }
        }
    }
}
