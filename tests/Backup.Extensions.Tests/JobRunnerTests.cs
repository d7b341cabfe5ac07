using Backup.Core.Crypto;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;

namespace Backup.Extensions.Tests;

public sealed class JobRunnerTests
{
    [Fact]
    public async Task A_job_runs_now_and_its_snapshot_carries_the_job_name()
    {
        await using var provider = TestSupport.Build();
        var runner = provider.GetRequiredService<IBackupJobRunner>();
        var events = new List<BackupJobEvent>();
        runner.JobEvent += (_, e) => events.Add(e);

        var result = await runner.RunAsync("export");

        result.Outcome.Should().Be(BackupJobOutcome.Succeeded, result.Error?.ToString());
        result.Snapshot!.Tags.Should().Contain("job:export");
        result.Snapshot.Metadata.Should().Contain("backup.job", "export");
        events.Select(e => e.Kind).Should().Equal(BackupJobEventKind.Started, BackupJobEventKind.Completed);
        provider.GetRequiredService<IBackupJobStateStore>().GetState("export").LastSuccess.Should().Be(result.Snapshot.Time);

        // Usable without the runner: the provider hands out the same open repository.
        var repository = await provider.GetRequiredService<IBackupRepositoryProvider>().GetAsync("main");
        var snapshots = new List<Backup.Core.Snapshots.Snapshot>();
        await foreach (var snapshot in repository.Snapshots.ListAsync())
        {
            snapshots.Add(snapshot);
        }

        snapshots.Should().ContainSingle().Which.Id.Should().Be(result.Snapshot.Id);
    }

    [Fact]
    public async Task A_files_job_from_configuration_backs_up_its_paths_with_excludes()
    {
        var folder = Directory.CreateTempSubdirectory("backup-di-files-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "keep.txt"), "keep me");
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "skip.tmp"), "leave me out");
            await using var provider = TestSupport.Build(settings: new Dictionary<string, string?>
            {
                ["Backup:Jobs:files:Repository"] = "main",
                ["Backup:Jobs:files:Paths:0"] = folder.FullName,
                ["Backup:Jobs:files:Excludes:0"] = "*.tmp",
                ["Backup:Jobs:files:Level"] = "Full",
            });

            var result = await provider.GetRequiredService<IBackupJobRunner>().RunAsync("files");

            result.Outcome.Should().Be(BackupJobOutcome.Succeeded, result.Error?.ToString());
            result.Snapshot!.SourceKind.Should().Be("files");
            result.Snapshot.Level.Should().Be(Backup.Core.Snapshots.BackupLevel.Full);
            result.Snapshot.Statistics.Files.Should().Be(1, "skip.tmp is excluded");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_run_after_the_repository_directory_was_moved_away_fails_instead_of_writing_a_repository_without_keys()
    {
        var folder = Directory.CreateTempSubdirectory("backup-di-vanished-");
        try
        {
            var root = Path.Combine(folder.FullName, "repository");
            await using var provider = TestSupport.Build(configure: b => b.AddRepository("main", r =>
            {
                r.TargetFactory = null;
                r.Location = root;
            }));
            var runner = provider.GetRequiredService<IBackupJobRunner>();
            (await runner.RunAsync("export")).Outcome.Should().Be(BackupJobOutcome.Succeeded);
            // As a disk unmounted under a running service: the open repository is cached, its directory gone.
            Directory.Move(root, Path.Combine(folder.FullName, "unmounted"));

            var result = await runner.RunAsync("export");

            result.Outcome.Should().Be(BackupJobOutcome.Failed);
            result.Error!.Message.Should().Contain($"'{root}' is gone or was replaced");
            Directory.Exists(root).Should().BeFalse();
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Concurrent_callers_share_one_open_repository()
    {
        await using var provider = TestSupport.Build();
        var repositories = provider.GetRequiredService<IBackupRepositoryProvider>();

        var opened = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => repositories.GetAsync("main").AsTask())));

