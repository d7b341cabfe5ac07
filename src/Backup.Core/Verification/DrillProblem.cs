namespace Backup.Core.Verification;

/// <summary>A file a restore drill could not restore exactly.</summary>
/// <param name="Path">The file's path in the snapshot.</param>
/// <param name="Message">What went wrong.</param>
public sealed record DrillProblem(string Path, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{Path}: {Message}";
}
