namespace Backup.Providers;

/// <summary>
/// What lets a restore that stopped at its target go ahead (<see cref="DatabaseRestoreException.Remedy"/>), for an
/// application or tool to word in its own terms; the exception's message words it in this library's option names.
/// </summary>
public enum DatabaseRestoreRemedy
{
    /// <summary>Nothing about the target.</summary>
    None,

    /// <summary>The target is partly restored: restoring again with <see cref="DatabaseRestoreSettings.Clean"/> replaces it.</summary>
    RestoreAgainWithClean,

    /// <summary>The target database exists: restore over it with <see cref="DatabaseRestoreSettings.Clean"/>, or into another <see cref="DatabaseRestoreSettings.TargetDatabase"/>.</summary>
    CleanOrAnotherTarget,

    /// <summary>
    /// The target is completely restored, but the comparison <see cref="DatabaseRestoreSettings.Verify"/> asked for was
    /// interrupted: verify it again (the restorer's <c>VerifyRestoredAsync</c>), or restore again with
    /// <see cref="DatabaseRestoreSettings.Clean"/> and <see cref="DatabaseRestoreSettings.Verify"/>.
    /// </summary>
    VerifyAgain,

    /// <summary>
    /// The target database exists and this snapshot cannot restore over it, even with
    /// <see cref="DatabaseRestoreSettings.Clean"/>: restore into another <see cref="DatabaseRestoreSettings.TargetDatabase"/>,
    /// or drop the target first. Nothing was changed.
    /// </summary>
    AnotherTarget,
}
