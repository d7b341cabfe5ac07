using Backup.Core.Crypto;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using Backup.Core;

namespace Backup.Extensions.Tests;

/// <summary>A run that did not back everything up is logged with its reasons and makes the job Degraded, even within the RPO.</summary>
public sealed class PartialRunHealthTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("backup-partial-tests-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Folder(string name)
    {
        var path = Directory.CreateDirectory(Path.Combine(_root, name)).FullName;
        File.WriteAllText(Path.Combine(path, "file.txt"), name);
        return path;
    }

    private ServiceProvider Build(Action<BackupJobOptions> job, LogCapture? logs = null) =>
        TestSupport.Build(time: _time, logs: logs, configure: b => b.AddJob("files", j =>
        {
            j.Repository = "main";
            j.Rpo = TimeSpan.FromDays(1);
            job(j);
        }), services: s => s.AddHealthChecks().AddBackupHealthChecks());

    private static async Task<HealthReportEntry> CheckAsync(ServiceProvider provider, string job) =>
        (await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries[$"backup:{job}"];

    [Fact]
    public async Task A_path_that_vanished_after_start_up_makes_a_partial_snapshot_and_the_job_Degraded_with_the_reason()
    {
        var kept = Folder("kept");
        var vanishing = Folder("vanishing");
        var logs = new LogCapture();
        await using var provider = Build(j => j.Paths.AddRange([kept, vanishing]), logs);
        var runner = provider.GetRequiredService<IBackupJobRunner>();
        (await runner.RunAsync("files")).Outcome.Should().Be(BackupJobOutcome.Succeeded);
        (await CheckAsync(provider, "files")).Status.Should().Be(HealthStatus.Healthy);

        Directory.Delete(vanishing, recursive: true);
        _time.Advance(TimeSpan.FromHours(1));
        var result = await runner.RunAsync("files");
        var entry = await CheckAsync(provider, "files");

        result.Outcome.Should().Be(BackupJobOutcome.Partial);
        entry.Status.Should().Be(HealthStatus.Degraded, "the newest complete snapshot is within the RPO, but the last run missed a path");
        entry.Description.Should().Contain("partial snapshot").And.Contain(vanishing);
        entry.Data["lastOutcome"].Should().Be("Partial");
        entry.Data["lastRunProblemCount"].Should().Be(1);
        entry.Data["lastRunProblems"].Should().BeAssignableTo<IReadOnlyList<string>>().Which.Should().ContainSingle().Which.Should().Be($"{vanishing}: does not exist");
        entry.Exception.Should().BeNull();
        logs.Messages.Should().Contain(m => m.StartsWith("Warning", StringComparison.Ordinal) && m.Contains($"Backup job files: could not read {vanishing}: does not exist", StringComparison.Ordinal));

        // A complete run again clears it.
        Directory.CreateDirectory(vanishing);
        (await runner.RunAsync("files")).Outcome.Should().Be(BackupJobOutcome.Succeeded);
        (await CheckAsync(provider, "files")).Status.Should().Be(HealthStatus.Healthy);
    }

    [Fact]
    public async Task A_partial_run_logs_the_first_twenty_entries_and_a_count_of_the_rest()
    {
        var kept = Folder("kept");
        var missing = Enumerable.Range(0, 25).Select(i => Path.Combine(_root, $"missing-{i:D2}")).ToList();
        var logs = new LogCapture();
        await using var provider = Build(j => j.Paths.AddRange([kept, .. missing]), logs);

        var result = await provider.GetRequiredService<IBackupJobRunner>().RunAsync("files");
        var state = provider.GetRequiredService<IBackupJobStateStore>().GetState("files");

        result.Outcome.Should().Be(BackupJobOutcome.Partial);
        logs.Messages.Count(m => m.Contains("Backup job files: could not read ", StringComparison.Ordinal)).Should().Be(20);
        logs.Messages.Should().Contain(m => m.Contains("Backup job files: 5 more entries could not be read (the first 20 are logged", StringComparison.Ordinal));
        state.LastRunProblemCount.Should().Be(25);
        state.LastRunProblems.Should().HaveCount(20);
    }

    [Fact]
    public async Task A_failed_last_run_within_the_RPO_is_Degraded_with_its_error()
    {
        var runs = 0;
        await using var provider = Build(j => j.SourceFactory = _ => ++runs == 1 ? TestSupport.Export("export.csv", 1024) : throw new InvalidOperationException("the export service is down"));
        var runner = provider.GetRequiredService<IBackupJobRunner>();
        (await runner.RunAsync("files")).Outcome.Should().Be(BackupJobOutcome.Succeeded);

        (await runner.RunAsync("files")).Outcome.Should().Be(BackupJobOutcome.Failed);
        var entry = await CheckAsync(provider, "files");

        entry.Status.Should().Be(HealthStatus.Degraded);
        entry.Description.Should().Contain("the last run failed: the export service is down");
        entry.Data["lastOutcome"].Should().Be("Failed");
        entry.Data["lastRunProblems"].Should().BeAssignableTo<IReadOnlyList<string>>().Which.Should().Equal("the export service is down");
        entry.Data["lastRunProblemCount"].Should().Be(1, "the count is how many problems lastRunProblems is the first of: a failed run's error is one");
        provider.GetRequiredService<IBackupJobStateStore>().GetState("files").LastRunProblemCount.Should().Be(1);
    }

    [Fact]
    public async Task Expected_Unhealthy_results_carry_no_exception()
    {
        await using var provider = Build(j => j.SourceFactory = _ => TestSupport.Export("export.csv", 1024));

        var none = await CheckAsync(provider, "files");
        (await provider.GetRequiredService<IBackupJobRunner>().RunAsync("files")).Outcome.Should().Be(BackupJobOutcome.Succeeded);
        _time.Advance(TimeSpan.FromDays(2));
        var late = await CheckAsync(provider, "files");

        none.Status.Should().Be(HealthStatus.Unhealthy);
        none.Exception.Should().BeNull();
        late.Status.Should().Be(HealthStatus.Unhealthy);
        late.Exception.Should().BeNull();
    }

    [Fact]
    public async Task A_repository_that_does_not_open_is_Unhealthy_without_a_stack_trace()
    {
        var target = new InMemoryTarget(_time);
        using (var credentials = TestSupport.FastCredentials())
        {
            await (await BackupRepository.InitAsync(target, credentials, new Core.Repository.RepositoryInitOptions())).DisposeAsync();
        }

        var otherKey = new DelegateKeySource("another key file", _ => ValueTask.FromResult(RepositoryCredentials.FromKeyFile([.. Enumerable.Repeat((byte)7, 64)])));
        await using var provider = TestSupport.Build(
            time: _time,
            target: target,
            configure: b => b.AddRepository("main", r => r.KeySource = _ => otherKey),
            services: s => s.AddHealthChecks().AddBackupHealthChecks());

        var entry = await CheckAsync(provider, "export");

        entry.Status.Should().Be(HealthStatus.Unhealthy);
        entry.Description.Should().Contain("cannot read its snapshots").And.Contain("does not open any key");
        entry.Exception.Should().BeNull();
    }
}
