using System.Diagnostics;
using System.Text;
using Backup.Core.Repository;
using Backup.Core.Restore;
using Backup.Core.Snapshots;
using Backup.Tests.Support;
using Backup.Core;

namespace Backup.Files.Tests;

/// <summary>Restores by root into trees others control, and of entries that carry privilege: each attack performed for real.</summary>
public class RestorePrivilegeTests
{
    private const uint DirectoryMode = 0x4000;
    private const uint RegularMode = 0x8000;

    // Swaps every directory the restore makes at the top of the target for a symlink to `outside`, as fast as it can,
    // until killed: the attack of a user who owns the directory root restores into.
    private const string SwapScript = """
        import os, sys
        target, outside = sys.argv[1], sys.argv[2]
        print("ready", flush=True)
        n = 0
        while True:
            for name in os.listdir(target):
                path = os.path.join(target, name)
                if name.startswith("d") and "." not in name and not os.path.islink(path):
                    try:
                        os.rename(path, path + ".x" + str(n))
                        n += 1
                        os.symlink(outside, path)
                    except OSError:
                        pass
        """;

    [SkippableFact]
    public async Task A_user_swapping_directories_for_symlinks_during_a_root_restore_changes_nothing_outside_the_target()
    {
        Skip.IfNot(UnprivilegedUser.CanCreate, "needs root and useradd");
        using var outside = new TempDirectory();
        using var target = new TempDirectory();
        File.WriteAllText(outside.Sub("marker"), "root's");
        File.SetUnixFileMode(outside.Path, (UnixFileMode)0x1ED);
        await using var repo = await TestRepository.CreateAsync();
        var content = await StoreAsync(repo.Repository, "restored content");
        var directories = new List<TreeNode>();
        await using (var writer = repo.Repository.CreateWriter(2))
        {
            for (var d = 0; d < 150; d++)
            {
                var files = Enumerable.Range(0, 40).Select(f => new TreeNode
                {
                    Name = $"f{f}", Type = NodeType.File, Mode = RegularMode | 0x1A4, Size = content.Size, Content = [content.Id], MtimeNs = 1_000_000_000,
                }).ToArray();
                var subtree = await writer.AddBlobAsync(TreeCodec.Serialize(new Tree(files)), BlobType.Tree);
                directories.Add(new TreeNode { Name = $"d{d}", Type = NodeType.Directory, Mode = DirectoryMode | 0x1FF, Subtree = subtree, MtimeNs = 1_000_000_000 });
            }

            var rootTree = await writer.AddBlobAsync(TreeCodec.Serialize(new Tree(directories)), BlobType.Tree);
            await writer.CompleteAsync();
            var snapshot = await repo.Repository.Snapshots.SaveAsync(new Snapshot { Hostname = "h", SourceKind = "files", Tree = rootTree, Time = DateTimeOffset.Now });

            using var user = UnprivilegedUser.Create();
            Shell.Run("chown", $"{user.Uid}:{user.Gid}", target.Path);
            using var attacker = user.Start("/usr/bin/python3", "-c", SwapScript, target.Path, outside.Path);
            try
            {
                if (await attacker.StandardOutput.ReadLineAsync() != "ready")
                {
                    throw new InvalidOperationException("the attacker did not start: " + await attacker.StandardError.ReadToEndAsync());
                }

                await new RestoreService(repo.Repository).RestoreAsync(snapshot, target.Path, new RestoreOptions { Existing = ExistingFileBehavior.Overwrite });
                attacker.HasExited.Should().BeFalse("the attack ran for the whole restore");
            }
            finally
            {
                attacker.Kill();
                await attacker.WaitForExitAsync();
            }
        }

        Directory.EnumerateFileSystemEntries(target.Path).Should().Contain(e => new FileInfo(e).LinkTarget != null, "the attacker did swap directories");
        Directory.EnumerateFileSystemEntries(outside.Path).Select(Path.GetFileName).Should().Equal("marker");
        ((int)File.GetUnixFileMode(outside.Path)).Should().Be(0x1ED, "root's directory keeps its mode");
        File.ReadAllText(outside.Sub("marker")).Should().Be("root's");
    }

