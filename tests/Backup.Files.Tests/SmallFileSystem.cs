using System.Diagnostics;

namespace Backup.Files.Tests;

/// <summary>
/// A real file system of a fixed, small size (tmpfs with a size limit, or ext4 on a loop device) mounted on a fresh directory, so a test can
/// fill it for real. Needs root and Linux; <see cref="TryMount"/> says why not otherwise. Unmounted when disposed.
/// </summary>
internal sealed class SmallFileSystem : IDisposable
{
    private readonly TempDirectory _mountPoint;
    private readonly TempDirectory? _image;
    private bool _mounted = true;

    private SmallFileSystem(TempDirectory mountPoint, TempDirectory? image = null)
    {
        _mountPoint = mountPoint;
        _image = image;
    }

    /// <summary>Where it is mounted.</summary>
    public string Path => _mountPoint.Path;

    /// <summary>Mounts a tmpfs of <paramref name="size"/> (such as "12m"), or returns null and why it could not.</summary>
    public static SmallFileSystem? TryMount(string size, out string whyNot)
    {
        whyNot = string.Empty;
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            whyNot = "mounting a small tmpfs needs root on Linux";
            return null;
        }

        var mountPoint = new TempDirectory();
        var (exitCode, error) = Run("mount", "-t", "tmpfs", "-o", $"size={size},mode=0755", "tmpfs", mountPoint.Path);
        if (exitCode != 0)
        {
            mountPoint.Dispose();
            whyNot = $"mount -t tmpfs failed here ({error.Trim()})";
            return null;
        }

        return new SmallFileSystem(mountPoint);
    }

    /// <summary>
    /// Mounts an ext4 file system of <paramref name="size"/> (such as "24M") from an image file on a loop device, where
    /// a local repository writes its objects directly (O_DIRECT) rather than through the page cache as on tmpfs; or
    /// returns null and why it could not. It cannot be resized.
    /// </summary>
    public static SmallFileSystem? TryMountExt4(string size, out string whyNot)
    {
        whyNot = string.Empty;
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            whyNot = "mounting a small ext4 needs root on Linux";
            return null;
        }

        var image = new TempDirectory();
        var file = System.IO.Path.Combine(image.Path, "ext4.img");
        var mountPoint = new TempDirectory();
        if (!File.Exists("/sbin/mkfs.ext4") && !File.Exists("/usr/sbin/mkfs.ext4"))
        {
            image.Dispose();
            mountPoint.Dispose();
            whyNot = "mkfs.ext4 is not installed (Debian: e2fsprogs)";
            return null;
        }

        var (exitCode, error) = Run("truncate", "-s", size, file);
        (exitCode, error) = exitCode != 0 ? (exitCode, error) : Run("mkfs.ext4", "-q", "-F", file);
        (exitCode, error) = exitCode != 0 ? (exitCode, error) : Run("mount", "-o", "loop", file, mountPoint.Path);
        if (exitCode != 0)
        {
            mountPoint.Dispose();
            image.Dispose();
            whyNot = $"an ext4 image could not be made and mounted here ({error.Trim()})";
            return null;
        }

        return new SmallFileSystem(mountPoint, image);
    }

    /// <summary>Grows (or shrinks) it to <paramref name="size"/>: space freed, as an operator would.</summary>
    public void Resize(string size) => Shell.Run("mount", "-o", $"remount,size={size}", Path);

    /// <summary>Detaches it at once, even while files on it are open (a disk pulled or a share gone).</summary>
    public void Vanish()
    {
        Shell.Run("umount", "-l", Path);
        _mounted = false;
    }

    public void Dispose()
    {
        if (_mounted)
        {
            // Not lazily when there is an image: its loop device must be free before the image is deleted.
            _ = _image is null ? Run("umount", "-l", Path) : Run("umount", Path);
        }

        _mountPoint.Dispose();
        _image?.Dispose();
    }

    private static (int ExitCode, string Error) Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, error);
    }
}
