using System.Diagnostics;

namespace Backup.Extensions.Tests;

/// <summary>
/// The WorkerService sample as someone runs it after a typo in its configuration: the setting is named, as
/// docs/hosting.md promises, and no stack trace is printed (the host would otherwise die of an unhandled exception).
/// </summary>
public sealed class WorkerServiceSampleTests : IDisposable
{
    private readonly string _temp = Path.Combine(Path.GetTempPath(), "worker-sample-tests", Guid.NewGuid().ToString("N"));

    public WorkerServiceSampleTests() => Directory.CreateDirectory(_temp);

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public async Task A_misspelt_setting_is_named_without_a_stack_trace_and_exits_2()
    {
        var sample = SampleAssembly();
        File.Exists(sample).Should().BeTrue($"the solution build builds the sample into {sample}");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(sample)!,
        };
        foreach (var arg in new[] { sample, "--once", "--urls", "http://127.0.0.1:0" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["Backup__Jobs__files__Shedule"] = "0 * * * *";
        start.Environment["TMPDIR"] = _temp;
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout + await stderr;

        process.ExitCode.Should().Be(2, output);
        (await stderr).Should().Contain("Backup:Jobs:files:Shedule: 'Shedule' is not a known setting; did you mean 'Schedule'?");
        output.Should().NotContain("Unhandled exception").And.NotContain("   at ");
    }

    /// <summary>The sample's build in the configuration these tests were built in (…/bin/Release/net10.0/).</summary>
    private static string SampleAssembly()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testBin.Name;
        var configuration = testBin.Parent!.Name;
        var root = testBin;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Backup.sln")))
        {
            root = root.Parent;
        }

        return Path.Combine(root?.FullName ?? throw new InvalidOperationException("Backup.sln not found above the test assembly."),
            "samples", "WorkerService", "bin", configuration, framework, "WorkerService.dll");
    }
}