    [SkippableFact]
    public async Task Set_id_bits_come_back_only_with_the_owner()
    {
        Skip.IfNot(UnprivilegedUser.CanCreate, "needs root");
        using var target = new TempDirectory();
        await using var repo = await TestRepository.CreateAsync();
        var content = await StoreAsync(repo.Repository, "#!/bin/sh\nid\n");
        TreeNode File(string name, uint mode, long uid) => new()
        {
            Name = name, Type = NodeType.File, Mode = RegularMode | mode, Uid = uid, Gid = uid, Size = content.Size, Content = [content.Id], MtimeNs = 1_000_000_000,
        };
        var snapshot = await SaveAsync(repo.Repository, File("someone-else-setuid", 0xDED, 12345), File("roots-setuid", 0x9ED, 0), File("someone-else-setgid", 0x5ED, 12345));

        // Ownership not restored: the files belong to whoever restores (root here), so set-ID bits would hand out root.
        await new RestoreService(repo.Repository).RestoreAsync(snapshot, target.Path, new RestoreOptions { RestoreOwnership = false });
        ModeOf(target.Sub("someone-else-setuid")).Should().Be(0x1ED, "set-user-ID and set-group-ID go");
        ModeOf(target.Sub("someone-else-setgid")).Should().Be(0x1ED);
        ModeOf(target.Sub("roots-setuid")).Should().Be(0x9ED, "the snapshot's owner is who restored it, so the bit is what it was");

        using var owned = new TempDirectory();
        await new RestoreService(repo.Repository).RestoreAsync(snapshot, owned.Path);
        ModeOf(owned.Sub("someone-else-setuid")).Should().Be(0xDED, "with the owner restored the bits come back");
        ModeOf(owned.Sub("someone-else-setgid")).Should().Be(0x5ED);
    }

