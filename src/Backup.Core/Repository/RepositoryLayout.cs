namespace Backup.Core.Repository;

/// <summary>The object keys of a repository (format v1); see docs/repository-format.md.</summary>
internal static class RepositoryLayout
{
    /// <summary>The plain-text JSON configuration.</summary>
    public const string Config = "config";

    /// <summary>Key objects: the master key wrapped by one password or key file each.</summary>
    public const string KeysPrefix = "keys/";

    /// <summary>Packs of blobs, fanned out by the first two hex digits of their ID.</summary>
    public const string DataPrefix = "data/";

    /// <summary>Index objects.</summary>
    public const string IndexPrefix = "index/";

    /// <summary>Snapshot objects.</summary>
    public const string SnapshotsPrefix = "snapshots/";

    /// <summary>Lock objects.</summary>
    public const string LocksPrefix = "locks/";

    /// <summary>Application records (<c>records/KIND/ID</c>).</summary>
    public const string RecordsPrefix = "records/";

    /// <summary>Whether <paramref name="key"/> is one a repository writes (its config or an object under one of its prefixes).</summary>
    public static bool IsRepositoryObject(string key) =>
        key == Config || key.StartsWith(KeysPrefix, StringComparison.Ordinal) || key.StartsWith(DataPrefix, StringComparison.Ordinal)
        || key.StartsWith(IndexPrefix, StringComparison.Ordinal) || key.StartsWith(SnapshotsPrefix, StringComparison.Ordinal)
        || key.StartsWith(LocksPrefix, StringComparison.Ordinal) || key.StartsWith(RecordsPrefix, StringComparison.Ordinal);

    /// <summary>The key of a pack.</summary>
    public static string PackKey(BlobId id)
    {
        var hex = id.ToString();
        return $"{DataPrefix}{hex[..2]}/{hex}";
    }

    /// <summary>The key of an index object.</summary>
    public static string IndexKey(BlobId id) => IndexPrefix + id;

    /// <summary>The key of a snapshot object.</summary>
    public static string SnapshotKey(BlobId id) => SnapshotsPrefix + id;

    /// <summary>The ID at the end of an object key, or false when the key does not end in one.</summary>
    public static bool TryParseId(string key, out BlobId id) => BlobId.TryParse(key[(key.LastIndexOf('/') + 1)..], out id);
}
