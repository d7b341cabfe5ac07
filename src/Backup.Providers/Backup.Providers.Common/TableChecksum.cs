using System.Globalization;
using System.Text.Json;

namespace Backup.Providers;

/// <summary>What one table held at backup time: its row count and a checksum of its rows.</summary>
public sealed record TableChecksum
{
    /// <summary>The table's qualified name ("schema.table", or just "table").</summary>
    public required string Table { get; init; }

    /// <summary>The number of rows.</summary>
    public required long Rows { get; init; }

    /// <summary>A provider-specific checksum of the rows' contents, independent of their physical order.</summary>
    public required string Checksum { get; init; }
}

/// <summary>Reads and writes per-table checksums in snapshot metadata, one JSON value per database.</summary>
public static class ChecksumMetadata
{
    /// <summary>The metadata key that holds the checksums of <paramref name="database"/> for a provider's <paramref name="prefix"/> ("postgresql", …).</summary>
    public static string Key(string prefix, string database) => $"{prefix}.checksums.{database}";

    /// <summary>Stores <paramref name="tables"/> under <see cref="Key"/>.</summary>
    public static void Write(IDictionary<string, string> metadata, string prefix, string database, IEnumerable<TableChecksum> tables)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var map = tables.OrderBy(t => t.Table, StringComparer.Ordinal)
            .ToDictionary(t => t.Table, t => $"{t.Rows.ToString(CultureInfo.InvariantCulture)}:{t.Checksum}", StringComparer.Ordinal);
        metadata[Key(prefix, database)] = JsonSerializer.Serialize(map, CommonJson.Default.DictionaryStringString);
    }

    /// <summary>The checksums recorded for <paramref name="database"/>, or null when none were.</summary>
    /// <exception cref="FormatException">The recorded value is malformed.</exception>
    public static IReadOnlyList<TableChecksum>? Read(IReadOnlyDictionary<string, string> metadata, string prefix, string database)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (!metadata.TryGetValue(Key(prefix, database), out var json))
        {
            return null;
        }

        Dictionary<string, string>? map;
        try
        {
            map = JsonSerializer.Deserialize(json, CommonJson.Default.DictionaryStringString);
        }
        catch (JsonException)
        {
            map = null;
        }

        if (map is null || map.Any(pair => pair.Value is null))
        {
            throw new FormatException($"The table checksums recorded for '{database}' at backup time are not readable ({Key(prefix, database)} is not a JSON object of table names to checksums): the snapshot's metadata is damaged or was altered, so the restored data cannot be compared with them.");
        }

        return [.. map.Select(pair =>
        {
            var colon = pair.Value.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0 || !long.TryParse(pair.Value.AsSpan(0, colon), NumberStyles.Integer, CultureInfo.InvariantCulture, out var rows))
            {
                throw new FormatException($"The checksum recorded for table '{pair.Key}' of '{database}' at backup time is malformed: the snapshot's metadata is damaged or was altered, so the restored table cannot be compared with it.");
            }

            return new TableChecksum { Table = pair.Key, Rows = rows, Checksum = pair.Value[(colon + 1)..] };
        })];
    }

    /// <summary>Compares recorded checksums with measured ones: tables missing on either side or differing in rows or checksum.</summary>
    public static IReadOnlyList<TableMismatch> Compare(string database, IEnumerable<TableChecksum> expected, IEnumerable<TableChecksum> actual)
    {
        var measured = actual.ToDictionary(t => t.Table, StringComparer.Ordinal);
        var mismatches = new List<TableMismatch>();
        foreach (var want in expected)
        {
            measured.Remove(want.Table, out var got);
            if (got is null || got.Rows != want.Rows || !string.Equals(got.Checksum, want.Checksum, StringComparison.Ordinal))
            {
                mismatches.Add(new TableMismatch { Database = database, Table = want.Table, ExpectedRows = want.Rows, ActualRows = got?.Rows, ExpectedChecksum = want.Checksum, ActualChecksum = got?.Checksum });
            }
        }

        mismatches.AddRange(measured.Values.Select(extra => new TableMismatch { Database = database, Table = extra.Table, ExpectedRows = null, ActualRows = extra.Rows, ExpectedChecksum = null, ActualChecksum = extra.Checksum }));
        return mismatches;
    }
}

