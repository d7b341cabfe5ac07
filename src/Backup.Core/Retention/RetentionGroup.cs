namespace Backup.Core.Retention;

/// <summary>One group of snapshots evaluated together, with a decision for each snapshot, newest first.</summary>
/// <param name="Key">What the group's snapshots have in common.</param>
/// <param name="Decisions">One decision per snapshot in the group, newest first.</param>
public sealed record RetentionGroup(RetentionGroupKey Key, IReadOnlyList<RetentionDecision> Decisions)
{
    /// <summary>The decisions that keep their snapshot, newest first.</summary>
    public IEnumerable<RetentionDecision> Kept => Decisions.Where(d => d.IsKept);

    /// <summary>The decisions that remove their snapshot, newest first.</summary>
    public IEnumerable<RetentionDecision> Removed => Decisions.Where(d => !d.IsKept);
}
