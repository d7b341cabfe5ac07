using System.IO.Abstractions.TestingHelpers;
using System.Runtime.CompilerServices;
using Backup.Core.Crypto;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Restore;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Core.Sources.FileSystem;
using Backup.Core.Storage;
using Backup.Core;
using Backup.Core.Repository.Locks;

namespace Backup.Files.Tests;

public class RestoreBehaviorTests
{
    private static readonly byte[] Payload = [.. Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7 % 251))];

    /// <summary>Removes a file after the source has listed it and before the backup reads it.</summary>
    private sealed class VanishingSource(IBackupSource inner, string victim) : IBackupSource
    {
        public string Kind => inner.Kind;

        public IReadOnlyList<string> Paths => inner.Paths;

        public async IAsyncEnumerable<SourceEntry> ReadEntriesAsync(SourceContext context, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await foreach (var entry in inner.ReadEntriesAsync(context, cancellationToken))
            {
                if (entry.Path.EndsWith("/" + Path.GetFileName(victim), StringComparison.Ordinal))
                {
                    File.Delete(victim);
                }

                yield return entry;
            }
        }
    }

    private static async Task<(TempDirectory Source, string Root)> CreateTreeAsync()
    {
        var source = new TempDirectory();
        var root = source.Sub("tree");
        Directory.CreateDirectory(Path.Combine(root, "sub/deeper"));
        Directory.CreateDirectory(Path.Combine(root, "other"));
        await File.WriteAllTextAsync(Path.Combine(root, "top.txt"), "top");
        await File.WriteAllTextAsync(Path.Combine(root, "sub/a.txt"), "a");
        await File.WriteAllTextAsync(Path.Combine(root, "sub/deeper/b.txt"), "b");
        await File.WriteAllTextAsync(Path.Combine(root, "other/c.txt"), "c");
        return (source, root);
    }

    [Fact]
    public async Task A_file_that_vanishes_before_it_is_read_is_named_in_the_problems_and_the_snapshot_is_partial()
    {
        var (source, root) = await CreateTreeAsync();
        using var _ = source;
        await using var repo = await TestRepository.CreateAsync();
        var victim = Path.Combine(root, "sub/a.txt");

        var result = await repo.BackupAsync(new VanishingSource(new FileSystemSource([root]), victim));

        result.IsComplete.Should().BeFalse();
        result.Problems.Should().ContainSingle(p => p.Path.EndsWith("sub/a.txt", StringComparison.Ordinal));
        result.Snapshot.Partial.Should().BeTrue();
        result.Snapshot.Problems.Should().ContainSingle(p => p.Contains("a.txt"));
        (await SnapshotWalker.FindAsync(repo.Repository.Snapshots, result.Snapshot, root + "/top.txt")).Should().NotBeNull();
        (await SnapshotWalker.FindAsync(repo.Repository.Snapshots, result.Snapshot, root + "/sub/a.txt")).Should().BeNull();
    }

    [Fact]
    public async Task A_file_that_cannot_be_opened_on_a_mock_file_system_is_reported()
    {
        var fs = new MockFileSystem(new Dictionary<string, MockFileData>
        {
            ["/data/locked.bin"] = new([1, 2, 3]) { AllowedFileShare = FileShare.None },
            ["/data/open.bin"] = new([4, 5, 6]),
        });
        await using var repo = await TestRepository.CreateAsync();

        var result = await repo.BackupAsync(new FileSystemSource(["/data"], fileSystem: fs));

        result.Problems.Should().ContainSingle().Which.Path.Should().Be("/data/locked.bin", "a file system backup names every problem by absolute path, the source's reports and the read's alike");
        result.Snapshot.Partial.Should().BeTrue();
        result.Snapshot.Statistics.FilesRead.Should().Be(1);
    }

    [Theory]
    [InlineData(ExistingFileBehavior.Overwrite, "top")]
    [InlineData(ExistingFileBehavior.Skip, "local change")]
    public async Task Existing_files_are_overwritten_or_skipped(ExistingFileBehavior existing, string expected)
    {
        var (source, root) = await CreateTreeAsync();
        using var _ = source;
        using var target = new TempDirectory();
        await using var repo = await TestRepository.CreateAsync();
        var backup = await repo.BackupAsync(root);
        var service = new RestoreService(repo.Repository);
        await service.RestoreAsync(backup.Snapshot, target.Path);
        var restored = Path.Combine(target.Restored(root), "top.txt");
        await File.WriteAllTextAsync(restored, "local change");

        var result = await service.RestoreAsync(backup.Snapshot, target.Path, new RestoreOptions { Existing = existing });

        if (existing == ExistingFileBehavior.Skip)
        {
            result.Problems.Should().ContainSingle("a file left alone that is not the snapshot's is not passed off as restored")
                .Which.Should().Match<RestoreProblem>(p => p.Path.EndsWith("top.txt", StringComparison.Ordinal) && p.Remedy == RestoreProblemRemedy.OverwriteChanged
                    && p.Reason.Contains("ExistingFileBehavior.OverwriteChanged") && !p.Reason.Contains("--"));
        }
        else
        {
            result.Problems.Should().BeEmpty();
        }

        (await File.ReadAllTextAsync(restored)).Should().Be(expected);
        result.Files.Should().Be(existing == ExistingFileBehavior.Overwrite ? 4 : 0);
    }

    /// <summary>
    /// A restore killed mid-way leaves files under their own names, some empty, some cut short, with the time of the
    /// kill: resuming must replace those, keep what was finished, and never report a cut-short file as restored.
    /// </summary>
    [Fact]
    public async Task A_restore_that_was_killed_is_resumed_replacing_only_the_files_it_had_not_finished()
    {
        var (source, root) = await CreateTreeAsync();
        using var _ = source;
        await File.WriteAllBytesAsync(Path.Combine(root, "big.bin"), Payload);
        using var target = new TempDirectory();
        await using var repo = await TestRepository.CreateAsync();
        var backup = await repo.BackupAsync(root);
        var service = new RestoreService(repo.Repository);
        await service.RestoreAsync(backup.Snapshot, target.Path);
        var restored = target.Restored(root);
        using (var cut = new FileStream(Path.Combine(restored, "big.bin"), FileMode.Open))
        {
            cut.SetLength(1000); // cut short, with the time of the kill
        }

        await File.WriteAllBytesAsync(Path.Combine(restored, "sub/a.txt"), []); // created, nothing written yet
        var finished = Path.Combine(restored, "top.txt");
        var finishedTime = new FileInfo(finished).LastWriteTimeUtc;

        var skipping = await service.RestoreAsync(backup.Snapshot, target.Path, new RestoreOptions { Existing = ExistingFileBehavior.Skip });

        skipping.Problems.Select(p => Path.GetFileName(p.Path)).Should().BeEquivalentTo(["big.bin", "a.txt"], "both were left as they are, and neither is the snapshot's");
        new FileInfo(Path.Combine(restored, "big.bin")).Length.Should().Be(1000, "--skip-existing leaves what is there");

        var resumed = await service.RestoreAsync(backup.Snapshot, target.Path, new RestoreOptions { Existing = ExistingFileBehavior.OverwriteChanged });

        resumed.Problems.Should().BeEmpty();
        resumed.Files.Should().Be(2);
        resumed.Skipped.Should().Be(3, "top.txt, b.txt and c.txt were finished");
        (await File.ReadAllBytesAsync(Path.Combine(restored, "big.bin"))).Should().Equal(Payload);
        (await File.ReadAllTextAsync(Path.Combine(restored, "sub/a.txt"))).Should().Be("a");
        new FileInfo(finished).LastWriteTimeUtc.Should().Be(finishedTime);
    }

    /// <summary>
    /// A restore run as root into a tree others can write: between a killed restore and its resume, a user swaps a
    /// finished file for one of their own with the same size and time, or links it elsewhere. Resuming replaces it.
    /// </summary>
    [Fact]
    public async Task Resuming_replaces_a_file_of_the_right_size_and_time_whose_owner_mode_or_links_are_not_the_restores()
    {
        var (source, root) = await CreateTreeAsync();
        using var _ = source;
        using var target = new TempDirectory();
        await using var repo = await TestRepository.CreateAsync();
        var backup = await repo.BackupAsync(root);
        var service = new RestoreService(repo.Repository);
        await service.RestoreAsync(backup.Snapshot, target.Path);
        var restored = target.Restored(root);
        var swapped = Path.Combine(restored, "top.txt");
        var reference = Path.Combine(target.Path, "time-reference");
        await RunAsync("touch", "-r", swapped, reference); // to the nanosecond, as the swap needs
        File.Delete(swapped);
        await File.WriteAllTextAsync(swapped, "TOP"); // same size, other content
        File.SetUnixFileMode(swapped, (UnixFileMode)0x1FF);
        await RunAsync("touch", "-r", reference, swapped);
        var linked = Path.Combine(restored, "other/c.txt");
        await RunAsync("ln", linked, Path.Combine(target.Path, "second-name"));

        var resumed = await service.RestoreAsync(backup.Snapshot, target.Path, new RestoreOptions { Existing = ExistingFileBehavior.OverwriteChanged });

        resumed.Problems.Should().BeEmpty();
        (await File.ReadAllTextAsync(swapped)).Should().Be("top", "a file with the snapshot's size and time but not the restore's mode is replaced");
        resumed.Files.Should().Be(2, "top.txt and the twice-linked c.txt were restored again; a.txt and b.txt were kept");
        new FileInfo(Path.Combine(target.Path, "second-name")).Exists.Should().BeTrue("replacing renames over the name, never writes through another one");
    }

    [Fact]
    public async Task Hard_linked_files_a_restore_finished_are_left_by_skip_existing_without_a_word()
    {
        var (source, root) = await CreateTreeAsync();
        using var _ = source;
        await RunAsync("ln", Path.Combine(root, "top.txt"), Path.Combine(root, "other/top-again.txt"));
        using var target = new TempDirectory();
        await using var repo = await TestRepository.CreateAsync();
        var backup = await repo.BackupAsync(root);
        var service = new RestoreService(repo.Repository);
        (await service.RestoreAsync(backup.Snapshot, target.Path)).Problems.Should().BeEmpty();

        var again = await service.RestoreAsync(backup.Snapshot, target.Path, new RestoreOptions { Existing = ExistingFileBehavior.Skip });

        again.Problems.Should().BeEmpty("both names of the linked file are as the snapshot has them");
        again.Skipped.Should().Be(5);
    }

    private static async Task RunAsync(string file, params string[] arguments)
    {
        using var process = System.Diagnostics.Process.Start(file, arguments)!;
        await process.WaitForExitAsync();
        process.ExitCode.Should().Be(0, $"{file} {string.Join(' ', arguments)}");
    }

    [Fact]
    public async Task Existing_files_fail_the_restore_when_asked_and_the_file_is_untouched()
    {
        var (source, root) = await CreateTreeAsync();
        using var _ = source;
        using var target = new TempDirectory();
        await using var repo = await TestRepository.CreateAsync();
        var backup = await repo.BackupAsync(root);
        var restored = Path.Combine(target.Restored(root), "top.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(restored)!);
        await File.WriteAllTextAsync(restored, "local change");

        var act = () => new RestoreService(repo.Repository).RestoreAsync(backup.Snapshot, target.Path, new RestoreOptions { Existing = ExistingFileBehavior.Fail });

        (await act.Should().ThrowAsync<IOException>()).Which.Message.Should().Contain("top.txt");
        (await File.ReadAllTextAsync(restored)).Should().Be("local change");
    }

    [Fact]
    public async Task Include_restores_only_the_named_file_and_subtree_and_the_directories_leading_to_them()
    {
        var (source, root) = await CreateTreeAsync();
        using var _ = source;
        using var target = new TempDirectory();
        await using var repo = await TestRepository.CreateAsync();
        var backup = await repo.BackupAsync(root);
        var options = new RestoreOptions { Include = [root + "/top.txt", root.TrimStart('/') + "/sub/deeper"] };

        var result = await new RestoreService(repo.Repository).RestoreAsync(backup.Snapshot, target.Path, options);

        result.Problems.Should().BeEmpty();
        result.Files.Should().Be(2);
        var restoredRoot = target.Restored(root);
        Directory.EnumerateFileSystemEntries(restoredRoot, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(restoredRoot, p))
            .Should().BeEquivalentTo(["top.txt", "sub", "sub/deeper", "sub/deeper/b.txt"]);
        (await File.ReadAllTextAsync(Path.Combine(restoredRoot, "sub/deeper/b.txt"))).Should().Be("b");
    }

    [Fact]
    public async Task An_include_the_snapshot_does_not_hold_fails_before_anything_is_written()
    {
        var (source, root) = await CreateTreeAsync();
        using var _ = source;
        using var target = new TempDirectory();
        var into = Path.Combine(target.Path, "restore");
        await using var repo = await TestRepository.CreateAsync();
        var backup = await repo.BackupAsync(root);
        var options = new RestoreOptions { Include = [root + "/top.txt", root + "/sub/typo"] };

        var act = () => new RestoreService(repo.Repository).RestoreAsync(backup.Snapshot, into, options);

        // A mistyped path, or 'latest' being a snapshot of other paths, must not look like a restore that succeeded.
        (await act.Should().ThrowAsync<FileNotFoundException>()).Which.Message.Should()
            .Contain($"'{root}/sub/typo'").And.NotContain("top.txt").And.Contain($"(of '{root}')").And.Contain("nothing was restored");
        Directory.Exists(into).Should().BeFalse("the check comes before the target is created");
    }

    [Fact]
    public async Task A_target_that_is_a_file_is_refused_saying_so()
    {
        var (source, root) = await CreateTreeAsync();
        using var _ = source;
        using var target = new TempDirectory();
        var file = Path.Combine(target.Path, "a-file");
        await File.WriteAllTextAsync(file, "mine");
        await using var repo = await TestRepository.CreateAsync();
        var backup = await repo.BackupAsync(root);

        var act = () => new RestoreService(repo.Repository).RestoreAsync(backup.Snapshot, file);

        (await act.Should().ThrowAsync<IOException>()).Which.Message.Should().Contain("is a file, not a directory");
        (await File.ReadAllTextAsync(file)).Should().Be("mine");
    }

    [Fact]
    public async Task Restore_works_through_a_mock_file_system()
    {
        var (source, root) = await CreateTreeAsync();
        using var _ = source;
        await using var repo = await TestRepository.CreateAsync();
        var backup = await repo.BackupAsync(root);
        var fs = new MockFileSystem();

        var result = await new RestoreService(repo.Repository, fs).RestoreAsync(backup.Snapshot, "/restore");

        result.Problems.Should().BeEmpty();
        fs.File.ReadAllText("/restore" + root + "/sub/deeper/b.txt").Should().Be("b");
        fs.File.GetLastWriteTimeUtc("/restore" + root + "/top.txt").Should().Be(File.GetLastWriteTimeUtc(Path.Combine(root, "top.txt")));
    }

    [Fact]
    public async Task Cancellation_stops_the_restore_and_leaves_no_temporary_or_partial_files()
    {
        using var source = new TempDirectory();
        var root = source.Sub("many");
        Directory.CreateDirectory(root);
        for (var i = 0; i < 200; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(root, $"f{i:D3}"), new byte[10_000 + i]);
        }

        // Files of several chunks, so a cancellation can land in the middle of one.
        for (var i = 0; i < 4; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(root, $"f-large{i}"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(3 * 1024 * 1024));
        }

        await using var repo = await TestRepository.CreateAsync();
        var backup = await repo.BackupAsync(root);
        using var target = new TempDirectory();
        using var cts = new CancellationTokenSource();
        cts.CancelAfter(TimeSpan.FromMilliseconds(30));
        try
        {
            await new RestoreService(repo.Repository).RestoreAsync(backup.Snapshot, target.Path, new RestoreOptions { Parallelism = 1 }, null, cts.Token);
        }
        catch (OperationCanceledException)
        {
            // Expected on most runs; a fast machine may finish first, and then there is nothing to clean up either.
        }

        Directory.EnumerateFiles(target.Path, ".restore-*", SearchOption.AllDirectories).Should().BeEmpty();

        // New files are written under their own names: whatever is there must be whole, never cut short.
        foreach (var restored in Directory.EnumerateFiles(target.Path, "f*", SearchOption.AllDirectories))
        {
            new FileInfo(restored).Length.Should().Be(new FileInfo(Path.Combine(root, Path.GetFileName(restored))).Length, restored);
        }
    }

    [Fact]
    public async Task Files_with_the_same_content_are_each_restored_exactly_with_their_own_metadata()
    {
        using var source = new TempDirectory();
        var root = source.Sub("same");
        Directory.CreateDirectory(Path.Combine(root, "a"));
        Directory.CreateDirectory(Path.Combine(root, "b/c"));
        var large = System.Security.Cryptography.RandomNumberGenerator.GetBytes(3 * 1024 * 1024); // several chunks
        var small = System.Security.Cryptography.RandomNumberGenerator.GetBytes(100 * 1024); // one chunk
        var nearly = (byte[])large.Clone();
        nearly[^1] ^= 1; // the same size and all chunks but the last
        await File.WriteAllBytesAsync(Path.Combine(root, "a/lib.dll"), large);
        await File.WriteAllBytesAsync(Path.Combine(root, "b/lib.dll"), large);
        await File.WriteAllBytesAsync(Path.Combine(root, "b/c/lib-copy.dll"), large);
        File.SetUnixFileMode(Path.Combine(root, "b/c/lib-copy.dll"), UnixFileMode.UserRead | UnixFileMode.GroupRead);
        File.SetLastWriteTimeUtc(Path.Combine(root, "b/c/lib-copy.dll"), new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc));
        await File.WriteAllBytesAsync(Path.Combine(root, "b/c/nearly.dll"), nearly);
        await File.WriteAllBytesAsync(Path.Combine(root, "a/small"), small);
        await File.WriteAllBytesAsync(Path.Combine(root, "b/small"), small);
        await File.WriteAllBytesAsync(Path.Combine(root, "b/linked"), large);
        Shell.Run("ln", Path.Combine(root, "b/linked"), Path.Combine(root, "b/c/linked-too"));
        await using var repo = await TestRepository.CreateAsync();
        var backup = await repo.BackupAsync(root);
        using var target = new TempDirectory();

        var result = await new RestoreService(repo.Repository).RestoreAsync(backup.Snapshot, target.Path);

        result.Problems.Should().BeEmpty();
        result.Bytes.Should().Be((5L * large.Length) + (2L * small.Length));
        await RoundTripTests.ShouldMatchAsync(root, target.Restored(root), expectHardLinks: true);

        // Copies, never links: changing one leaves the others as they were.
        await File.WriteAllBytesAsync(Path.Combine(target.Restored(root), "a/lib.dll"), nearly);
        (await File.ReadAllBytesAsync(Path.Combine(target.Restored(root), "b/lib.dll"))).Should().Equal(large);
    }

    /// <summary>
    /// Every way a file's content gets written (decoded, copied inside the kernel from an earlier file with the same
    /// content, a hard link to one, a sparse file's holes, an empty file) is read back and found as in the snapshot.
    /// </summary>
    [Fact]
    public async Task Verify_reads_every_restored_file_back_and_finds_it_as_in_the_snapshot()
    {
        using var source = new TempDirectory();
        var root = source.Sub("verify");
        Directory.CreateDirectory(Path.Combine(root, "b"));
        var large = System.Security.Cryptography.RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
        await File.WriteAllBytesAsync(Path.Combine(root, "lib.dll"), large);
        await File.WriteAllBytesAsync(Path.Combine(root, "b/lib.dll"), large);
        await File.WriteAllBytesAsync(Path.Combine(root, "empty"), []);
        Shell.Run("ln", Path.Combine(root, "lib.dll"), Path.Combine(root, "b/linked"));
        await using (var sparse = File.Create(Path.Combine(root, "sparse.img")))
        {
            sparse.SetLength(8 * 1024 * 1024);
            sparse.Position = 5 * 1024 * 1024;
            sparse.Write(Payload);
        }

        await using var repo = await TestRepository.CreateAsync();
        var backup = await repo.BackupAsync(root);
        using var target = new TempDirectory();

        var result = await new RestoreService(repo.Repository).RestoreAsync(backup.Snapshot, target.Path, new RestoreOptions { Verify = true });

        result.Problems.Should().BeEmpty();
        result.Files.Should().Be(5);
        result.Verified.Should().Be(5, "each file was read back, the hard link's content through the file it links to");
        await RoundTripTests.ShouldMatchAsync(root, target.Restored(root), expectHardLinks: true);
    }

    /// <summary>
    /// A disk image or database file with a few megabytes of data in a large hole: the chunk that holds the data also
    /// holds zeros of the hole around it, and they stay a hole (a restore that wrote them would fill the disk).
    /// </summary>
    [Fact]
    public async Task A_sparse_file_gets_its_holes_back_beside_data_in_the_same_chunk()
    {
        using var source = new TempDirectory();
        var root = source.Sub("sparse");
        Directory.CreateDirectory(root);

        // Zeros have no chunk boundary: the file is one chunk, so only the zeros around the data can make its holes.
        await using (var sparse = File.Create(Path.Combine(root, "disk.img")))
        {
            sparse.SetLength(8 * 1024 * 1024);
            sparse.Position = (5 * 1024 * 1024) + 4000;
            sparse.Write(Payload);
        }

        await using var repo = await TestRepository.CreateAsync();
        var backup = await repo.BackupAsync(root);
        using var target = new TempDirectory();

        var result = await new RestoreService(repo.Repository).RestoreAsync(backup.Snapshot, target.Path);

        result.Problems.Should().BeEmpty();
        await RoundTripTests.ShouldMatchAsync(root, target.Restored(root));
    }

    /// <summary>A file whose bytes changed on their way to the disk is removed and named, not left in place looking restored.</summary>
    [Fact]
    public async Task Verify_removes_and_names_a_file_whose_written_bytes_differ_from_the_snapshot()
    {
        var (source, root) = await CreateTreeAsync();
        using var _ = source;
        await using var repo = await TestRepository.CreateAsync();
        var backup = await repo.BackupAsync(root);
        var victim = "/restore" + root + "/sub/a.txt";

        var unverifiedFs = new MockFileSystem();
        var unverified = await new RestoreService(repo.Repository, new CorruptingFileSystem(unverifiedFs, "a.txt")).RestoreAsync(backup.Snapshot, "/restore");
        var verifiedFs = new MockFileSystem();
        var verified = await new RestoreService(repo.Repository, new CorruptingFileSystem(verifiedFs, "a.txt")).RestoreAsync(backup.Snapshot, "/restore", new RestoreOptions { Verify = true });

        unverified.Problems.Should().BeEmpty("without Verify nothing reads the file back");
        unverifiedFs.File.ReadAllBytes(victim).Should().NotEqual("a"u8.ToArray(), "the fault is real: the written bytes differ");
        verified.Problems.Should().ContainSingle().Which.Path.Should().EndWith("sub/a.txt");
        verified.Problems[0].Reason.Should().Contain("differ from the snapshot's content");
        verified.Problems[0].RepositoryDamaged.Should().BeFalse("the repository is fine; the target lost the bytes");
        verifiedFs.File.Exists(victim).Should().BeFalse("a file that does not read back as in the snapshot is not left in place");
        verifiedFs.File.ReadAllText("/restore" + root + "/sub/deeper/b.txt").Should().Be("b");
        verified.Verified.Should().Be(3);
    }

    [Theory]
    [InlineData("made group-writable and rewritten")] // as in a directory a user controls
    [InlineData("rewritten in place")] // by someone who may: the modification time shows it
    [InlineData("replaced by another file")] // same size, mode and time, another inode
    public async Task A_restored_file_changed_meanwhile_is_not_the_source_of_a_later_copy(string change)
    {
        using var source = new TempDirectory();
        var root = source.Sub("guarded");
        Directory.CreateDirectory(Path.Combine(root, "a"));
        Directory.CreateDirectory(Path.Combine(root, "b"));
        var content = System.Security.Cryptography.RandomNumberGenerator.GetBytes(512 * 1024);
        await File.WriteAllBytesAsync(Path.Combine(root, "a/first.bin"), content);
        await File.WriteAllBytesAsync(Path.Combine(root, "b/second.bin"), content);
        File.SetUnixFileMode(Path.Combine(root, "b/second.bin"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        await using var repo = await TestRepository.CreateAsync();
        var backup = await repo.BackupAsync(root);
        using var target = new TempDirectory();
        var first = Path.Combine(target.Restored(root), "a/first.bin");
        var zeros = new byte[content.Length];

        // As soon as the first file is restored (progress reports on the restoring thread), it changes.
        var tamper = new SynchronousProgress(p =>
        {
            if (p.CurrentPath?.EndsWith("a/first.bin", StringComparison.Ordinal) != true)
            {
                return;
            }

            // touch -r keeps the time to the nanosecond, as only the file's owner could set it back.
            var time = first + ".time";
            Shell.Run("touch", "-r", first, time);
            switch (change)
            {
                case "made group-writable and rewritten":
                    File.SetUnixFileMode(first, (UnixFileMode)0x1B4);
                    File.WriteAllBytes(first, zeros);
                    Shell.Run("touch", "-r", time, first);
                    break;
                case "rewritten in place":
                    File.WriteAllBytes(first, zeros);
                    break;
                default:
                    var other = first + ".other";
                    File.WriteAllBytes(other, zeros);
                    File.SetUnixFileMode(other, File.GetUnixFileMode(first));
                    Shell.Run("touch", "-r", time, other);
                    File.Move(other, first, overwrite: true);
                    break;
            }

            File.Delete(time);
        });
        var result = await new RestoreService(repo.Repository).RestoreAsync(backup.Snapshot, target.Path, new RestoreOptions { Parallelism = 1 }, tamper);

        result.Problems.Should().BeEmpty();
        (await File.ReadAllBytesAsync(first)).Should().Equal(zeros, "the test changed the first copy");
        (await File.ReadAllBytesAsync(Path.Combine(target.Restored(root), "b/second.bin"))).Should().Equal(content);
    }

    [Fact]
    public async Task A_restore_holds_a_shared_lock_and_is_refused_while_a_prune_holds_the_repository()
    {
        var (source, root) = await CreateTreeAsync();
        using var _ = source;
        using var target = new TempDirectory();
        await using var repo = await TestRepository.CreateAsync();
        var backup = await repo.BackupAsync(root);
        var service = new RestoreService(repo.Repository);

        // During the restore its shared lock is there, so a prune cannot start.
        var locks = new List<LockObject>();
        var watcher = new SynchronousProgress(_ =>
        {
            if (locks.Count == 0)
            {
                locks.AddRange(RepositoryLock.ReadLocksAsync(repo.Repository.Locks).ToBlockingEnumerable().Select(l => l.Lock));
            }
        });
        await service.RestoreAsync(backup.Snapshot, target.Path, new RestoreOptions { Parallelism = 1 }, watcher);
        locks.Should().ContainSingle().Which.Should().Match<LockObject>(l => !l.Exclusive && l.Purpose == "restore");
        (await RepositoryLock.ReadLocksAsync(repo.Repository.Locks).ToListAsync()).Should().BeEmpty("the lock is released at the end");

        // While a prune holds it, a restore is refused before it writes anything.
        using var second = new TempDirectory();
        await using (await RepositoryLock.AcquireAsync(repo.Repository.Locks, exclusive: true, "prune"))
        {
            var act = () => service.RestoreAsync(backup.Snapshot, second.Path);
            (await act.Should().ThrowAsync<RepositoryLockedException>()).Which.Message.Should().Contain("prune");
            Directory.EnumerateFileSystemEntries(second.Path).Should().BeEmpty();
        }
    }

    [Fact]
    public async Task A_repository_that_cannot_be_written_restores_only_without_the_lock_and_the_error_says_so()
    {
        var (source, root) = await CreateTreeAsync();
        using var _ = source;
        using var target = new TempDirectory();
        var store = new InMemoryTarget();
        var credentials = RepositoryCredentials.FromKeyFile(RepositoryCredentials.GenerateKeyFile());
        Snapshot snapshot;
        await using (var writable = await BackupRepository.InitAsync(store, credentials))
        {
            snapshot = (await new BackupService(writable).BackupAsync(new FileSystemSource([root]))).Snapshot;
        }

        await using var readOnly = await BackupRepository.OpenAsync(new RefusingWrites(store), credentials);
        var service = new RestoreService(readOnly);

        var act = () => service.RestoreAsync(snapshot, target.Path);
        // The library says what to do in its own terms (the CLI adds its --no-lock); the exception carries the location.
        var refused = (await act.Should().ThrowAsync<RepositoryLockNotWritableException>()).Which;
        refused.Message.Should().Contain("RestoreOptions.Lock = false").And.Contain("read-only");
        refused.Location.Should().Be(readOnly.Location);

        var result = await service.RestoreAsync(snapshot, target.Path, new RestoreOptions { Lock = false });
        result.Problems.Should().BeEmpty();
        (await File.ReadAllTextAsync(Path.Combine(target.Restored(root), "sub/deeper/b.txt"))).Should().Be("b");
    }

    /// <summary>A target that refuses every write, as read-only media do.</summary>
    private sealed class RefusingWrites(IBackupTarget target) : DelegatingTarget(target)
    {
        public override Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) =>
            throw new UnauthorizedAccessException($"'{key}': read-only file system");

        public override Task DeleteAsync(string key, CancellationToken cancellationToken = default) =>
            throw new UnauthorizedAccessException($"'{key}': read-only file system");
    }

    /// <summary>Reports on the restoring thread, so a test can act between two files.</summary>
    private sealed class SynchronousProgress(Action<RestoreProgress> report) : IProgress<RestoreProgress>
    {
        public void Report(RestoreProgress value) => report(value);
    }
}
