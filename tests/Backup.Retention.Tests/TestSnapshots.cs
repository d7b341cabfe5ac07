using System.Globalization;
using System.Text;
using Backup.Core.Repository;
using Backup.Core.Snapshots;

namespace Backup.Retention.Tests;

/// <summary>Builds snapshots with hand-set times and unique, deterministic IDs.</summary>
internal static class TestSnapshots
{
    public static readonly DateTimeOffset FarFuture = new(2100, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static TimeZoneInfo Berlin => TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    public static TimeZoneInfo NewYork => TimeZoneInfo.FindSystemTimeZoneById("America/New_York");

    /// <summary>A snapshot at <paramref name="time"/> (ISO 8601 with offset, e.g. 2026-11-24T10:00Z).</summary>
    public static Snapshot At(string time, string host = "web1", string[]? tags = null, string[]? paths = null, bool pinned = false, string kind = "files", int discriminator = 0) =>
        At(DateTimeOffset.Parse(time, CultureInfo.InvariantCulture), host, tags, paths, pinned, kind, discriminator);

    public static Snapshot At(DateTimeOffset time, string host = "web1", string[]? tags = null, string[]? paths = null, bool pinned = false, string kind = "files", int discriminator = 0) => new()
    {
        Id = BlobId.Sha256(Encoding.UTF8.GetBytes($"{time:O}|{host}|{kind}|{string.Join(',', paths ?? ["/srv"])}|{string.Join(',', tags ?? [])}|{pinned}|{discriminator}")),
        Time = time,
        Hostname = host,
        SourceKind = kind,
        Paths = paths ?? ["/srv"],
        Tags = tags ?? [],
        Pinned = pinned,
    };
}
