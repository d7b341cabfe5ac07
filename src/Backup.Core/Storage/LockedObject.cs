namespace Backup.Core.Storage;

/// <summary>
/// An object a delete left in place because the storage refused it under a retention lock (S3 Object Lock, an Azure
/// immutability policy, a legal hold), with the date the lock ends when the storage said. Forget, prune and repair
/// collect these instead of stopping; running them again after that date removes the objects.
/// </summary>
public sealed record LockedObject
{
    /// <summary>The object's key in the repository (e.g. <c>data/ab/…</c>, <c>snapshots/…</c>).</summary>
    public required string Key { get; init; }

    /// <summary>When the lock ends, if the storage said; <see langword="null"/> for a legal hold or an unknown date.</summary>
    public DateTimeOffset? RetainUntil { get; init; }

    /// <summary>The record for the refusal <paramref name="exception"/> reports.</summary>
    internal static LockedObject From(BackupObjectLockedException exception) => new() { Key = exception.Key, RetainUntil = exception.RetainUntil };
}
