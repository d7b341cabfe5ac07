using System.Globalization;

namespace Backup.Core.Storage;

/// <summary>
/// Upload and download limits of a <see cref="BandwidthLimitedTarget"/>, in bytes per second, shared by every
/// request made through it. A null limit leaves that direction unlimited.
/// </summary>
public sealed record BandwidthLimitOptions
{
    /// <summary>The highest rate a limit can have: 2 GiB/s less a byte (<see cref="int.MaxValue"/>).</summary>
    public const long MaxBytesPerSecond = int.MaxValue;

    /// <summary>Bytes per second sent by puts and staged commits; unlimited when null.</summary>
    public long? UploadBytesPerSecond { get; init; }

    /// <summary>Bytes per second returned by reads; unlimited when null.</summary>
    public long? DownloadBytesPerSecond { get; init; }

    /// <summary>Whether either direction is limited.</summary>
    public bool IsLimited => UploadBytesPerSecond is not null || DownloadBytesPerSecond is not null;

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public void Validate()
    {
        Check(nameof(UploadBytesPerSecond), UploadBytesPerSecond);
        Check(nameof(DownloadBytesPerSecond), DownloadBytesPerSecond);
    }

    /// <summary>
    /// Parses a rate such as <c>10M</c>, <c>512K</c>, <c>1.5MiB/s</c> or <c>800KB</c> into bytes per second. K, M and G
    /// (with or without "iB") are powers of 1024; KB, MB and GB are powers of 1000; B is bytes; a number without a unit
    /// is KiB/s, as restic's limits are. A trailing "/s" is allowed; case does not matter.
    /// </summary>
    /// <param name="text">The rate.</param>
    /// <returns>The rate in bytes per second, at least 1.</returns>
    /// <exception cref="FormatException">The text is not such a rate, or it is not above zero, or above <see cref="MaxBytesPerSecond"/>; the message says what is accepted.</exception>
    public static long ParseRate(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.EndsWith("/s", StringComparison.OrdinalIgnoreCase))
        {
            trimmed = trimmed[..^2].TrimEnd();
        }

        var digits = 0;
        while (digits < trimmed.Length && (char.IsAsciiDigit(trimmed[digits]) || trimmed[digits] == '.'))
        {
            digits++;
        }

        var multiplier = Multiplier(trimmed[digits..].Trim());
        if (digits == 0 || multiplier == 0
            || !decimal.TryParse(trimmed.AsSpan(0, digits), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            throw new FormatException($"'{text}' is not a rate; give a number with a unit such as 512K, 10M or 1.5MiB (K/M/G and KiB/MiB/GiB are powers of 1024, KB/MB/GB powers of 1000, a bare number is KiB/s).");
        }

        var bytes = number * multiplier;
        if (bytes < 1 || bytes > MaxBytesPerSecond)
        {
            throw new FormatException($"'{text}' is out of range; a rate must be at least 1 byte/s and below 2GiB/s (leave the limit out for none).");
        }

        return (long)Math.Round(bytes, MidpointRounding.AwayFromZero);
    }

    private static long Multiplier(string unit) => unit.ToUpperInvariant() switch
    {
        "" => 1024,
        "B" => 1,
        "K" or "KIB" => 1024,
        "M" or "MIB" => 1024 * 1024,
        "G" or "GIB" => 1024 * 1024 * 1024,
        "KB" => 1000,
        "MB" => 1000 * 1000,
        "GB" => 1000 * 1000 * 1000,
        _ => 0,
    };

    private static void Check(string name, long? bytesPerSecond)
    {
        if (bytesPerSecond is { } rate && (rate < 1 || rate > MaxBytesPerSecond))
        {
            throw new ArgumentException($"{name} must be between 1 and {MaxBytesPerSecond} bytes per second, or null for no limit (was {rate}).");
        }
    }
}
