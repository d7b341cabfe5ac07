using System.Diagnostics;

namespace Backup.Tests.Support;

/// <summary>
/// A real, unprivileged local account (useradd) for attack tests: what another user of the machine can read.
/// Created for one test and deleted when disposed. Needs root and Linux.
/// </summary>
public sealed class UnprivilegedUser : IDisposable
{
    private UnprivilegedUser(string name) => Name = name;

    public string Name { get; }

    /// <summary>Whether the tests may create users here.</summary>
    public static bool CanCreate => OperatingSystem.IsLinux() && Environment.UserName == "root" && File.Exists("/usr/sbin/useradd") && File.Exists("/usr/sbin/runuser");

    public static UnprivilegedUser Create()
    {
        var name = "bk" + Guid.NewGuid().ToString("N")[..10];
        var (code, _, error) = Run("/usr/sbin/useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", name);
        if (code != 0)
        {
            throw new InvalidOperationException($"useradd {name} failed: {error}");
        }

        return new UnprivilegedUser(name);
    }

    /// <summary>Whether this user can read <paramref name="path"/> (runs cat as the user).</summary>
    public bool CanRead(string path) => RunAs("/bin/cat", path).ExitCode == 0;

    /// <summary>Whether this user can list <paramref name="directory"/>.</summary>
    public bool CanList(string directory) => RunAs("/bin/ls", directory).ExitCode == 0;

    public (int ExitCode, string Output, string Error) RunAs(params string[] command) =>
        Run("/usr/sbin/runuser", ["-u", Name, "--", .. command]);

    public void Dispose() => Run("/usr/sbin/userdel", "--force", Name);

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
