namespace Backup.Core.Verification;

/// <summary>One problem a check found.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "'Object' is the storage term for what is named: a stored object's key.")]
public sealed record CheckProblem
{
    /// <summary>What is wrong.</summary>
    public required CheckProblemKind Kind { get; init; }

    /// <summary>The object concerned: a key such as <c>data/ab/ab…</c>, <c>index/…</c> or <c>snapshots/…</c>.</summary>
    public required string Object { get; init; }

    /// <summary>What exactly, for people (names the blob, tree path or index as it applies).</summary>
    public required string Message { get; init; }

    /// <summary>Whether restores are affected.</summary>
    public ProblemSeverity Severity { get; init; } = ProblemSeverity.Error;

    /// <inheritdoc />
    public override string ToString() => $"{Severity} {Kind} {Object}: {Message}";
}
