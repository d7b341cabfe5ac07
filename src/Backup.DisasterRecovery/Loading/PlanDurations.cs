using System.Globalization;
using System.Text.RegularExpressions;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;

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

        if (!IsDuration(path))
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

    /// <summary>
    /// An error for each duration setting of <paramref name="configuration"/> written as a number alone (<c>rpo: 90</c>):
    /// TimeSpan reads it as days, where whoever wrote it may have meant minutes, and a plan that promises 90 days
    /// would then validate. Short forms were rewritten to d.hh:mm:ss (<see cref="Normalize"/>), which has a colon.
    /// </summary>
    public static IEnumerable<string> BareNumbers(IConfiguration configuration)
    {
        foreach (var (path, value) in configuration.AsEnumerable())
        {
            if (value is { Length: > 0 } && !value.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out _) && IsDuration(path))
            {
                var number = value.Trim();
                yield return $"{path}: '{value}' is not valid; expected {ConfigurationKeyChecker.Describe(typeof(TimeSpan))}; a number needs a unit, such as {number}m or {number}d.";
            }
        }
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

    /// <summary>Whether <paramref name="path"/> is a duration setting, not a key of a free-form map that happens to share its name.</summary>
    private static bool IsDuration(string path)
    {
        var segments = path.Split(':');
        return DurationSettings.Contains(segments[^1]) && !segments.Any(s => FreeForm.Contains(s, StringComparer.OrdinalIgnoreCase));
    }

    [GeneratedRegex(@"^(?<amount>[0-9]+(\.[0-9]+)?)\s*(?<unit>s|min|m|h|d|w)$", RegexOptions.CultureInvariant)]
    private static partial Regex ShortForm();
}
