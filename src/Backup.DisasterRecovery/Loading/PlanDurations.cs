using System.Globalization;
using System.Text.RegularExpressions;

namespace Backup.DisasterRecovery;

/// <summary>
/// Durations in a plan may be written the way people say them ("15m", "6h", "1.5h", "7d", "2w") as well as the
/// configuration's d.hh:mm:ss; the short form is turned into the long one before binding. Only settings that are
/// durations are touched: free-form maps (headers, environment, provider settings) keep their values.
/// </summary>
internal static partial class PlanDurations
{
    private static readonly HashSet<string> DurationSettings = new(StringComparer.OrdinalIgnoreCase)
    {
        "Rpo", "Rto", "Timeout", "Interval", "MaxAge", "VerificationMaxAge", "MaxJitter", "Every",
    };

    private static readonly string[] FreeForm = ["Headers", "SecretHeaders", "Environment", "Settings"];

    /// <summary>The value to bind for <paramref name="path"/>: a short duration rewritten, anything else unchanged.</summary>
    public static string? Normalize(string path, string? value)
    {
        if (value is null || ShortForm().Match(value.Trim()) is not { Success: true } match)
        {
            return value;
        }

        var segments = path.Split(':');
        if (!DurationSettings.Contains(segments[^1]) || segments.Any(s => FreeForm.Contains(s, StringComparer.OrdinalIgnoreCase)))
        {
            return value;
        }

        var amount = double.Parse(match.Groups["amount"].Value, CultureInfo.InvariantCulture);
        var duration = match.Groups["unit"].Value switch
        {
            "s" => TimeSpan.FromSeconds(amount),
            "m" or "min" => TimeSpan.FromMinutes(amount),
            "h" => TimeSpan.FromHours(amount),
            "d" => TimeSpan.FromDays(amount),
            _ => TimeSpan.FromDays(7 * amount),
        };
        return duration.ToString("c", CultureInfo.InvariantCulture);
    }

    /// <summary>A duration for people: "90 min" → "1h 30m", "1.00:00:00" → "1d".</summary>
    public static string Format(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero)
        {
            return "0s";
        }

        var parts = new List<string>(4);
        if (duration.Days > 0)
        {
            parts.Add($"{duration.Days}d");
        }

        if (duration.Hours > 0)
        {
            parts.Add($"{duration.Hours}h");
        }

        if (duration.Minutes > 0)
        {
            parts.Add($"{duration.Minutes}m");
        }

        if (duration.Seconds > 0 || parts.Count == 0)
        {
            parts.Add($"{duration.Seconds}s");
        }

        return string.Join(' ', parts);
    }

    [GeneratedRegex(@"^(?<amount>[0-9]+(\.[0-9]+)?)\s*(?<unit>s|min|m|h|d|w)$", RegexOptions.CultureInvariant)]
    private static partial Regex ShortForm();
}
