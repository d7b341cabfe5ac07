namespace Backup.Core.Restore;

/// <summary>One entry that was not (completely) restored.</summary>
/// <param name="Path">The entry's snapshot path.</param>
/// <param name="Reason">What went wrong.</param>
public sealed record RestoreProblem(string Path, string Reason)
{
    /// <inheritdoc />
    public override string ToString() => $"{Path}: {Reason}";
}
