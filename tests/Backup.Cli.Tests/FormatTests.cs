namespace Backup.Cli.Tests;

public sealed class FormatTests
{
    /// <summary>A restore drill of a few bytes takes no measurable time: its summary said "in 0.00s (-)", a dash nobody could read.</summary>
    [Fact]
    public void A_summary_rate_too_quick_to_measure_says_so_in_words()
    {
        Format.RateOrTooQuick(2, TimeSpan.Zero).Should().Be("too quick to measure a rate");
        Format.RateOrTooQuick(2048, TimeSpan.FromSeconds(2)).Should().Be(Format.Rate(2048, TimeSpan.FromSeconds(2)));
    }

    /// <summary>check --read-data of a small repository took no measurable time: its summary ended "… at -.".</summary>
    [Fact]
    public void Check_read_data_too_quick_to_measure_says_so_in_words()
    {
        var quick = new Backup.Core.Verification.CheckResult { PacksRead = 1, BlobsRead = 2, BytesRead = 2048, Duration = TimeSpan.Zero };
        var measured = quick with { Duration = TimeSpan.FromSeconds(2) };

        ReadDataSummary.Line(new Backup.Core.Verification.CheckOptions { ReadData = true }, quick)
            .Should().Be($"Read data: 1 pack(s), 2 blob(s), {Format.Bytes(2048)} (too quick to measure a rate).");
        ReadDataSummary.Line(new Backup.Core.Verification.CheckOptions { ReadData = true }, measured)
            .Should().Be($"Read data: 1 pack(s), 2 blob(s), {Format.Bytes(2048)} ({Format.Rate(2048, TimeSpan.FromSeconds(2))}).");
    }
}