/// <summary>A table whose restored contents differ from what was recorded at backup time.</summary>
public sealed record TableMismatch
{
    /// <summary>The database (as backed up): the one of the snapshot whose recorded checksums the table was compared with.</summary>
    public required string Database { get; init; }

    /// <summary>The table.</summary>
    public required string Table { get; init; }

    /// <summary>Rows recorded at backup time; null when the table was not there.</summary>
    public required long? ExpectedRows { get; init; }

    /// <summary>Rows after the restore; null when the table is missing.</summary>
    public required long? ActualRows { get; init; }

    /// <summary>The recorded checksum.</summary>
    public required string? ExpectedChecksum { get; init; }

    /// <summary>The measured checksum.</summary>
    public required string? ActualChecksum { get; init; }

    /// <summary>
    /// The database the table was restored into and compared in, when it is still there to look at (a restore's own
    /// verification, into a database named differently from <see cref="Database"/> or not); null when the comparison
    /// ran in a scratch database that is gone, or in a SQLite file, where the table is under <see cref="Database"/>.
    /// </summary>
    public string? RestoredDatabase { get; init; }

    /// <summary>The table as it is named where it can be looked at: in <see cref="RestoredDatabase"/> when there is one, else in <see cref="Database"/>.</summary>
    public string QualifiedName => $"{RestoredDatabase ?? Database}.{Table}";

    /// <summary>How the table differs, from the rows and checksums expected and found.</summary>
    public TableMismatchKind Kind => (ExpectedRows, ActualRows) switch
    {
        (null, _) => TableMismatchKind.NotInSnapshot,
        (_, null) => TableMismatchKind.Missing,
        var (expected, found) when expected != found => TableMismatchKind.RowCount,
        _ => TableMismatchKind.Contents,
    };

    /// <summary>What differs, one line: the table by <see cref="QualifiedName"/>, its rows expected and found, or that their contents differ.</summary>
    public override string ToString() => Kind switch
    {
        TableMismatchKind.NotInSnapshot => $"{QualifiedName}: not in the snapshot, {CountText.Of(ActualRows ?? 0, "row", "rows")} found" +
            (RestoredDatabase is null ? string.Empty : " (there before the restore, or created since)"),
        TableMismatchKind.Missing => $"{QualifiedName}: {CountText.Of(ExpectedRows ?? 0, "row", "rows")} expected, table missing",
        TableMismatchKind.RowCount => $"{QualifiedName}: {CountText.Of(ExpectedRows ?? 0, "row", "rows")} expected, {ActualRows} found",
        _ => $"{QualifiedName}: {CountText.Of(ExpectedRows ?? 0, "row", "rows")} expected, {ActualRows} found, but their contents differ",
    };
}

/// <summary>The outcome of a test restore: whether it proved the backup, how long the restore took, and what failed.</summary>
public sealed record VerificationReport
{
    /// <summary>The snapshot verified.</summary>
    public required string SnapshotId { get; init; }

    /// <summary>The databases restored and compared.</summary>
    public IReadOnlyList<string> Databases { get; init; } = [];

    /// <summary>
    /// The measured restore time: the recovery time objective this backup actually achieves. Zero when the report
    /// compared a database restored before (a restore's own <c>Verify</c>, whose result has the restore's
    /// <see cref="DatabaseRestoreResult.Duration"/>, or <c>VerifyRestoredAsync</c>).
    /// </summary>
    public TimeSpan RestoreDuration { get; init; }

    /// <summary>Tables compared.</summary>
    public int TablesCompared { get; init; }

    /// <summary>The rows of the tables compared, as recorded at backup time.</summary>
    public long RowsCompared { get; init; }

