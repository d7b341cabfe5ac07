using System.Diagnostics;
using System.Globalization;

namespace Backup.Tests.Support;

/// <summary>
/// A real, unprivileged local account (useradd) for attack tests: what another user of the machine can read, or do
/// to a tree it owns while root works in it. Created for one test and deleted, with its processes, when disposed.
/// Needs root and Linux.
/// </summary>
public sealed class UnprivilegedUser : IDisposable
{
    private UnprivilegedUser(string name, int uid, int gid)
    {
        Name = name;
        Uid = uid;
        Gid = gid;
    }

    /// <summary>The account's name.</summary>
    public string Name { get; }

    /// <summary>The account's user ID.</summary>
    public int Uid { get; }

    /// <summary>The account's primary group ID.</summary>
    public int Gid { get; }

    /// <summary>Whether the tests may create users here.</summary>
    public static bool CanCreate =>
        OperatingSystem.IsLinux() && Environment.UserName == "root" && File.Exists("/usr/sbin/useradd") && File.Exists("/usr/sbin/runuser") && File.Exists("/usr/bin/setpriv");

    public static UnprivilegedUser Create()
    {
        var name = "bk" + Guid.NewGuid().ToString("N")[..10];
        var (code, _, error) = Run("/usr/sbin/useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", name);
        if (code != 0)
        {
            throw new InvalidOperationException($"useradd {name} failed: {error}");
        }

        return new UnprivilegedUser(name, IdOf(name, "-u"), IdOf(name, "-g"));
    }

    /// <summary>Whether this user can read <paramref name="path"/> (runs cat as the user).</summary>
    public bool CanRead(string path) => RunAs("/bin/cat", path).ExitCode == 0;

    /// <summary>Whether this user can list <paramref name="directory"/>.</summary>
    public bool CanList(string directory) => RunAs("/bin/ls", directory).ExitCode == 0;

    /// <summary>Runs a command as this user to its end.</summary>
    public (int ExitCode, string Output, string Error) RunAs(params string[] command) =>
        Run("/usr/sbin/runuser", ["-u", Name, "--", .. command]);

    /// <summary>Starts <paramref name="file"/> as this user and returns at once (setpriv: its own uid and gid, no supplementary groups).</summary>
    public Process Start(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo("/usr/bin/setpriv") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in (string[])[$"--reuid={Uid}", $"--regid={Gid}", "--clear-groups", "--", file, .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }

    /// <summary>Deletes the account (userdel --force also ends what it still runs).</summary>
    public void Dispose() => Run("/usr/sbin/userdel", "--force", Name);

    private static int IdOf(string name, string which) =>
        int.Parse(Run("/usr/bin/id", which, name).Output.Trim(), CultureInfo.InvariantCulture);

    private static (int ExitCode, string Output, string Error) Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not finish in 30 s.");
        }

        return (process.ExitCode, output.Result, error.Result);
    }
}