    [SkippableFact]
    public async Task File_capabilities_come_back_only_with_the_owner_as_set_id_bits_do()
    {
        Skip.IfNot(UnprivilegedUser.CanCreate, "needs root");
        using var target = new TempDirectory();
        await using var repo = await TestRepository.CreateAsync();
        var content = await StoreAsync(repo.Repository, "#!/bin/sh\nid\n");
        // security.capability, VFS_CAP_REVISION_2 with the effective flag: cap_setuid=ep, which makes whoever runs the
        // file able to become root, whoever owns it (a snapshot someone else wrote can hold it).
        byte[] setuidCapability = [0x01, 0x00, 0x00, 0x02, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
        TreeNode File(string name, long uid) => new()
        {
            Name = name, Type = NodeType.File, Mode = RegularMode | 0x1ED, Uid = uid, Gid = uid, Size = content.Size, Content = [content.Id], MtimeNs = 1_000_000_000,
            ExtendedAttributes = new Dictionary<string, byte[]> { ["security.capability"] = setuidCapability, ["user.note"] = "kept"u8.ToArray() },
        };
        var snapshot = await SaveAsync(repo.Repository, File("someone-elses", 12345), File("roots", 0));

        // Ownership not restored (as a DR drill restores): the file belongs to root, who restores, and must not hand out root.
        await new RestoreService(repo.Repository).RestoreAsync(snapshot, target.Path, new RestoreOptions { RestoreOwnership = false });
        var restored = await Entries.ReadAsync(target.Path);
        restored["someone-elses"].ExtendedAttributes.Should().NotContainKey("security.capability", "the capability goes with the owner, as set-user-ID does");
        restored["someone-elses"].ExtendedAttributes.Should().ContainKey("user.note", "other attributes come back");
        restored["roots"].ExtendedAttributes.Should().ContainKey("security.capability", "the snapshot's owner is who restored it, so it is what it was");

        using var owned = new TempDirectory();
        await new RestoreService(repo.Repository).RestoreAsync(snapshot, owned.Path);
        (await Entries.ReadAsync(owned.Path))["someone-elses"].ExtendedAttributes.Should().ContainKey("security.capability", "with the owner restored the file is as it was");
    }

    [SkippableFact]
    public async Task Device_nodes_are_created_only_in_the_original_place_unless_asked_for()
    {
        Skip.IfNot(UnprivilegedUser.CanCreate, "needs root for mknod");
        await using var repo = await TestRepository.CreateAsync();
        var memory = new TreeNode { Name = "mem", Type = NodeType.Special, Mode = 0x2000 | 0x1B6, DeviceNumber = (1 << 8) | 1, MtimeNs = 1_000_000_000 };
        var disk = new TreeNode { Name = "disk", Type = NodeType.Special, Mode = 0x6000 | 0x1B6, DeviceNumber = 8 << 8, MtimeNs = 1_000_000_000 };
        var fifo = new TreeNode { Name = "fifo", Type = NodeType.Special, Mode = 0x1000 | 0x1A4, MtimeNs = 1_000_000_000 };
        var snapshot = await SaveAsync(repo.Repository, memory, disk, fifo);
        var service = new RestoreService(repo.Repository);

        using var elsewhere = new TempDirectory();
        var result = await service.RestoreAsync(snapshot, elsewhere.Path);
        Directory.EnumerateFileSystemEntries(elsewhere.Path).Select(Path.GetFileName).Should().Equal("fifo");
        result.Problems.Select(p => p.Path).Should().BeEquivalentTo(["mem", "disk"]);
        result.Problems.Should().OnlyContain(p => p.Reason.Contains("RestoreOptions.DeviceNodes", StringComparison.Ordinal) && !p.Reason.Contains("--devices", StringComparison.Ordinal), "the library names its own option only")
            .And.OnlyContain(p => p.Remedy == RestoreProblemRemedy.DeviceNodes);

        using var refused = new TempDirectory();
        (await service.RestoreAsync(snapshot, refused.Path, new RestoreOptions { DeviceNodes = false })).Problems.Should().HaveCount(2);
        Directory.EnumerateFileSystemEntries(refused.Path).Should().ContainSingle();

        using var asked = new TempDirectory();
        (await service.RestoreAsync(snapshot, asked.Path, new RestoreOptions { DeviceNodes = true })).Problems.Should().BeEmpty();
        var restored = await Entries.ReadAsync(asked.Path);
        restored["mem"].DeviceNumber.Should().Be(memory.DeviceNumber);
        restored["mem"].Mode.Should().Be(memory.Mode);
        restored["disk"].Mode.Should().Be(disk.Mode);
    }

    [SkippableFact]
    public void The_original_place_is_the_root_directory_however_it_is_named()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        using var scratch = new TempDirectory();
        Directory.CreateSymbolicLink(scratch.Sub("to-root"), "/");
        var fileSystem = new System.IO.Abstractions.FileSystem();
        bool IsOriginal(string path)
        {
            using var root = RestoreTarget.OpenRoot(fileSystem, native: true, path);
            return new RestoreTarget(fileSystem, native: true, chown: false, root).IsOriginalPlace();
        }

        IsOriginal("/").Should().BeTrue();
        IsOriginal(scratch.Sub("to-root")).Should().BeTrue();
        IsOriginal("/tmp/../").Should().BeTrue();
        IsOriginal(scratch.Path).Should().BeFalse();
        IsOriginal("/tmp").Should().BeFalse();
    }

    private static int ModeOf(string path) => (int)File.GetUnixFileMode(path);

    private static async Task<(BlobId Id, long Size)> StoreAsync(BackupRepository repository, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        await using var writer = repository.CreateWriter(2);
        var id = await writer.AddBlobAsync(bytes, BlobType.Data);
        await writer.CompleteAsync();
        return (id, bytes.Length);
    }

    private static async Task<Snapshot> SaveAsync(BackupRepository repository, params TreeNode[] nodes)
    {
        await using var writer = repository.CreateWriter(2);
        var tree = await writer.AddBlobAsync(TreeCodec.Serialize(new Tree(nodes)), BlobType.Tree);
        await writer.CompleteAsync();
        return await repository.Snapshots.SaveAsync(new Snapshot { Hostname = "h", SourceKind = "files", Tree = tree, Time = DateTimeOffset.Now });
    }
}
