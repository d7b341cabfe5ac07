using System.Text.Json;

namespace Backup.Cli.Tests;

/// <summary><c>backup dr validate</c> and <c>backup dr runbook</c> on plans over real local repositories.</summary>
public sealed class DrPlanCliTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public DrPlanCliTests()
    {
        Directory.CreateDirectory(_cli.PathOf("data"));
        File.WriteAllText(_cli.PathOf("data/orders.csv"), "1,2,3\n");
    }

    public void Dispose() => _cli.Dispose();

    // Two repositories: the job's (on disk here) and an append-only copy described as off site on tape, so 3-2-1-1-0 holds.
    private const string ValidPlan = """
        name: files-plan
        backup:
          repositories:
            local: { location: repo, passwordEnvironmentVariable: BACKUP_PASSWORD }
            vault: { location: vault, passwordEnvironmentVariable: BACKUP_PASSWORD, createIfMissing: true, appendOnly: true }
          jobs:
            files: { repository: local, paths: [data], schedule: "*/15 * * * *", copyTo: [vault] }
        systems:
          files:
            rpo: 1h
            rto: 30m
            jobs: [files]
            copies:
              - { repository: vault, offSite: true, media: tape }
            steps:
              - name: Restore the files
                restore: { job: files, directory: /srv/files }
              - name: Tell the team
                http:
                  url: https://chat.example/hooks/dr
                  body: '{"text":"files restored"}'
                  secretHeaders: { Authorization: "env:CHAT_TOKEN" }
              - name: Wait for the app
                timeout: 5m
                waitFor: { url: "https://files.example/health" }
              - name: Verify the files
                verify: { restore: Restore the files }
        """;

    [Fact]
    public async Task Validate_accepts_a_sound_plan_and_exits_0()
    {
        await _cli.InitAsync();
        var plan = Write("plan.yaml", ValidPlan);

        var result = await _cli.RunAsync("dr", "validate", plan);

        result.ExitCode.Should().Be(0, result.Stdout + result.Stderr);
        result.Stdout.Should().Contain("files").And.Contain("yes");
        result.Stdout.Should().Contain("Plan 'files-plan' is valid");
    }

    [Fact]
    public async Task Validate_lists_every_gap_exits_4_and_says_the_same_in_json()
    {
        await _cli.InitAsync();
        var plan = Write("gaps.yaml", ValidPlan
            .Replace("rpo: 1h", "rpo: 10m", StringComparison.Ordinal)
            .Replace("createIfMissing: true, appendOnly: true", "createIfMissing: true", StringComparison.Ordinal));

        var text = await _cli.RunAsync("dr", "validate", plan);
        var json = await _cli.RunAsync("dr", "validate", plan, "--json", "--no-check");

        text.ExitCode.Should().Be(4, text.Stderr);
        text.Stdout.Should().Contain("error [rpo-schedule]: Systems:files:Rpo: 10m cannot be met by job 'files'")
            .And.Contain("error [3-2-1-1-0]: Systems:files:Copies: no immutable copy");
        text.Stdout.Should().Contain("is not valid: 2 error(s)");
        json.ExitCode.Should().Be(4, json.Stderr);
        using var document = JsonDocument.Parse(json.Stdout);
        document.RootElement.GetProperty("valid").GetBoolean().Should().BeFalse();
        document.RootElement.GetProperty("findings").EnumerateArray().Where(f => f.GetProperty("severity").GetString() == "error")
            .Select(f => f.GetProperty("rule").GetString()).Should().BeEquivalentTo(["rpo-schedule", "3-2-1-1-0"]);
        var files = document.RootElement.GetProperty("systems")[0];
        files.GetProperty("immutable").GetInt32().Should().Be(0);
        files.GetProperty("verificationErrors").ValueKind.Should().Be(JsonValueKind.Null, "--no-check skips the structural check");
    }

    [Fact]
    public async Task A_plan_that_cannot_be_read_lists_each_problem_on_its_own_line_and_exits_1()
    {
        var plan = Write("typo.yaml", "systems:\n  files:\n    rpoo: 1h\n    rto: soon\n");

        var result = await _cli.RunAsync("dr", "validate", plan);

        result.ExitCode.Should().Be(1);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().Contain(l => l.Contains("systems:files:rpoo (line 3)") && l.Contains("did you mean 'Rpo'?"));
        lines.Should().Contain(l => l.Contains("systems:files:rto (line 4)") && l.Contains("30m"));
    }

    [Fact]
    public async Task With_json_a_plan_that_cannot_be_read_is_one_line_of_json_on_stderr_as_for_every_other_failure()
    {
        var plan = Write("typo.yaml", "systems:\n  files:\n    rpoo: 1h\n    rto: soon\n");

        var result = await _cli.RunAsync("dr", "validate", plan, "--json");

        result.ExitCode.Should().Be(1);
        result.Stdout.Should().BeEmpty();
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().ContainSingle(result.Stderr);
        using var error = JsonDocument.Parse(lines[0]);
        error.RootElement.GetProperty("error").GetString().Should().Be("error");
        error.RootElement.GetProperty("exitCode").GetInt32().Should().Be(1);
        error.RootElement.GetProperty("message").GetString().Should().Contain("systems:files:rpoo (line 3)").And.Contain("systems:files:rto (line 4)");
    }

    [Fact]
    public async Task The_runbook_restore_command_restores_the_files_when_typed()
    {
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "data")).ExitCode.Should().Be(0);
        var plan = Write("plan.yaml", ValidPlan.Replace("directory: /srv/files", "directory: restored", StringComparison.Ordinal));

        var result = await _cli.RunAsync("dr", "runbook", plan, "-o", _cli.PathOf("runbook.md"));

        result.ExitCode.Should().Be(0, result.Stderr);
        var markdown = await File.ReadAllTextAsync(_cli.PathOf("runbook.md"));
        markdown.Should().Contain("## files").And.Contain("1. **Restore the files**").And.Contain("-H \"Authorization: ${CHAT_TOKEN}\"").And.NotContain("<snapshot ID>");
        var restore = markdown.Split('\n').Select(l => l.Trim()).Single(l => l.Contains("backup --repo", StringComparison.Ordinal) && l.Contains(" restore ", StringComparison.Ordinal));

        // The password is BACKUP_PASSWORD's, so a BACKUP_PASSWORD_FILE exported for another repository is cleared.
        restore.Should().Be($"BACKUP_PASSWORD_FILE= backup --repo {_cli.PathOf("repo")} restore latest --target {_cli.PathOf("restored")}");
        var typed = await _cli.RunAsync(restore.Split(' ')[2..], stdin: null, new() { ["BACKUP_PASSWORD_FILE"] = string.Empty });
        typed.ExitCode.Should().Be(0, typed.Stderr);
        Directory.GetFiles(_cli.PathOf("restored"), "orders.csv", SearchOption.AllDirectories).Should().ContainSingle();
        (await _cli.RunAsync("dr", "runbook", plan)).Stdout.Should().Be(markdown, "without -o the same runbook goes to standard output");
    }

    [Fact]
    public async Task Dr_backup_runs_the_plans_jobs_as_a_host_would_and_a_drill_then_restores_and_verifies_them()
    {
        await _cli.InitAsync();
        var plan = Write("plan.yaml", ValidPlan);

        var backup = await _cli.RunAsync("dr", "backup", plan, "--json");
        var drill = await _cli.RunAsync("dr", "drill", plan, "--json");

        backup.ExitCode.Should().Be(0, backup.Stderr);
        using (var runs = JsonDocument.Parse(backup.Stdout))
        {
            runs.RootElement.EnumerateArray().Should().ContainSingle().Which.GetProperty("outcome").GetString().Should().Be("Succeeded");
        }

        (await _cli.RunAsync("snapshots", "--tag", "job:files")).Stdout.Should().Contain("data", "the run is tagged like a host's");
        drill.ExitCode.Should().Be(0, drill.Stdout + drill.Stderr);
        using var results = JsonDocument.Parse(drill.Stdout);
        var result = results.RootElement.EnumerateArray().Should().ContainSingle().Subject;
        result.GetProperty("succeeded").GetBoolean().Should().BeTrue();
        result.GetProperty("steps").EnumerateArray().Select(step => (step.GetProperty("name").GetString(), step.GetProperty("outcome").GetString())).Should().Equal(
            ("Restore the files", "Succeeded"), ("Tell the team", "Skipped"), ("Wait for the app", "Skipped"), ("Verify the files", "Succeeded"));
        var text = await _cli.RunAsync("dr", "drill", plan);
        text.Stdout.Should().MatchRegex(@"achieved RTO \d+\.\d\ds \(target 30:00\)", "a drill shorter than a minute is measured in seconds, not shown as 0:00");
        (await _cli.RunAsync("dr", "backup", plan, "--job", "nope")).ExitCode.Should().Be(2, "an unknown job is a usage error");
    }

    [Fact]
    public async Task A_mistyped_job_or_system_name_is_answered_with_the_nearest_one_the_plan_has()
    {
        await _cli.InitAsync();
        var plan = Write("plan.yaml", ValidPlan);

        var backup = await _cli.RunAsync("dr", "backup", plan, "--job", "filez");
        var drill = await _cli.RunAsync("dr", "drill", plan, "--system", "filez");

        backup.ExitCode.Should().Be(2, backup.Stderr);
        backup.Stderr.Should().Contain("--job: the plan has no job 'filez'. Did you mean 'files'? Its jobs: files.");
        drill.ExitCode.Should().Be(2, drill.Stderr);
        drill.Stderr.Should().Contain("--system: the plan has no system 'filez'. Did you mean 'files'? Its systems: files.");
    }

    /// <summary>
    /// --retention-lock sets the lock of --repo's target; a plan's repositories take theirs from the plan, so the option
    /// would be ignored (a backup written without the lock asked for): it is refused, saying where the lock goes.
    /// </summary>
    [Theory]
    [InlineData("backup")]
    [InlineData("validate")]
    [InlineData("runbook")]
    public async Task The_retention_lock_option_is_refused_naming_the_plans_setting(string verb)
    {
        await _cli.InitAsync();
        var plan = Write("plan.yaml", ValidPlan);

        var result = await _cli.RunAsync("dr", verb, plan, "--retention-lock", "30d");

        result.ExitCode.Should().Be(2, result.Stdout + result.Stderr);
        result.Stderr.Should().Contain("backup: usage error: --retention-lock does not apply to 'backup dr' commands: a plan's repositories take their retention lock from the plan.")
            .And.Contain("settings: { RetentionLock: 30d }").And.Contain("or export BACKUP_RETENTION_LOCK");
        result.Stdout.Should().BeEmpty();
        (await _cli.RunAsync("snapshots", "--json")).Stdout.Trim().Should().Be("[]", "no job ran");
    }

    [Theory]
    [InlineData("--repo", "elsewhere")]
    [InlineData("--password-file", "pw.txt")]
    [InlineData("--limit-upload", "1M")]
    [InlineData("--allow-insecure-http", null)]
    public async Task Repository_options_a_plan_does_not_take_are_refused_not_ignored(string option, string? value)
    {
        await _cli.InitAsync();
        var plan = Write("plan.yaml", ValidPlan);
        string[] args = value is null ? ["dr", "backup", plan, option] : ["dr", "backup", plan, option, value];

        var result = await _cli.RunAsync(args);

        result.ExitCode.Should().Be(2, result.Stdout + result.Stderr);
        result.Stderr.Should().Contain($"backup: usage error: {option} does not apply to 'backup dr' commands")
            .And.Contain("Set it there, and run the command without it.");
        (await _cli.RunAsync("snapshots", "--json")).Stdout.Trim().Should().Be("[]", "no job ran");
    }

    [Fact]
    public async Task Append_only_mode_refuses_a_jobs_retention_before_it_runs_and_lets_other_jobs_append()
    {
        await _cli.InitAsync();
        var withRetention = ValidPlan.Replace(
            "files: { repository: local, paths: [data], schedule: \"*/15 * * * *\", copyTo: [vault] }",
            "files: { repository: local, paths: [data], schedule: \"*/15 * * * *\", copyTo: [vault], retention: { keepLast: 1 } }",
            StringComparison.Ordinal);
        withRetention.Should().NotBe(ValidPlan);
        var plan = Write("plan.yaml", withRetention);
        (await _cli.RunAsync("dr", "backup", plan)).ExitCode.Should().Be(0, "the plan runs without append-only mode");

        var appendOnly = await _cli.RunAsync(["dr", "backup", plan], stdin: null, new() { ["BACKUP_APPEND_ONLY"] = "1" });

        appendOnly.ExitCode.Should().Be(2, appendOnly.Stdout + appendOnly.Stderr);
        appendOnly.Stderr.Should().Contain("backup: usage error: This run is append-only (--append-only or $BACKUP_APPEND_ONLY), which never deletes, and the plan's job 'files' applies retention");
        (await _cli.RunAsync("snapshots", "--json")).Stdout.Should().Contain("\"id\"").And.Subject.Split("\"id\"").Length.Should().Be(2, "the append-only run took no snapshot and forgot none");

        var withoutRetention = Write("plan2.yaml", ValidPlan);
        var appended = await _cli.RunAsync(["dr", "backup", withoutRetention], stdin: null, new() { ["BACKUP_APPEND_ONLY"] = "1" });
        appended.ExitCode.Should().Be(0, appended.Stdout + appended.Stderr);
    }

    /// <summary>
    /// Append-only mode refuses the chosen jobs' retention; a job that this run does not apply (not chosen, or in a
    /// drill, which runs no job) must not stop it: the options' own check of AppendOnly with Retention would otherwise
    /// fail the whole run, naming a setting the plan does not have.
    /// </summary>
    [Fact]
    public async Task Append_only_mode_runs_other_jobs_and_drills_of_a_plan_in_which_one_job_applies_retention()
    {
        await _cli.InitAsync();
        var plan = Write("plan.yaml", $$"""
            name: mixed
            backup:
              repositories:
                local: { location: repo, passwordEnvironmentVariable: BACKUP_PASSWORD }
              jobs:
                pruned: { repository: local, paths: [data], schedule: "*/15 * * * *", retention: { keepLast: 1 } }
                plain: { repository: local, paths: [data], schedule: "*/15 * * * *" }
            systems:
              files:
                rpo: 1h
                rto: 30m
                jobs: [plain]
                steps:
                  - name: Restore the files
                    restore: { job: plain, directory: {{_cli.PathOf("drilled")}} }
            """);
        var appendOnly = new Dictionary<string, string?> { ["BACKUP_APPEND_ONLY"] = "1" };

        var backup = await _cli.RunAsync(["dr", "backup", plan, "--job", "plain"], stdin: null, appendOnly);
        var drill = await _cli.RunAsync(["dr", "drill", plan], stdin: null, appendOnly);

        backup.ExitCode.Should().Be(0, backup.Stdout + backup.Stderr);
        backup.Stdout.Should().Contain("Job plain: Succeeded");
        drill.ExitCode.Should().Be(0, drill.Stdout + drill.Stderr);
        (backup.Stderr + drill.Stderr).Should().NotContain("AppendOnly");
    }

    private string Write(string name, string content)
    {
        var path = _cli.PathOf(name);
        File.WriteAllText(path, content);
        return path;
    }
}
