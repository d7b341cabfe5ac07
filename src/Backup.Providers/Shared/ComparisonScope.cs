namespace Backup.Providers;

/// <summary>What a comparison of a database already restored covers.</summary>
/// <param name="Tables">The tables a selective restore was asked for (as its options name them); empty: every recorded table.</param>
/// <param name="CheckIntegrity">Whether the engine's integrity check runs too.</param>
/// <param name="TargetStays">
/// Whether the database compared is one the caller keeps and looks at (a restore's target): a differing table is then
/// named as it is there (<see cref="TableMismatch.RestoredDatabase"/>), not by the database it was backed up from.
/// </param>
internal sealed record ComparisonScope(IReadOnlyCollection<string> Tables, bool CheckIntegrity, bool TargetStays = false)
{
    /// <summary>A drill's scratch database: every recorded table, and the integrity check.</summary>
    public static ComparisonScope Drill { get; } = new([], CheckIntegrity: true);

    /// <summary>
    /// A restore's own verification (<c>Verify</c>): the tables restored, and no integrity check, which is not what
    /// was asked and would change the database (amcheck is an extension the check creates) or hold locks on it.
    /// </summary>
    public static ComparisonScope Restored(IReadOnlyCollection<string> tables) => new(tables, CheckIntegrity: false, TargetStays: true);
}
