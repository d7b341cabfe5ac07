using System.Diagnostics;

namespace Backup.DisasterRecovery.Tests.Reports;

/// <summary>Headless Chromium (Debian's <c>chromium</c>, installed by scripts/install-test-servers.sh) for checking rendered pages.</summary>
internal static class Chromium
{
    public const string SkipReason = "Chromium is not installed (run scripts/install-test-servers.sh, or set BACKUP_TEST_CHROMIUM to its path)";

    /// <summary>The browser's path, or null when there is none.</summary>
    public static string? Find()
    {
        if (Environment.GetEnvironmentVariable("BACKUP_TEST_CHROMIUM") is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? configured : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(dir => new[] { "chromium", "chromium-browser", "google-chrome", "google-chrome-stable" }.Select(name => Path.Combine(dir, name)))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>Runs the browser headless on <paramref name="page"/> with <paramref name="arguments"/> and returns its standard output.</summary>
    public static async Task<string> RunAsync(string browser, string page, string profile, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(browser)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars", "--force-device-scale-factor=1", $"--user-data-dir={profile}" }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        start.ArgumentList.Add(new Uri(page).AbsoluteUri);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"Chromium did not finish within 2 minutes: {await errors}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"Chromium exited with {process.ExitCode}: {await errors}");
        }

        return await output;
    }
}
