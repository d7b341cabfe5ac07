namespace Backup.Core.Retention;

/// <summary>
/// Which snapshot properties split snapshots into groups that retention evaluates independently, so that the
/// daily backups of one host never count towards (and never push out) those of another.
/// </summary>
[Flags]
public enum SnapshotGrouping
{
    /// <summary>All snapshots form one group.</summary>
    None = 0,

    /// <summary>Group by <see cref="Snapshots.Snapshot.Hostname"/>.</summary>
    Host = 1,

    /// <summary>Group by <see cref="Snapshots.Snapshot.SourceKind"/>.</summary>
    SourceKind = 2,

    /// <summary>Group by the set of <see cref="Snapshots.Snapshot.Paths"/> (order does not matter).</summary>
    Paths = 4,

    /// <summary>Group by the set of <see cref="Snapshots.Snapshot.Tags"/> (order does not matter).</summary>
    Tags = 8,

    /// <summary>The default: host, source kind and paths.</summary>
    Default = Host | SourceKind | Paths,
}
