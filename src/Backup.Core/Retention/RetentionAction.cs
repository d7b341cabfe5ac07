namespace Backup.Core.Retention;

/// <summary>What retention does with one snapshot.</summary>
public enum RetentionAction
{
    /// <summary>The snapshot stays: at least one rule, its pin, or its future date keeps it.</summary>
    Keep,

    /// <summary>No rule keeps the snapshot: its snapshot object is deleted (its data is freed later by prune).</summary>
    Remove,
}
