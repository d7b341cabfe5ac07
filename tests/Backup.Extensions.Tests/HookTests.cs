using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;

namespace Backup.Extensions.Tests;

public sealed class HookTests
{
    private static async Task<(BackupJobResult Result, List<string> Calls)> RunWithAsync(Action<BackupJobOptions> hooks)
    {
        var calls = new List<string>();
        await using var provider = TestSupport.Build(configure: b => b.AddJob("export", j =>
        {
            hooks(j);
            var inner = j.SourceFactory!;
            j.SourceFactory = sp => { calls.Add("backup"); return inner(sp); };
        }));
        var result = await provider.GetRequiredService<IBackupJobRunner>().RunAsync("export");
        return (result, calls);
    }

    private static BackupHookOptions Record(List<string> calls, string name) =>
        new() { Name = name, Action = (ctx, _) => { calls.Add($"{name}:{ctx.Phase}:{ctx.Result is not null}"); return Task.CompletedTask; } };

    [Fact]
    public async Task Pre_and_post_hooks_run_around_the_backup()
    {
        List<string> calls = [];
        var (result, backup) = await RunWithAsync(j =>
        {
            j.PreHooks.Add(Record(calls, "flush"));
            j.PostHooks.Add(Record(calls, "resume"));
        });

        result.Outcome.Should().Be(BackupJobOutcome.Succeeded);
        calls.Should().Equal("flush:pre:False", "resume:post:True");
        backup.Should().Equal("backup");
    }

    [Fact]
    public async Task A_failing_pre_hook_with_Fail_stops_the_run_but_post_hooks_still_run()
    {
        List<string> calls = [];
        var (result, backup) = await RunWithAsync(j =>
        {
            j.PreHooks.Add(new BackupHookOptions { Name = "lock-db", Command = "false" });
            j.PostHooks.Add(Record(calls, "unlock"));
        });

        result.Outcome.Should().Be(BackupJobOutcome.Failed);
        result.Error.Should().BeOfType<BackupHookException>().Which.Message.Should().Be("The pre hook 'lock-db' of job 'export' failed: 'false' exited with code 1.");
        backup.Should().BeEmpty();
        calls.Should().Equal("unlock:post:False");
    }

    [Fact]
    public async Task A_failing_hook_with_Continue_is_logged_and_the_run_goes_on()
    {
        var (result, backup) = await RunWithAsync(j =>
        {
            j.PreHooks.Add(new BackupHookOptions { Command = "false", OnError = HookErrorPolicy.Continue });
            j.PostHooks.Add(new BackupHookOptions { Action = (_, _) => throw new InvalidOperationException("boom"), OnError = HookErrorPolicy.Continue });
        });

        result.Outcome.Should().Be(BackupJobOutcome.Succeeded);
        backup.Should().Equal("backup");
    }

    [Fact]
    public async Task A_command_hook_that_outlives_its_timeout_is_killed()
    {
        var started = Environment.TickCount64;
        var (result, backup) = await RunWithAsync(j => j.PreHooks.Add(new BackupHookOptions
        {
            Command = "sleep",
            Arguments = { "30" },
            Timeout = TimeSpan.FromMilliseconds(300),
        }));

        (Environment.TickCount64 - started).Should().BeLessThan(15_000);
        result.Outcome.Should().Be(BackupJobOutcome.Failed);
        result.Error!.Message.Should().Contain("timed out after 00:00:00.3");
        backup.Should().BeEmpty();
    }

    [Fact]
    public async Task A_delegate_hook_that_outlives_its_timeout_fails_or_continues_by_policy()
    {
        var (failed, _) = await RunWithAsync(j => j.PostHooks.Add(new BackupHookOptions
        {
            Action = (_, ct) => Task.Delay(Timeout.Infinite, ct),
            Timeout = TimeSpan.FromMilliseconds(100),
        }));
        var (continued, _) = await RunWithAsync(j => j.PostHooks.Add(new BackupHookOptions
        {
            Action = (_, ct) => Task.Delay(Timeout.Infinite, ct),
            Timeout = TimeSpan.FromMilliseconds(100),
            OnError = HookErrorPolicy.Continue,
        }));

        failed.Outcome.Should().Be(BackupJobOutcome.Failed, "a Fail post-hook fails the run");
        failed.Snapshot.Should().NotBeNull("the snapshot was written before the post-hook");
        continued.Outcome.Should().Be(BackupJobOutcome.Succeeded);
    }

    [Fact]
    public async Task Command_arguments_are_not_interpreted_by_a_shell()
    {
        var marker = Path.Combine(Path.GetTempPath(), "backup-hook-" + Guid.NewGuid().ToString("N"));
        var (result, _) = await RunWithAsync(j => j.PreHooks.Add(new BackupHookOptions
        {
            Command = "touch",
            Arguments = { marker + "; echo injected" },
        }));
        try
        {
            result.Outcome.Should().Be(BackupJobOutcome.Succeeded);
            File.Exists(marker + "; echo injected").Should().BeTrue("the whole argument is one file name");
            File.Exists(marker).Should().BeFalse();
        }
        finally
        {
            File.Delete(marker + "; echo injected");
        }
    }

    [Fact]
    public async Task A_hook_command_gets_what_a_program_needs_but_not_the_services_secrets()
    {
        // Secrets a backup service holds in its environment: the repository password and cloud credentials.
        var secrets = new Dictionary<string, string>
        {
            ["BACKUP_PASSWORD"] = "repository-password-" + Guid.NewGuid().ToString("N"),
            ["AWS_SECRET_ACCESS_KEY"] = "aws-secret-" + Guid.NewGuid().ToString("N"),
            ["AZURE_STORAGE_CONNECTION_STRING"] = "AccountKey=azure-secret-" + Guid.NewGuid().ToString("N"),
        };
        var recorded = Path.Combine(Path.GetTempPath(), "backup-hook-env-" + Guid.NewGuid().ToString("N"));
        foreach (var (name, value) in secrets)
        {
            Environment.SetEnvironmentVariable(name, value);
        }

        try
        {
            var (result, _) = await RunWithAsync(j => j.PreHooks.Add(new BackupHookOptions
            {
                // A real child process that writes down everything it was given.
                Command = "/bin/sh",
                Arguments = { "-c", "env > \"$0\"", recorded },
                Environment = { ["VAULT_ADDR"] = "https://vault.example" },
            }));

            result.Outcome.Should().Be(BackupJobOutcome.Succeeded, result.Error?.ToString());
            var environment = File.ReadAllText(recorded);
            foreach (var (name, value) in secrets)
            {
                environment.Should().NotContain(value, $"{name} is the service's secret, not the hook's");
                environment.Should().NotContain(name + "=");
            }

            environment.Should().Contain("PATH=").And.Contain("HOME=").And.Contain("VAULT_ADDR=https://vault.example");
        }
        finally
        {
            foreach (var name in secrets.Keys)
            {
                Environment.SetEnvironmentVariable(name, null);
            }

            File.Delete(recorded);
        }
    }
}
