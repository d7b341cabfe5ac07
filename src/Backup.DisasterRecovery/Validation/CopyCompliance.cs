namespace Backup.DisasterRecovery;

/// <summary>How a system's copies measure against 3-2-1-1-0: three copies, two kinds of storage, one off site, one immutable, zero verification errors.</summary>
public sealed record CopyCompliance
{
    /// <summary>The number of copies (repositories holding the system's data).</summary>
    public required int Copies { get; init; }

    /// <summary>The kinds of storage they are on ("disk", "object-storage"…).</summary>
    public required IReadOnlyList<string> Media { get; init; }

    /// <summary>How many are off site.</summary>
    public required int OffSite { get; init; }

    /// <summary>How many are immutable.</summary>
    public required int Immutable { get; init; }

    /// <summary>Errors the last check of the copies found (null: not checked, or no copy could be checked).</summary>
    public int? VerificationErrors { get; init; }

    /// <summary>The copies (repository names) a check was asked for but could not verify, for instance because they did not open; their errors are not in <see cref="VerificationErrors"/>.</summary>
    public IReadOnlyList<string> Unverified { get; init; } = [];

    /// <summary>Each rule not met, in words ("2 copies, 3 needed").</summary>
    public IReadOnlyList<string> Gaps { get; init; } = [];

    /// <summary>Whether every part of the rule is met.</summary>
    public bool Satisfied => Gaps.Count == 0;
}