        opened.Distinct().Should().ContainSingle();
        await repositories.Invoking(r => r.GetAsync("nope").AsTask()).Should().ThrowAsync<KeyNotFoundException>().WithMessage("*'nope'*");
    }

    [Fact]
    public async Task Overlapping_runs_of_one_job_are_prevented()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var provider = TestSupport.Build(configure: b => b.AddJob("slow", j =>
        {
            j.Repository = "main";
            j.SourceFactory = _ => TestSupport.Blocking(started, release.Task);
        }));
        var runner = provider.GetRequiredService<IBackupJobRunner>();

        var first = runner.RunAsync("slow");
        await started.Task.WaitAsync(TimeSpan.FromSeconds(20));
        runner.IsRunning("slow").Should().BeTrue();
        var second = await runner.RunAsync("slow");
        var other = await runner.RunAsync("export");
        release.SetResult();

        second.Outcome.Should().Be(BackupJobOutcome.Skipped);
        other.Outcome.Should().Be(BackupJobOutcome.Succeeded, "another job is not blocked");
        (await first).Outcome.Should().Be(BackupJobOutcome.Succeeded);
        runner.IsRunning("slow").Should().BeFalse();
    }

    [Fact]
    public async Task A_cancelled_run_throws_reports_Cancelled_and_runs_post_hooks()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var postRan = false;
        await using var provider = TestSupport.Build(configure: b => b.AddJob("slow", j =>
        {
            j.Repository = "main";
            j.SourceFactory = _ => TestSupport.Blocking(started, Task.Delay(Timeout.Infinite));
            j.PostHooks.Add(new BackupHookOptions { Action = (_, _) => { postRan = true; return Task.CompletedTask; } });
        }));
        var runner = provider.GetRequiredService<IBackupJobRunner>();
        BackupJobResult? completed = null;
        runner.JobEvent += (_, e) => completed = e.Result ?? completed;
        using var cts = new CancellationTokenSource();

        var run = runner.RunAsync("slow", cts.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await cts.CancelAsync();

        await run.Invoking(r => r).Should().ThrowAsync<OperationCanceledException>();
        completed!.Outcome.Should().Be(BackupJobOutcome.Cancelled);
        postRan.Should().BeTrue();
        runner.IsRunning("slow").Should().BeFalse();
    }

    [Fact]
    public async Task A_run_cancelled_after_its_snapshot_was_written_logs_the_snapshot_it_kept()
    {
        var verifying = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var logs = new LogCapture();
        await using var provider = TestSupport.Build(logs: logs, configure: b => b.AddJob("export", j => j.VerificationStep = async (_, token) =>
        {
            verifying.SetResult();
            await Task.Delay(Timeout.Infinite, token);
            return new BackupVerificationOutcome { Succeeded = true, Message = "never" };
        }));
        var runner = provider.GetRequiredService<IBackupJobRunner>();
        BackupJobResult? completed = null;
        runner.JobEvent += (_, e) => completed = e.Result ?? completed;
        using var cts = new CancellationTokenSource();

        var run = runner.RunAsync("export", cts.Token);
        await verifying.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await cts.CancelAsync();

        await run.Invoking(r => r).Should().ThrowAsync<OperationCanceledException>();
        var snapshot = completed!.Snapshot!.Id.ToShortString();
        // Not "packs already uploaded are reused by the next run": the snapshot is written and counts as the last success.
        logs.Messages.Should().ContainSingle(m => m.Contains("Backup job export was cancelled", StringComparison.Ordinal))
            .Which.Should().Contain($"after it wrote snapshot {snapshot}").And.NotContain("packs already uploaded");
    }

    [Fact]
    public async Task A_failed_run_is_reported_not_thrown_and_notification_sinks_get_it()
    {
        await using var provider = TestSupport.Build(configure: b =>
        {
            b.AddJob("broken", j =>
            {
                j.Repository = "main";
                j.SourceFactory = _ => throw new InvalidOperationException("source is gone");
            });
            b.AddNotificationSink<RecordingSink>();
        });

        var result = await provider.GetRequiredService<IBackupJobRunner>().RunAsync("broken");

        result.Outcome.Should().Be(BackupJobOutcome.Failed);
        result.Error!.Message.Should().Be("source is gone");
        var sink = provider.GetServices<IBackupNotificationSink>().OfType<RecordingSink>().Single();
        sink.Events.Select(e => (e.Kind, e.Result?.Outcome)).Should().Equal((BackupJobEventKind.Started, null), (BackupJobEventKind.Completed, BackupJobOutcome.Failed));
    }

    [Fact]
    public async Task Retention_and_verification_steps_run_after_the_backup_and_feed_the_state()
    {
        var order = new List<string>();
        await using var provider = TestSupport.Build(configure: b => b.AddJob("export", j =>
        {
            j.RetentionStep = (ctx, _) => { order.Add("retention:" + ctx.Result.Snapshot.Id.ToShortString()); return Task.CompletedTask; };
            j.VerificationStep = (ctx, _) => { order.Add("verify"); return Task.FromResult(new BackupVerificationOutcome { Succeeded = false, Message = "pack 1f2e missing", RestoreDuration = TimeSpan.FromSeconds(3) }); };
        }));

        var result = await provider.GetRequiredService<IBackupJobRunner>().RunAsync("export");

        result.Outcome.Should().Be(BackupJobOutcome.Succeeded, "a failed verification degrades health but keeps the snapshot");
        order.Should().Equal("retention:" + result.Snapshot!.Id.ToShortString(), "verify");
        var state = provider.GetRequiredService<IBackupJobStateStore>().GetState("export");
        state.LastVerificationSucceeded.Should().BeFalse();
        state.LastVerificationMessage.Should().Be("pack 1f2e missing");
    }

    [Fact]
    public async Task Key_sources_read_file_configuration_and_delegate_and_name_only_where_they_looked()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, TestSupport.Password + "\n");
        try
        {
            var configuration = TestSupport.Configuration(new Dictionary<string, string?> { ["Vault:Backup"] = TestSupport.Password });
            foreach (var source in new IRepositoryKeySource[]
            {
                new FileKeySource(file),
                new ConfigurationKeySource(configuration, "Vault:Backup"),
                new DelegateKeySource("test vault", _ => ValueTask.FromResult(RepositoryCredentials.FromPassword(TestSupport.Password))),
            })
            {
                using var credentials = await source.GetCredentialsAsync();
                credentials.IsKeyFile.Should().BeFalse(source.Description);
            }

            var variable = "BACKUP_DI_TEST_MISSING_" + Guid.NewGuid().ToString("N");
            (await new EnvironmentVariableKeySource(variable).Invoking(s => s.GetCredentialsAsync().AsTask()).Should().ThrowAsync<RepositoryKeyUnavailableException>())
                .Which.Message.Should().Be($"The environment variable {variable} is not set or empty.");
            await File.WriteAllTextAsync(file, string.Empty);
            (await new FileKeySource(file).Invoking(s => s.GetCredentialsAsync().AsTask()).Should().ThrowAsync<RepositoryKeyUnavailableException>())
                .Which.Message.Should().Contain("is empty");
        }
        finally
        {
            File.Delete(file);
        }
    }

    internal sealed class RecordingSink : IBackupNotificationSink
    {
        public List<BackupJobEvent> Events { get; } = [];

        public Task NotifyAsync(BackupJobEvent jobEvent, CancellationToken cancellationToken = default)
        {
            lock (Events)
            {
                Events.Add(jobEvent);
            }

            return Task.CompletedTask;
        }
    }
}
