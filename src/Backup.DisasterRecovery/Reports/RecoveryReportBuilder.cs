using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Backup.DisasterRecovery;

/// <summary>
/// Builds a <see cref="RecoveryReport"/> from a plan, the drill results stored in the repository of each system's
/// first job, and a validation result (copy compliance and findings) given by the caller.
/// </summary>
public sealed class RecoveryReportBuilder
{
    /// <summary>How many recent drills per system the report shows (the trend and the chart).</summary>
    public const int DrillsShown = 12;

    private readonly IBackupRepositoryProvider _repositories;
    private readonly BackupHostingOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Creates a builder over the host's (or the plan's) repositories and jobs.</summary>
    public RecoveryReportBuilder(IBackupRepositoryProvider repositories, IOptions<BackupHostingOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(repositories);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _repositories = repositories;
        _options = options.Value;
        _time = time;
    }

    /// <summary>
    /// Reads each system's stored drills and builds the report. A repository that cannot be opened or a damaged
    /// drill record is a deviation of the systems concerned, not an exception.
    /// </summary>
    public async Task<RecoveryReport> BuildAsync(RecoveryPlan plan, PlanValidationResult validation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(validation);
        var drills = new Dictionary<string, IReadOnlyList<RecoveryDrillResult>>(StringComparer.OrdinalIgnoreCase);
        var problems = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);

        // Systems often share a repository: read each repository's drill records once.
        foreach (var group in plan.Systems.GroupBy(s => DrillRepository(s.Value), StringComparer.OrdinalIgnoreCase))
        {
            if (group.Key is not { } repositoryName)
            {
                continue;
            }

            var readProblems = new List<string>();
            var results = new List<RecoveryDrillResult>();
            try
            {
                var repository = await _repositories.GetAsync(repositoryName, cancellationToken).ConfigureAwait(false);
                await foreach (var result in RecoveryDrillRecords.ListAsync(repository, null, (id, e) => readProblems.Add($"Drill record {id} in repository '{repositoryName}' cannot be read: {e.Message}"), cancellationToken).ConfigureAwait(false))
                {
                    results.Add(result);
                }
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OutOfMemoryException)
            {
                readProblems.Add($"The drill results in repository '{repositoryName}' cannot be read: {e.Message}");
            }

            foreach (var (name, _) in group)
            {
                drills[name] = [.. results.Where(r => string.Equals(r.System, name, StringComparison.OrdinalIgnoreCase))];
                problems[name] = readProblems;
            }
        }

        return Build(plan, validation, drills, problems, _time.GetUtcNow());
    }

    /// <summary>The repository that stores the system's drill results: its first job's.</summary>
    private string? DrillRepository(RecoverySystem system) =>
        system.Jobs.Count > 0 && _options.Jobs.TryGetValue(system.Jobs[0], out var job) ? job.Repository : null;

    /// <summary>The report from drills already read (oldest first per system) and the problems met reading them.</summary>
    internal static RecoveryReport Build(
        RecoveryPlan plan,
        PlanValidationResult validation,
        IReadOnlyDictionary<string, IReadOnlyList<RecoveryDrillResult>> drills,
        IReadOnlyDictionary<string, List<string>> readProblems,
        DateTimeOffset now)
    {
        var systems = plan.Systems
            .OrderBy(s => s.Value.Tier)
            .ThenBy(s => s.Key, StringComparer.OrdinalIgnoreCase)
            .Select(s => BuildSystem(s.Key, s.Value, validation, drills.GetValueOrDefault(s.Key) ?? [], readProblems.GetValueOrDefault(s.Key) ?? [], now))
            .ToList();
        return new RecoveryReport
        {
            Plan = plan.Name,
            GeneratedAt = now,
            Systems = systems,
            PlanDeviations = [.. validation.Findings.Where(f => f.System is null || !plan.Systems.ContainsKey(f.System)).Select(Describe)],
        };
    }

    private static RecoverySystemReport BuildSystem(string name, RecoverySystem system, PlanValidationResult validation, IReadOnlyList<RecoveryDrillResult> drills, List<string> readProblems, DateTimeOffset now)
    {
        var ordered = drills.OrderBy(d => d.StartedAt).ToList();
        var last = ordered.LastOrDefault();
        var lastSuccess = ordered.LastOrDefault(d => d.Succeeded);
        var compliance = validation.Copies.TryGetValue(name, out var copies) ? copies : null;
        var deviations = new List<string>();

        if (system.Jobs.Count == 0)
        {
            deviations.Add("No job protects the system, so nothing can be restored and no drill result can be stored.");
        }

        deviations.AddRange(readProblems);
        if (last is null)
        {
            deviations.Add("No drill recorded: the recovery has never been measured.");
        }
        else if (!last.Succeeded)
        {
            var summary = RecoveryDrillSummary.From(last);
            deviations.Add(summary.FailedStep is { } step
                ? $"The last drill ({ReportFormat.Time(last.StartedAt)}) failed at step '{step}': {summary.Error}"
                : $"The last drill ({ReportFormat.Time(last.StartedAt)}) failed.");
        }

        if (last is not null && lastSuccess is null)
        {
            deviations.Add("No drill has succeeded yet.");
        }

        if (system.Drill.MaxAge is { } maxAge && lastSuccess is not null && now - lastSuccess.StartedAt > maxAge)
        {
            deviations.Add($"The last successful drill is {ReportFormat.Duration(now - lastSuccess.StartedAt)} old, over the drill policy's maximum age of {ReportFormat.Duration(maxAge)}.");
        }

        if (system.Rto is { } rto && lastSuccess is not null && lastSuccess.AchievedRto > rto)
        {
            deviations.Add($"Achieved RTO {ReportFormat.Duration(lastSuccess.AchievedRto)} exceeds the target RTO of {ReportFormat.Duration(rto)}.");
        }

        if (system.Rpo is { } rpo && lastSuccess?.AchievedRpo is { } achievedRpo && achievedRpo > rpo)
        {
            deviations.Add($"Achieved RPO {ReportFormat.Duration(achievedRpo)} exceeds the target RPO of {ReportFormat.Duration(rpo)}.");
        }

        if (compliance is not null)
        {
            deviations.AddRange(compliance.Gaps.Select(gap => $"3-2-1-1-0: {gap}."));
        }

        // The copy gaps are listed above from the compliance; the same findings would only repeat them.
        deviations.AddRange(validation.Findings
            .Where(f => string.Equals(f.System, name, StringComparison.OrdinalIgnoreCase) && !(compliance is not null && f.Rule == "3-2-1-1-0"))
            .Select(Describe));

        var recent = ordered.Skip(Math.Max(0, ordered.Count - DrillsShown)).Select(RecoveryDrillSummary.From).ToList();
        return new RecoverySystemReport
        {
            Name = name,
            Description = system.Description,
            Tier = system.Tier,
            TargetRpo = system.Rpo,
            TargetRto = system.Rto,
            AchievedRpo = lastSuccess?.AchievedRpo,
            AchievedRto = lastSuccess?.AchievedRto,
            LastDrill = last is null ? null : RecoveryDrillSummary.From(last),
            LastSuccessfulDrill = lastSuccess is null ? null : RecoveryDrillSummary.From(lastSuccess),
            Drills = recent,
            RtoTrend = Trend(recent),
            Copies = compliance,
            Deviations = deviations,
        };
    }

    /// <summary>The newest successful drill's RTO against the median of the earlier successful ones shown.</summary>
    internal static RecoveryTrend Trend(IReadOnlyList<RecoveryDrillSummary> drills)
    {
        var times = drills.Where(d => d.Succeeded).Select(d => d.AchievedRto.TotalSeconds).ToList();
        if (times.Count < 2)
        {
            return RecoveryTrend.Unknown;
        }

        var newest = times[^1];
        var earlier = times.Take(times.Count - 1).Order().ToList();
        var median = earlier.Count % 2 == 1 ? earlier[earlier.Count / 2] : (earlier[(earlier.Count / 2) - 1] + earlier[earlier.Count / 2]) / 2;
        return newest > median * 1.1 ? RecoveryTrend.Worsening
            : newest < median * 0.9 ? RecoveryTrend.Improving
            : RecoveryTrend.Steady;
    }

    private static string Describe(PlanFinding finding) =>
        finding.Severity == PlanFindingSeverity.Warning ? $"Warning ({finding.Rule}): {finding.Message}" : $"{finding.Rule}: {finding.Message}";
}
