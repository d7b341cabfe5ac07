using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Backup.Core.Snapshots;

namespace Backup.Providers;

/// <summary>Which databases a server engine's snapshot holds, and which one a restore takes.</summary>
internal static class SnapshotDatabases
{
    /// <summary>The databases recorded under <c>&lt;kind&gt;.databases</c>.</summary>
    /// <exception cref="ArgumentException">The snapshot is not a <paramref name="engine"/> backup.</exception>
    /// <exception cref="DatabaseRestoreException">The recorded list is not a JSON list of names.</exception>
    public static IReadOnlyList<string> Of(Snapshot snapshot, string kind, string engine, JsonTypeInfo<List<string>> list)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.SourceKind != kind || !snapshot.Metadata.TryGetValue($"{kind}.databases", out var json))
        {
            throw new ArgumentException($"Snapshot {snapshot.Id} is a '{snapshot.SourceKind}' backup, not a {engine} one.", nameof(snapshot));
        }

        List<string>? databases;
        try
        {
            databases = JsonSerializer.Deserialize(json, list);
        }
        catch (JsonException)
        {
            databases = null;
        }

        if (databases is null || databases.Any(string.IsNullOrEmpty))
        {
            throw new DatabaseRestoreException($"Snapshot {snapshot.Id} records its databases ({kind}.databases) in a form that is not a JSON list of names: the snapshot is damaged or was altered. Restore from another snapshot.");
        }

        return databases;
    }

    /// <summary>The path of <paramref name="database"/>'s dump in the snapshot, recorded under <c>&lt;kind&gt;.entry.&lt;database&gt;</c>.</summary>
    /// <exception cref="DatabaseRestoreException">The snapshot lists the database but records no dump of it.</exception>
    public static string EntryOf(Snapshot snapshot, string kind, string database) =>
        snapshot.Metadata.GetValueOrDefault($"{kind}.entry.{database}")
        ?? throw new DatabaseRestoreException($"Snapshot {snapshot.Id} lists database '{database}' but records no dump of it ({kind}.entry.{database}): the snapshot is damaged or was altered. Restore from another snapshot.");

    /// <summary>The database to restore: <paramref name="requested"/>, or the snapshot's only one; <paramref name="paramName"/> names the caller's options in an error.</summary>
    /// <exception cref="ArgumentException">None was requested from a multi-database snapshot, or the requested one is not in it.</exception>
    public static string Pick(Snapshot snapshot, IReadOnlyList<string> databases, string? requested, string paramName)
    {
        var source = requested
            ?? (databases.Count == 1 ? databases[0] : throw new ArgumentException($"The snapshot holds {databases.Count} databases ({string.Join(", ", databases)}); set SourceDatabase.", paramName));
        return databases.Contains(source, StringComparer.Ordinal)
            ? source
            : throw new ArgumentException($"Database '{source}' is not in snapshot {snapshot.Id} (it holds {string.Join(", ", databases)}).", paramName);
    }
}
