using System.Diagnostics;

namespace Backup.Files.Tests;

/// <summary>A real, unprivileged system user created for one test (needs root) and deleted with its processes afterwards.</summary>
internal sealed class UnprivilegedUser : IDisposable
{
    private UnprivilegedUser(string name, int uid, int gid)
    {
        Name = name;
        Uid = uid;
        Gid = gid;
    }

    public string Name { get; }

    public int Uid { get; }

    public int Gid { get; }

    public static bool CanCreate => OperatingSystem.IsLinux() && Environment.UserName == "root" && File.Exists("/usr/sbin/useradd");

    public static UnprivilegedUser Create()
    {
        var name = "bkr" + Guid.NewGuid().ToString("N")[..8];
        Shell.Run("/usr/sbin/useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", name);
        var uid = int.Parse(Output("id", "-u", name).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        var gid = int.Parse(Output("id", "-g", name).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        return new UnprivilegedUser(name, uid, gid);
    }

    /// <summary>Starts <paramref name="file"/> as this user (setpriv: its own uid and gid, no supplementary groups).</summary>
    public Process Start(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo("/usr/bin/setpriv") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in (string[])[$"--reuid={Uid}", $"--regid={Gid}", "--clear-groups", "--", file, .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }

    /// <summary>Deletes the user; the test has ended its processes by then.</summary>
    public void Dispose() => Shell.Run("/usr/sbin/userdel", Name);

    private static string Output(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output;
    }
}
