using System.Diagnostics;
using System.Text;

namespace Backup.Cli.Tests;

/// <summary>The outcome of one run of the tool.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr, byte[] StdoutBytes);

/// <summary>
/// Runs the built <c>backup</c> tool (copied to cli/ beside the tests) as a child process with a clean
/// environment: no inherited BACKUP_* variables, the repository and password set per test.
/// </summary>
public sealed class CliRunner : IDisposable
{
    public const string Password = "correct horse battery staple";

    private static readonly string ToolPath = Path.Combine(AppContext.BaseDirectory, "cli", "backup.dll");

    /// <summary>A native build of the tool (from <c>dotnet publish</c>) to run instead of the framework-dependent one, so the same tests prove it.</summary>
    private static readonly string? NativeTool = System.Environment.GetEnvironmentVariable("BACKUP_CLI_UNDER_TEST");

    public CliRunner()
    {
        Root = Path.Combine(Path.GetTempPath(), "backup-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Repository = Path.Combine(Root, "repo");
        Environment["BACKUP_REPOSITORY"] = Repository;
        Environment["BACKUP_PASSWORD"] = Password;
    }

    /// <summary>A scratch directory, removed at the end.</summary>
    public string Root { get; }

    public string Repository { get; }

    /// <summary>Variables set for the child (null removes one).</summary>
    public Dictionary<string, string?> Environment { get; } = [];

    /// <summary>A command the tool is run through (its file and arguments), such as setpriv to run it as another user; none when empty.</summary>
    public IReadOnlyList<string> Launcher { get; set; } = [];

    /// <summary>The command line that starts the tool under test: the native build, or the dotnet host and backup.dll.</summary>
    public static IReadOnlyList<string> ToolCommand => NativeTool is not null ? [NativeTool] : [DotnetHost(), ToolPath];

    public string PathOf(string relative) => Path.Combine(Root, relative);

    public Task<CliResult> RunAsync(params string[] args) => RunAsync(args, stdin: null);

    public Task<CliResult> RunAsync(string[] args, byte[]? stdin, Dictionary<string, string?>? environment = null) =>
        RunAsync(args, stdin, environment, afterStart: null);

    /// <summary>Runs the tool; <paramref name="afterStart"/> gets the process after stdin was written, and stdin is closed after it returns.</summary>
    public async Task<CliResult> RunAsync(string[] args, byte[]? stdin, Dictionary<string, string?>? environment, Func<Process, Task>? afterStart)
    {
        var tool = NativeTool ?? ToolPath;
        File.Exists(tool).Should().BeTrue(NativeTool is null ? $"the tool is copied to {ToolPath} by the build" : "BACKUP_CLI_UNDER_TEST names the tool to test");
        var start = new ProcessStartInfo(Launcher.Count > 0 ? Launcher[0] : NativeTool ?? DotnetHost())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Root,
        };
        foreach (var arg in Launcher.Skip(1).Append(NativeTool ?? DotnetHost()).Where(_ => Launcher.Count > 0))
        {
            start.ArgumentList.Add(arg);
        }

        if (NativeTool is null)
        {
            start.ArgumentList.Add(ToolPath);
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("BACKUP_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in Environment.Concat(environment ?? []))
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = new MemoryStream();
        var stdoutTask = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var stderrTask = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.BaseStream.WriteAsync(stdin);
            await process.StandardInput.BaseStream.FlushAsync();
        }

        if (afterStart is not null)
        {
            await afterStart(process);
        }

        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"backup {string.Join(' ', args)} did not finish in 60 s.");
        }

        await stdoutTask;
        var stderr = await stderrTask;
        var bytes = stdout.ToArray();
        return new CliResult(process.ExitCode, Encoding.UTF8.GetString(bytes), stderr, bytes);
    }

    /// <summary>Creates the repository, failing the test if that does not work.</summary>
    public async Task InitAsync()
    {
        var result = await RunAsync("init", "--compression", "zstd:1");
        result.ExitCode.Should().Be(0, result.Stderr);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    private static string DotnetHost()
    {
        var host = System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        var current = System.Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase) ? current : "dotnet";
    }
}
