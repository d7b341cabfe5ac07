using Backup.Core.Pipeline;

namespace Backup.Cli.Tests;

/// <summary>The progress line's share done and ETA, once the backup's count of the tree is known.</summary>
public sealed class ProgressLineTests
{
    private static BackupProgress Progress(long files, long bytes, TimeSpan elapsed, long? totalFiles = null, long? totalBytes = null) => new()
    {
        Files = files, BytesProcessed = bytes, BytesRead = bytes, BytesStored = bytes, CurrentPath = null, Elapsed = elapsed,
        TotalFiles = totalFiles, TotalBytes = totalBytes,
    };

    private static string LastLine(StringWriter output) => output.ToString().Split('\r', StringSplitOptions.RemoveEmptyEntries)[^1].TrimEnd();

    [Fact]
    public void Without_a_total_the_line_has_no_share_and_no_eta()
    {
        var output = new StringWriter();
        var renderer = new ProgressRenderer(output, enabled: true, "backup");

        renderer.Report(Progress(3, 250 * 1024, TimeSpan.FromSeconds(10)));

        LastLine(output).Should().Be("backup: 3 files, 250.0 KiB, 25.0 KiB/s, 0:10");
    }

    [Fact]
    public void With_the_total_the_line_shows_the_share_done_and_an_eta_from_the_rate_of_the_last_seconds()
    {
        var output = new StringWriter();
        var renderer = new ProgressRenderer(output, enabled: true, "backup");
        const long MiB = 1024 * 1024;

        // 600 MiB of unchanged files are trusted at once, then the changed ones are read at 10 MiB/s.
        renderer.Report(Progress(500, 600 * MiB, TimeSpan.FromSeconds(1), 1_000, 1_000 * MiB));
        renderer.Report(Progress(600, 700 * MiB, TimeSpan.FromSeconds(11), 1_000, 1_000 * MiB));

        // 300 MiB left at 10 MiB/s: 30 s, where the whole run's average (700 MiB in 11 s) would promise under 5 s.
        LastLine(output).Should().Be("backup: 600 of 1000 files, 700.0 MiB of 1000.0 MiB (70%), 63.6 MiB/s, 0:11, ETA 0:30");
    }

    [Fact]
    public void The_total_arriving_later_adds_the_share_and_eta_and_a_finished_run_has_no_eta()
    {
        var output = new StringWriter();
        var renderer = new ProgressRenderer(output, enabled: true, "backup");

        renderer.Report(Progress(10, 100, TimeSpan.FromSeconds(2)));
        LastLine(output).Should().NotContain("%").And.NotContain("ETA");

        renderer.Report(Progress(20, 200, TimeSpan.FromSeconds(4), 80, 800));
        LastLine(output).Should().Be("backup: 20 of 80 files, 200 B of 800 B (25%), 50 B/s, 0:04, ETA 0:12");

        renderer.Report(Progress(80, 800, TimeSpan.FromSeconds(5), 80, 800));
        LastLine(output).Should().Be("backup: 80 of 80 files, 800 B of 800 B (100%), 160 B/s, 0:05");
    }

    [Fact]
    public void Reports_closer_than_a_tenth_of_a_second_are_not_drawn_and_a_disabled_renderer_draws_nothing()
    {
        var output = new StringWriter();
        var renderer = new ProgressRenderer(output, enabled: true, "backup");
        renderer.Report(Progress(1, 1, TimeSpan.FromSeconds(1)));
        renderer.Report(Progress(2, 2, TimeSpan.FromSeconds(1.05)));
        LastLine(output).Should().StartWith("backup: 1 file, ", "one file is not \"1 files\"");

        var silent = new StringWriter();
        new ProgressRenderer(silent, enabled: false, "backup").Report(Progress(1, 1, TimeSpan.FromSeconds(1), 1, 1));
        silent.ToString().Should().BeEmpty();
    }
}
