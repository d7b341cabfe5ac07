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
}
