using Backup.Core.Snapshots;

namespace Backup.Core.Retention;

/// <summary>
/// What the snapshots of one retention group share. A property the policy does not group by is null.
/// Paths and tags are sorted (ordinal), so two snapshots listing the same paths in another order share a group.
/// </summary>
public sealed record RetentionGroupKey
{
    /// <summary>The host, when grouping by host.</summary>
    public string? Hostname { get; init; }

    /// <summary>The source kind, when grouping by source kind.</summary>
    public string? SourceKind { get; init; }

    /// <summary>The sorted, distinct paths, when grouping by paths.</summary>
    public IReadOnlyList<string>? Paths { get; init; }

    /// <summary>The sorted, distinct tags, when grouping by tags.</summary>
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>The key of <paramref name="snapshot"/>'s group under <paramref name="grouping"/>.</summary>
    public static RetentionGroupKey For(Snapshot snapshot, SnapshotGrouping grouping)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return new RetentionGroupKey
        {
            Hostname = grouping.HasFlag(SnapshotGrouping.Host) ? snapshot.Hostname : null,
            SourceKind = grouping.HasFlag(SnapshotGrouping.SourceKind) ? snapshot.SourceKind : null,
            Paths = grouping.HasFlag(SnapshotGrouping.Paths) ? Canonical(snapshot.Paths) : null,
            Tags = grouping.HasFlag(SnapshotGrouping.Tags) ? Canonical(snapshot.Tags) : null,
        };
    }

    /// <summary>Whether both keys name the same group (lists compared by content).</summary>
    public bool Equals(RetentionGroupKey? other) =>
        other is not null
        && string.Equals(Hostname, other.Hostname, StringComparison.Ordinal)
        && string.Equals(SourceKind, other.SourceKind, StringComparison.Ordinal)
        && SameList(Paths, other.Paths)
        && SameList(Tags, other.Tags);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Hostname, StringComparer.Ordinal);
        hash.Add(SourceKind, StringComparer.Ordinal);
        foreach (var path in Paths ?? [])
        {
            hash.Add(path, StringComparer.Ordinal);
        }

        hash.Add(Paths is null);
        foreach (var tag in Tags ?? [])
        {
            hash.Add(tag, StringComparer.Ordinal);
        }

        hash.Add(Tags is null);
        return hash.ToHashCode();
    }

    /// <summary>A readable form, e.g. <c>host=web1 kind=files paths=[/etc, /srv]</c>; "all snapshots" when ungrouped.</summary>
    public override string ToString()
    {
        var parts = new List<string>(4);
        if (Hostname is not null)
        {
            parts.Add($"host={Hostname}");
        }

        if (SourceKind is not null)
        {
            parts.Add($"kind={SourceKind}");
        }

        if (Paths is not null)
        {
            parts.Add($"paths=[{string.Join(", ", Paths)}]");
        }

        if (Tags is not null)
        {
            parts.Add($"tags=[{string.Join(", ", Tags)}]");
        }

        return parts.Count == 0 ? "all snapshots" : string.Join(' ', parts);
    }

    private static string[] Canonical(IReadOnlyList<string> values) =>
        values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    private static bool SameList(IReadOnlyList<string>? a, IReadOnlyList<string>? b) =>
        a is null ? b is null : b is not null && a.SequenceEqual(b, StringComparer.Ordinal);
}
