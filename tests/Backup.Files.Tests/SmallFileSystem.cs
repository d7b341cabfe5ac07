using System.Diagnostics;

namespace Backup.Files.Tests;

/// <summary>
/// A real file system of a fixed, small size (tmpfs with a size limit) mounted on a fresh directory, so a test can
/// fill it for real. Needs root and Linux; <see cref="TryMount"/> says why not otherwise. Unmounted when disposed.
/// </summary>
internal sealed class SmallFileSystem : IDisposable
{
    private readonly TempDirectory _mountPoint;
    private bool _mounted = true;

    private SmallFileSystem(TempDirectory mountPoint) => _mountPoint = mountPoint;

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
            _ = Run("umount", "-l", Path);
        }

        _mountPoint.Dispose();
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
