namespace Backup.Core.Retention;

/// <summary>One group of snapshots evaluated together, with a decision for each snapshot, newest first.</summary>
public sealed record RetentionGroup
{
    /// <summary>What the group's snapshots have in common.</summary>
    public required RetentionGroupKey Key { get; init; }

    /// <summary>One decision per snapshot in the group, newest first.</summary>
    public required IReadOnlyList<RetentionDecision> Decisions { get; init; }

    /// <summary>The decisions that keep their snapshot, newest first.</summary>
    public IEnumerable<RetentionDecision> Kept => Decisions.Where(d => d.IsKept);

    /// <summary>The decisions that remove their snapshot, newest first.</summary>
    public IEnumerable<RetentionDecision> Removed => Decisions.Where(d => !d.IsKept);
}
