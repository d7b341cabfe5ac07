using Backup.Core.Verification;

namespace Backup.Cli;

/// <summary>The line <c>backup check --read-data</c> (or <c>--read-data-subset</c>) ends with: how much data it read, and how fast.</summary>
internal static class ReadDataSummary
{
    public static string Line(CheckOptions options, CheckResult result) =>
        $"Read data{(options.ReadData ? "" : $" (subset {options.Subset})")}: {result.PacksRead} pack(s), {result.BlobsRead} blob(s), " +
        $"{Format.Bytes(result.BytesRead)} ({Format.RateOrTooQuick(result.BytesRead, result.Duration)}).";
}
