using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Backup.Providers.Tests.Servers;

/// <summary>Helpers to start throwaway database servers.</summary>
internal static class ServerProcess
{
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static bool IsRoot => Environment.UserName == "root";

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs a command (as <paramref name="user"/> through runuser when root), returning exit code and output; throws on failure when asked.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string fileName, IEnumerable<string> arguments, string? user = null, bool check = true, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(user is not null && IsRoot ? "runuser" : fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (user is not null && IsRoot)
        {
            info.ArgumentList.Add("-u");
            info.ArgumentList.Add(user);
            info.ArgumentList.Add("--");
            info.ArgumentList.Add(fileName);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(true);
            throw new TimeoutException($"{fileName} timed out");
        }

        var output = await stdout + await stderr;
        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} exited with {process.ExitCode}: {output}");
        }

        return (process.ExitCode, output);
    }

    public static void Chown(string path, string user)
    {
        if (IsRoot)
        {
            RunAsync("chown", ["-R", user, path]).GetAwaiter().GetResult();
        }
    }
}
