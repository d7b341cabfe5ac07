namespace Backup.Core.Verification;

/// <summary>One problem a check found.</summary>
/// <param name="Kind">What is wrong.</param>
/// <param name="Object">The object concerned: a key such as <c>data/ab/ab…</c>, <c>index/…</c> or <c>snapshots/…</c>.</param>
/// <param name="Message">What exactly, for people (names the blob, tree path or index as it applies).</param>
/// <param name="Severity">Whether restores are affected.</param>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "'Object' is the storage term for what is named: a stored object's key.")]
public sealed record CheckProblem(CheckProblemKind Kind, string Object, string Message, ProblemSeverity Severity = ProblemSeverity.Error)
{
    /// <inheritdoc />
    public override string ToString() => $"{Severity} {Kind} {Object}: {Message}";
}
