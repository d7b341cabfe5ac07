using System.Globalization;
using Backup.Core.Transforms;

namespace Backup.Core.Repository;

/// <summary>Parses compression settings ("zstd", "zstd:LEVEL", "gzip", "none") into transforms.</summary>
public static class CompressionSetting
{
    /// <summary>The transform for <paramref name="setting"/>.</summary>
    /// <exception cref="ArgumentException">The setting is not one of the known forms.</exception>
    public static IStreamTransform Parse(string setting)
    {
        var parts = (setting ?? string.Empty).Trim().ToLowerInvariant().Split(':', 2);
        return parts[0] switch
        {
            ZstdTransform.TransformName when parts.Length == 1 => new ZstdTransform(),
            ZstdTransform.TransformName when int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var level) && level is >= 1 and <= 19 => new ZstdTransform(level),
            GzipTransform.TransformName when parts.Length == 1 => new GzipTransform(),
            NoneTransform.TransformName when parts.Length == 1 => new NoneTransform(),
            _ => throw new ArgumentException($"Unknown compression '{setting}': use zstd, zstd:LEVEL (1-19), gzip or none."),
        };
    }
}
