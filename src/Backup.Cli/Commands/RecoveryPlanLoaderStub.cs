namespace Backup.DisasterRecovery;

/// <summary>
/// MERGE: delete this file. A stand-in for 19-V's <c>Backup.DisasterRecovery.RecoveryPlanLoader</c> so this branch
/// builds before that lands; once both are merged the compiler reports CS0436 (a type conflicting with the imported
/// one), so it cannot stay by accident.
/// </summary>
internal static class RecoveryPlanLoader
{
    public static Task<RecoveryPlan> LoadAsync(string path, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"Cannot load the plan {path}: this build has no plan loader yet.");
}
