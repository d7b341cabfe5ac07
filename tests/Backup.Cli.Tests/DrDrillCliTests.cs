namespace Backup.Cli.Tests;

/// <summary><c>backup dr drill</c>'s command line (the drills themselves are tested at library level, against real servers).</summary>
public sealed class DrDrillCliTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Drill_has_help_naming_the_plan_the_system_option_and_the_exit_codes()
    {
        var result = await _cli.RunAsync("dr", "drill", "--help");

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Stdout.Should().Contain("backup dr drill").And.Contain("PLAN").And.Contain("--system").And.Contain("Exit codes:");
    }

    [Fact]
    public async Task Drill_without_a_plan_is_a_usage_error()
    {
        var result = await _cli.RunAsync("dr", "drill");

        result.ExitCode.Should().Be(2);
        result.Stderr.Should().Contain("usage error").And.Contain("drill");
    }
    /// <summary>
    /// A plan's repository takes its password from the plan (here a variable of its own): the advice for a wrong one
    /// points there, not at --password-file and BACKUP_PASSWORD, which the operator would check and find right.
    /// </summary>
    [Fact]
    public async Task A_wrong_password_of_a_plans_repository_points_at_the_plans_password_setting()
    {
        await _cli.InitAsync();
        Directory.CreateDirectory(_cli.PathOf("data"));
        File.WriteAllText(_cli.PathOf("data/a.txt"), "a");
        var plan = _cli.PathOf("plan.yaml");
        File.WriteAllText(plan, $$"""
            name: wrong-password
            backup:
              repositories:
                local: { location: {{_cli.Repository}}, passwordEnvironmentVariable: PLAN_REPOSITORY_PASSWORD }
              jobs:
                files: { repository: local, paths: [{{_cli.PathOf("data")}}], schedule: "*/15 * * * *" }
            systems:
              files:
                rpo: 1h
                rto: 30m
                jobs: [files]
                steps:
                  - name: Restore the files
                    restore: { job: files, directory: /srv/files }
            """);

        var drill = await _cli.RunAsync(["dr", "drill", plan], stdin: null, new() { ["PLAN_REPOSITORY_PASSWORD"] = "not the password" });

        drill.ExitCode.Should().Be(11, drill.Stderr);
        drill.Stderr.Should().Contain("passwordEnvironmentVariable").And.NotContain("else a prompt", "BACKUP_PASSWORD, which is right, is not what the plan uses");
    }

    /// <summary>A plan's password file that is not there is said once, with what to do, not wrapped in a second message naming it again.</summary>
    [Fact]
    public async Task A_missing_password_file_of_a_plans_repository_is_named_once_with_what_to_do()
    {
        await _cli.InitAsync();
        var gone = _cli.PathOf("gone/repo-password");
        var plan = _cli.PathOf("plan.yaml");
        File.WriteAllText(plan, Plan($"{{ location: {_cli.Repository}, passwordFile: {gone} }}", "files"));

        var drill = await _cli.RunAsync("dr", "drill", plan);

        drill.ExitCode.Should().NotBe(0);
        drill.Stderr.Should().Contain($"Password file '{gone}' does not exist: give the path of the file that holds the password.");
        drill.Stderr.Split(gone).Should().HaveCount(2, "the path is said once: {0}", drill.Stderr);
        drill.Stderr.Should().NotContain("Cannot read the password file");
    }

    /// <summary>
    /// A system naming a job the plan does not define: the drill and dr backup say it the same way, suggest the
    /// nearest job and point at dr validate, which finds every such name at once.
    /// </summary>
    [Fact]
    public async Task A_job_the_plan_does_not_define_is_said_alike_by_drill_and_backup_with_the_nearest_and_dr_validate()
    {
        await _cli.InitAsync();
        var plan = _cli.PathOf("plan.yaml");
        File.WriteAllText(plan, Plan($"{{ location: {_cli.Repository}, passwordEnvironmentVariable: BACKUP_PASSWORD }}", "filez"));

        var drill = await _cli.RunAsync("dr", "drill", plan);
        var backup = await _cli.RunAsync("dr", "backup", plan);

        foreach (var result in new[] { drill, backup })
        {
            result.ExitCode.Should().NotBe(0);
            result.Stderr.Should().Contain("No backup job is called 'filez' (known: files).").And.Contain("Did you mean 'files'?").And.Contain("backup dr validate PLAN");
        }
    }

    private string Plan(string repository, string systemJob)
    {
        Directory.CreateDirectory(_cli.PathOf("data"));
        File.WriteAllText(_cli.PathOf("data/a.txt"), "a");
        return $$"""
            name: messages
            backup:
              repositories:
                local: {{repository}}
              jobs:
                files: { repository: local, paths: [{{_cli.PathOf("data")}}], schedule: "*/15 * * * *" }
            systems:
              files:
                rpo: 1h
                rto: 30m
                jobs: [{{systemJob}}]
                steps:
                  - name: Restore the files
                    restore: { job: {{systemJob}}, directory: /srv/files }
            """;
    }
}
