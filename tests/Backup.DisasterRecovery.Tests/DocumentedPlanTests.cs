namespace Backup.DisasterRecovery.Tests;

/// <summary>The complete plan in docs/disaster-recovery.md loads and holds together, so the documentation stays right.</summary>
public sealed class DocumentedPlanTests
{
    [Fact]
    public void The_documented_example_plan_loads_and_has_no_gaps()
    {
        var docs = Path.Combine(RepositoryRoot(), "docs", "disaster-recovery.md");
        var text = File.ReadAllText(docs);
        var start = text.IndexOf("```yaml\nname: shop-dr", StringComparison.Ordinal);
        start.Should().BePositive("the example plan is in {0}", docs);
        var yaml = text[(start + "```yaml\n".Length)..text.IndexOf("\n```", start + 7, StringComparison.Ordinal)];

        var plan = RecoveryPlanLoader.Parse(yaml, json: false, "docs example", "/");
        var findings = new List<PlanFinding>();
        PlanRules.Check(plan, plan.Backup, findings);
        var copies = plan.Systems.ToDictionary(s => s.Key, s => CopyRules.Assess(s.Key, s.Value, plan.Backup, new Dictionary<string, RepositoryState>(), checkedRepositories: false, findings));

        findings.Should().BeEmpty();
        copies.Values.Should().OnlyContain(c => c.Satisfied);
        plan.Systems.Keys.Should().BeEquivalentTo(["shop", "uploads"]);
        // Both jobs copy to 'offsite', so the runbook restores the job's newest snapshot, not the repository's.
        RecoveryRunbook.ToMarkdown(plan).Should()
            .Contain("BACKUP_PASSWORD=\"${OFFSITE_PASSWORD}\" backup --repo s3://dr-bucket/shop restore latest --tag job:shop-db --to-postgres 'Host=standby;Username=postgres' --database shop");
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "docs", "disaster-recovery.md")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (with docs/) is not above the test's directory.");
    }
}
