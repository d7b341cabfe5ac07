namespace Backup.Core.Verification;

/// <summary>A file a restore drill could not restore exactly.</summary>
public sealed record DrillProblem
{
    /// <summary>The file's path in the snapshot.</summary>
    public required string Path { get; init; }

    /// <summary>What went wrong.</summary>
    public required string Message { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Path}: {Message}";
}
