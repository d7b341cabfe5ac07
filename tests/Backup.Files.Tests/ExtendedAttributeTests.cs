using System.Diagnostics;
using Backup.Core.Native;
using Backup.Core.Restore;
using Backup.Core.Snapshots;

namespace Backup.Files.Tests;

/// <summary>Extended attributes, POSIX ACLs and owners, backed up and restored on Linux; read and checked with other tools than the code under test.</summary>
public class ExtendedAttributeTests
{
    // Prints, per path, the owner and every extended attribute (name and hex value), sorted: what must survive.
    private const string DumpScript = """
        import os, sys
        for path in sys.argv[1:]:
            st = os.lstat(path)
            names = sorted(os.listxattr(path, follow_symlinks=False))
            print(os.path.basename(path), st.st_uid, st.st_gid, ";".join(n + "=" + os.getxattr(path, n, follow_symlinks=False).hex() for n in names))
        """;

    private const string SetScript = """
        import os, sys
        os.setxattr(sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3]))
        """;

    [SkippableFact]
    public async Task Owners_user_attributes_and_acls_survive_a_backup_and_a_restore_as_root()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && UnixNative.IsRoot, "needs root on Linux: files owned by other users, owners restored");
        var hasAcl = File.Exists("/usr/bin/setfacl");
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        var root = source.Sub("tree");
        var dir = Path.Combine(root, "dir");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(root, "owned.txt");
        var plain = Path.Combine(dir, "plain.txt");
        File.WriteAllText(file, "someone else's");
        File.WriteAllText(plain, "no attributes");
        Run("python3", "-c", SetScript, file, "user.note", "00ff6869");
        Run("python3", "-c", SetScript, file, "user.empty", "");
        Run("python3", "-c", SetScript, dir, "user.dir", "6469");
        if (hasAcl)
        {
            Run("setfacl", "-m", "u:34567:rw,g:45678:r", file);
            Run("setfacl", "-d", "-m", "g:45678:rx", dir);
        }

        Run("chown", "12345:23456", file);
        Run("chown", "23456:12345", dir);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.GroupRead);

        await using var repo = await TestRepository.CreateAsync();
        var backup = await repo.BackupAsync(root);
        backup.Problems.Should().BeEmpty();
        await new RestoreService(repo.Repository).RestoreAsync(backup.Snapshot, target.Path);

        var restoredRoot = target.Restored(root);
        var original = Run("python3", "-c", DumpScript, file, dir, plain);
        var restored = Run("python3", "-c", DumpScript, Path.Combine(restoredRoot, "owned.txt"), Path.Combine(restoredRoot, "dir"), Path.Combine(restoredRoot, "dir", "plain.txt"));
        restored.Should().Be(original);
        original.Should().Contain("owned.txt 12345 23456").And.Contain("user.note=00ff6869").And.Contain("user.empty=;")
            .And.Contain("dir 23456 12345").And.Contain("user.dir=6469").And.Contain("plain.txt 0 0 \n");
        if (hasAcl)
        {
            original.Should().Contain("system.posix_acl_access=").And.Contain("system.posix_acl_default=");
            Run("getfacl", "-cp", Path.Combine(restoredRoot, "owned.txt")).Should().Be(Run("getfacl", "-cp", file))
                .And.Contain("user:34567:rw-").And.Contain("group:45678:r--");
            Run("getfacl", "-cp", Path.Combine(restoredRoot, "dir")).Should().Be(Run("getfacl", "-cp", dir)).And.Contain("default:group:45678:r-x");
        }

        File.GetUnixFileMode(Path.Combine(restoredRoot, "owned.txt")).Should().Be(File.GetUnixFileMode(file), "the mode (and with it the ACL mask) is as it was");
    }

    [SkippableFact]
    public async Task User_attributes_are_recorded_in_the_tree_and_a_file_without_any_costs_no_entry()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "extended attributes are read on Linux only");
        using var source = new TempDirectory();
        var root = source.Sub("tree");
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "a"), "a");
        File.WriteAllText(Path.Combine(root, "b"), "b");
        Run("python3", "-c", SetScript, Path.Combine(root, "a"), "user.z", "01");
        Run("python3", "-c", SetScript, Path.Combine(root, "a"), "user.a", "02");
        await using var repo = await TestRepository.CreateAsync();

        var backup = await repo.BackupAsync(root);

        backup.Problems.Should().BeEmpty();
        var nodes = await LeafNodesAsync(repo, backup.Snapshot, root);
        nodes["a"].ExtendedAttributes.Should().NotBeNull();
        nodes["a"].ExtendedAttributes!.Keys.Should().Equal(["user.a", "user.z"], "names are stored in order, so an unchanged file's tree blob is the same");
        nodes["a"].ExtendedAttributes!["user.z"].Should().Equal([1]);
        nodes["b"].ExtendedAttributes.Should().BeNull();
    }

    private static async Task<Dictionary<string, TreeNode>> LeafNodesAsync(TestRepository repo, Snapshot snapshot, string root)
    {
        var tree = await repo.Repository.Snapshots.LoadTreeAsync(snapshot.Tree);
        foreach (var segment in root.Trim('/').Split('/'))
        {
            tree = await repo.Repository.Snapshots.LoadTreeAsync(tree.Nodes.Single(n => n.Name == segment).Subtree!.Value);
        }

        return tree.Nodes.ToDictionary(n => n.Name);
    }

    private static string Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        process.ExitCode.Should().Be(0, $"{file} failed: {error}");
        return output;
    }
}
