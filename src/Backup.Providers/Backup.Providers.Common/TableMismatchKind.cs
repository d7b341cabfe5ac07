namespace Backup.Providers;

/// <summary>How a table differs from what was recorded at backup time.</summary>
public enum TableMismatchKind
{
    /// <summary>The table was recorded at backup time but is not in the database compared.</summary>
    Missing,

    /// <summary>The table is in the database compared but was not recorded at backup time.</summary>
    NotInSnapshot,

    /// <summary>The table holds a different number of rows than recorded.</summary>
    RowCount,

    /// <summary>The table holds as many rows as recorded, but their checksum differs: their contents changed.</summary>
    Contents,
}
