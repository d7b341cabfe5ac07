namespace Backup.Core.Verification;

/// <summary>How serious a problem is.</summary>
public enum ProblemSeverity
{
    /// <summary>Data is missing or damaged, or the repository cannot be read as stored.</summary>
    Error = 0,

    /// <summary>Harmless for restores but worth tidying (prune or repair index clears it).</summary>
    Warning = 1,
}
