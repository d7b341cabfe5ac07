using System.Diagnostics;

namespace Backup.Files.Tests;

/// <summary>
/// A directory under a real disk quota: a btrfs subvolume with a quota-group limit on a loop-mounted image file, so
/// a write past the limit fails with EDQUOT as it would on a user's quota. (tmpfs and ext4 quotas need kernel options
/// test machines often lack; btrfs quota groups only need the btrfs module and btrfs-progs.) Needs root and Linux;
/// <see cref="TryCreate"/> says why not otherwise. Unmounted and deleted when disposed.
/// </summary>
internal sealed class QuotaFileSystem : IDisposable
{
    private readonly TempDirectory _work;
    private bool _mounted = true;

    private QuotaFileSystem(TempDirectory work) => _work = work;

    /// <summary>The directory the quota applies to.</summary>
    public string Path => System.IO.Path.Combine(MountPoint, "quota");

    private string MountPoint => System.IO.Path.Combine(_work.Path, "mnt");

    /// <summary>Makes a 200 MB btrfs file system whose <see cref="Path"/> may hold at most <paramref name="limit"/> (such as "12M"), or returns null and why it could not.</summary>
    public static QuotaFileSystem? TryCreate(string limit, out string whyNot)
    {
        whyNot = string.Empty;
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            whyNot = "a loop-mounted btrfs with a quota needs root on Linux";
            return null;
        }

        if (!File.Exists("/usr/sbin/mkfs.btrfs") && !File.Exists("/sbin/mkfs.btrfs"))
        {
            whyNot = "btrfs-progs is not installed (scripts/install-test-servers.sh installs it)";
            return null;
        }

        var work = new TempDirectory();
        var image = System.IO.Path.Combine(work.Path, "disk.img");
        var mountPoint = System.IO.Path.Combine(work.Path, "mnt");
        Directory.CreateDirectory(mountPoint);
        using (var file = File.Create(image))
        {
            file.SetLength(200L * 1024 * 1024);
        }

        string[][] steps =
        [
            ["mkfs.btrfs", "-q", "-f", image],
            ["mount", "-o", "loop", image, mountPoint],
            ["btrfs", "quota", "enable", mountPoint],
            ["btrfs", "subvolume", "create", System.IO.Path.Combine(mountPoint, "quota")],
            ["btrfs", "qgroup", "limit", limit, System.IO.Path.Combine(mountPoint, "quota")],
        ];
        foreach (var step in steps)
        {
            var (exitCode, error) = Run(step[0], step[1..]);
            if (exitCode != 0)
            {
                _ = Run("umount", "-l", mountPoint);
                work.Dispose();
                whyNot = $"{step[0]} {step[1]} failed here ({error.Trim()})";
                return null;
            }
        }

        return new QuotaFileSystem(work);
    }

    /// <summary>Sets a new limit (such as "none" or "100M"): the quota raised, as an administrator would.</summary>
    public void SetLimit(string limit) => Shell.Run("btrfs", "qgroup", "limit", limit, Path);

    public void Dispose()
    {
        if (_mounted)
        {
            _ = Run("umount", "-l", MountPoint);
            _mounted = false;
        }

        _work.Dispose();
    }

    private static (int ExitCode, string Error) Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        _ = output.Result;
        return (process.ExitCode, error);
    }
}
