using Backup.Core.Storage;

namespace Backup.Cli;

/// <summary>Reads --limit-upload and --limit-download: rates in the library's syntax, a bad one a usage error naming the option.</summary>
internal static class BandwidthLimit
{
    public const string HelpText = "bytes per second: 512K, 10M, 1.5MiB or 1G are powers of 1024, 800KB or 8MB powers of 1000, a bare number is KiB/s as in restic";

    /// <summary>The limits given, or null when neither option is.</summary>
    /// <exception cref="CliUsageException">A rate is not one; the message names the option and the syntax.</exception>
    public static BandwidthLimitOptions? FromOptions(string? upload, string? download) =>
        upload is null && download is null
            ? null
            : new BandwidthLimitOptions { UploadBytesPerSecond = Parse(upload, "--limit-upload"), DownloadBytesPerSecond = Parse(download, "--limit-download") };

    private static long? Parse(string? text, string option)
    {
        if (text is null)
        {
            return null;
        }

        try
        {
            return BandwidthLimitOptions.ParseRate(text);
        }
        catch (FormatException ex)
        {
            throw new CliUsageException($"{option}: {ex.Message}");
        }
    }
}
