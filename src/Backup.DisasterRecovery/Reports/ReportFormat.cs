using System.Globalization;

namespace Backup.DisasterRecovery;

/// <summary>How reports write durations and times for people: "2m 30s", "2026-12-01 03:00 UTC".</summary>
internal static class ReportFormat
{
    // The job health checks write durations the same way, so a page about a job and one about its system agree.
    public static string Duration(TimeSpan value) => Backup.Extensions.DependencyInjection.DurationText.Format(value);

    public static string Duration(TimeSpan? value) => value is { } known ? Duration(known) : "–";

    public static string Time(DateTimeOffset value) => value.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    public static string Trend(RecoveryTrend trend) => trend switch
    {
        RecoveryTrend.Improving => "improving",
        RecoveryTrend.Steady => "steady",
        RecoveryTrend.Worsening => "worsening",
        _ => "not enough drills",
    };

    public static string Copies(CopyCompliance? copies) => copies is null
        ? "not validated"
        : $"{copies.Copies} cop{(copies.Copies == 1 ? "y" : "ies")}, {copies.Media.Count} kind{(copies.Media.Count == 1 ? "" : "s")} of storage ({string.Join(", ", copies.Media)}), {copies.OffSite} off site, {copies.Immutable} immutable, "
          + Verification(copies);

    /// <summary>
    /// ", 1 warning", ", 2 warnings, 3 device nodes skipped", or nothing for a drill without warnings or skipped device
    /// nodes (which a drill never creates: noted, not a failure).
    /// </summary>
    public static string Notes(RecoveryDrillSummary drill) =>
        (drill.Warnings.Count == 0 ? "" : $", {drill.Warnings.Count} warning{(drill.Warnings.Count == 1 ? "" : "s")}")
        + (drill.SkippedDeviceNodes == 0 ? "" : $", {drill.SkippedDeviceNodes} device node{(drill.SkippedDeviceNodes == 1 ? "" : "s")} skipped");

    /// <summary>
    /// The drills a system's section describes, the last one and the last successful one (when another), that have
    /// warnings: the recent drills' table gives the others' counts.
    /// </summary>
    public static IReadOnlyList<RecoveryDrillSummary> DrillsWithWarnings(RecoverySystemReport system) =>
        [.. new[] { system.LastDrill, system.LastSuccessfulDrill }.OfType<RecoveryDrillSummary>().DistinctBy(d => d.StartedAt).Where(d => d.Warnings.Count > 0)];

    /// <summary>"2 verification errors", "0 verification errors, 1 copy not checked", "not checked".</summary>
    public static string Verification(CopyCompliance copies) => copies.VerificationErrors is { } errors
        ? $"{errors} verification error{(errors == 1 ? "" : "s")}" + (copies.Unverified.Count == 0 ? "" : $", {copies.Unverified.Count} cop{(copies.Unverified.Count == 1 ? "y" : "ies")} not checked")
        : "not checked";
}