    /// <summary>Tables whose rows or checksums differ from the recorded ones.</summary>
    public IReadOnlyList<TableMismatch> Mismatches { get; init; } = [];

    /// <summary>
    /// Integrity-check findings (amcheck, CHECK TABLE, PRAGMA integrity_check), one line each; for a restore's own
    /// <c>Verify</c>, which runs no integrity check, why the restored database could not be compared.
    /// </summary>
    public IReadOnlyList<string> IntegrityProblems { get; init; } = [];

    /// <summary>Checks that could not run (no amcheck, no recorded checksums) — not failures, but not proof either.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Whether the restore succeeded and every comparison and integrity check passed.</summary>
    public bool Succeeded => Mismatches.Count == 0 && IntegrityProblems.Count == 0;

    /// <summary>The tables that failed, by name.</summary>
    public IReadOnlyList<string> FailedTables => [.. Mismatches.Select(m => m.Table).Distinct(StringComparer.Ordinal)];

    /// <inheritdoc />
    public override string ToString() => Succeeded
        ? $"verified {CountText.Of(TablesCompared, "table", "tables")} of {string.Join(", ", Databases)}" +
          (RestoreDuration > TimeSpan.Zero ? $"; restore took {RestoreDuration.TotalSeconds:F1} s" : string.Empty)
        : $"verification FAILED: {string.Join("; ", Mismatches.Select(m => m.ToString()).Concat(IntegrityProblems))}";
}

/// <summary>A restore failed: the tool's exit code and stderr (passwords scrubbed), or the server's error.</summary>
public sealed class DatabaseRestoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DatabaseRestoreException(string message, Exception? innerException = null) : base(message, innerException) { }

    /// <summary>Creates the exception.</summary>
    public DatabaseRestoreException() : base("The restore failed.") { }

    /// <summary>Creates the exception.</summary>
    public DatabaseRestoreException(string message) : base(message) { }

    /// <summary>
    /// Creates the exception for a restore that <paramref name="remedy"/> lets go ahead: the message is
    /// <paramref name="problem"/> and the remedy in this library's option names (Clean, TargetDatabase).
    /// </summary>
    public DatabaseRestoreException(string problem, DatabaseRestoreRemedy remedy, Exception? innerException = null)
        : base(remedy switch
        {
            DatabaseRestoreRemedy.RestoreAgainWithClean => $"{WithoutStop(problem)}; restore it again with Clean.",
            DatabaseRestoreRemedy.CleanOrAnotherTarget => $"{WithoutStop(problem)}; restore over it with Clean or into another TargetDatabase.",
            DatabaseRestoreRemedy.AnotherTarget => $"{WithoutStop(problem)}; restore into another TargetDatabase, or drop it first.",
            _ => problem,
        }, innerException)
    {
        _problem = problem;
        Remedy = remedy;
    }

    private readonly string? _problem;

    /// <summary>What lets the restore go ahead; <see cref="DatabaseRestoreRemedy.None"/> when nothing about its target.</summary>
    public DatabaseRestoreRemedy Remedy { get; }

    /// <summary>The message without the remedy, for a tool that words <see cref="Remedy"/> in its own options.</summary>
    public string Problem => _problem ?? Message;

    private static string WithoutStop(string text) => text.TrimEnd().TrimEnd('.');
}

/// <summary>What a restore did.</summary>
public sealed record DatabaseRestoreResult
{
    /// <summary>The database as backed up.</summary>
    public required string SourceDatabase { get; init; }

    /// <summary>The database (or file) restored into.</summary>
    public required string TargetDatabase { get; init; }

    /// <summary>How long it took, from reading the snapshot to the restored database being ready.</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>Dump bytes read from the repository.</summary>
    public required long Bytes { get; init; }

    /// <summary>
    /// The restored tables compared with the checksums recorded at backup time, when the restore was asked to verify
    /// (its options' <c>Verify</c>); null otherwise. A report that did not succeed names the tables that differ; the
    /// database was left as restored.
    /// </summary>
    public VerificationReport? Verification { get; init; }
}
