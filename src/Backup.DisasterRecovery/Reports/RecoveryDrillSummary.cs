namespace Backup.DisasterRecovery;

/// <summary>One drill as a report shows it: when, where, whether it passed and what it measured.</summary>
public sealed record RecoveryDrillSummary
{
    /// <summary>When the drill started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>The host that ran it.</summary>
    public required string Host { get; init; }

    /// <summary>Whether every step that ran succeeded.</summary>
    public required bool Succeeded { get; init; }

    /// <summary>The achieved recovery time (the steps' total; of a failed drill, up to the failing step).</summary>
    public required TimeSpan AchievedRto { get; init; }

    /// <summary>The achieved recovery point; null when the drill restored nothing.</summary>
    public TimeSpan? AchievedRpo { get; init; }

    /// <summary>Whether the achieved RTO stayed within the target the drill ran with.</summary>
    public required bool MetRto { get; init; }

    /// <summary>Whether the achieved RPO stayed within the target the drill ran with.</summary>
    public required bool MetRpo { get; init; }

    /// <summary>The step that failed or timed out, when one did.</summary>
    public string? FailedStep { get; init; }

    /// <summary>Why that step failed.</summary>
    public string? Error { get; init; }

    /// <summary>
    /// What its steps warned of without failing (a role the recovery server lacks, say), in step order; empty for
    /// drills stored before steps had warnings.
    /// </summary>
    public IReadOnlyList<RecoveryDrillWarning> Warnings { get; init; } = [];

    /// <summary>The device nodes its file restore steps did not create (a drill creates none; not a failure): <see cref="RecoveryStepResult.SkippedDeviceNodes"/>, summed.</summary>
    public int SkippedDeviceNodes { get; init; }

    /// <summary>Summarises a stored drill result.</summary>
    public static RecoveryDrillSummary From(RecoveryDrillResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var failed = result.Steps.FirstOrDefault(s => s.Outcome is RecoveryStepOutcome.Failed or RecoveryStepOutcome.TimedOut);
        return new RecoveryDrillSummary
        {
            StartedAt = result.StartedAt,
            Host = result.Host,
            Succeeded = result.Succeeded,
            AchievedRto = result.AchievedRto,
            AchievedRpo = result.AchievedRpo,
            MetRto = result.MetRto,
            MetRpo = result.MetRpo,
            FailedStep = failed?.Name,
            Error = failed is null ? null : failed.Error ?? failed.Outcome.ToString(),
            Warnings = [.. result.Steps.SelectMany(step => step.Warnings.Select(warning => new RecoveryDrillWarning { Step = step.Name, Message = warning }))],
            SkippedDeviceNodes = result.Steps.Sum(step => step.SkippedDeviceNodes),
        };
    }
}
