using Backup.Core.Snapshots;

namespace Backup.Core.Retention;

/// <summary>What <see cref="RetentionService.ApplyAsync"/> decided and did.</summary>
public sealed record RetentionResult
{
    /// <summary>The groups, each with a decision and its reasons for every snapshot, newest first.</summary>
    public required IReadOnlyList<RetentionGroup> Groups { get; init; }

    /// <summary>Whether this was a dry run (nothing deleted).</summary>
    public required bool DryRun { get; init; }

    /// <summary>The "now" the policy was evaluated against (snapshots after it were kept as future-dated).</summary>
    public required DateTimeOffset EvaluatedAt { get; init; }

    /// <summary>How many snapshot objects were deleted: 0 in a dry run, else the number of <see cref="Removed"/> snapshots less the <see cref="Locked"/> ones.</summary>
    public required int Deleted { get; init; }

    /// <summary>
    /// Snapshot objects that could not be read, by key and reason. They took no part in the evaluation and were
    /// not deleted; leaving one out can only make the policy keep more of the others, never fewer.
    /// </summary>
    public IReadOnlyList<string> Problems { get; init; } = [];

    /// <summary>
    /// Snapshot objects the policy removes that the storage refused to delete under a retention lock: they stay
    /// until the lock ends (a later forget deletes them), and their data stays with them.
    /// </summary>
    public IReadOnlyList<Storage.LockedObject> Locked { get; init; } = [];

    /// <summary>The snapshots kept, over all groups.</summary>
    public IEnumerable<Snapshot> Kept => Groups.SelectMany(g => g.Kept).Select(d => d.Snapshot);

    /// <summary>The snapshots removed (or, in a dry run, that would be), over all groups.</summary>
    public IEnumerable<Snapshot> Removed => Groups.SelectMany(g => g.Removed).Select(d => d.Snapshot);
}
