namespace Backup.Core.Storage;

/// <summary>
/// A retention lock a target writes on new packs and snapshots, as a repository records it in its config: how long
/// each object stays locked from the time it is written, and the storage's lock mode where it has more than one.
/// </summary>
public sealed record RetentionLock
{
    /// <summary>How long each new pack and snapshot stays locked against deletion from the time it is written.</summary>
    public required TimeSpan Period { get; init; }

    /// <summary>
    /// The mode an Azure target records for a locked immutability policy (BACKUP_AZURE_RETENTION_LOCKED=true), which
    /// nobody can shorten; an unlocked policy records no mode.
    /// </summary>
    public const string AzureLockedMode = "locked";

    /// <summary>
    /// The storage's lock mode in lowercase ("governance" or "compliance" for S3 Object Lock, <see cref="AzureLockedMode"/>
    /// for a locked Azure policy); null where no mode was chosen (an unlocked Azure policy), which any mode keeps.
    /// </summary>
    public string? Mode { get; init; }

    /// <summary>The setting that gives this lock's <see cref="Mode"/>, as "Name (VARIABLE) to value"; null without a mode.</summary>
    internal string? ModeSetting => Mode switch
    {
        null => null,
        AzureLockedMode => "RetentionPolicyLocked (BACKUP_AZURE_RETENTION_LOCKED) to true",
        _ => $"RetentionMode (BACKUP_S3_RETENTION_MODE) to {Mode}",
    };

    /// <summary>
    /// Whether a target that writes <paramref name="given"/> keeps this lock: at least as long (longer protects more
    /// and is allowed) and in the same mode (a different one weakens or, for compliance, hardens the lock in a way
    /// the repository's owner did not choose).
    /// </summary>
    /// <param name="given">The lock the target writes; null when it writes none.</param>
    public bool IsKeptBy(RetentionLock? given) =>
        given is not null && given.Period >= Period && (Mode is null || string.Equals(Mode, given.Mode, StringComparison.OrdinalIgnoreCase));

    /// <summary>The lock as an operator writes it: "30d", "36h", with the mode ("30d (governance mode)").</summary>
    public override string ToString()
    {
        var period = Period.Ticks % TimeSpan.TicksPerDay == 0
            ? FormattableString.Invariant($"{(long)Period.TotalDays}d")
            : Period.Ticks % TimeSpan.TicksPerHour == 0 ? FormattableString.Invariant($"{(long)Period.TotalHours}h") : Period.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
        return Mode is null ? period : $"{period} ({Mode} mode)";
    }

    /// <summary>The period alone, as <see cref="ToString"/> writes it ("30d"): what a RetentionLock setting takes.</summary>
    /// <remarks>Not part of the config: docs/repository-format.md records the period and the mode only.</remarks>
    [System.Text.Json.Serialization.JsonIgnore]
    public string PeriodText => (this with { Mode = null }).ToString();
}
