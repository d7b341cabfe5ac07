using Backup.Core;
using Backup.Core.Crypto;
using Backup.Core.Pipeline;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Core.Storage;

namespace Backup.Cli.Tests;

/// <summary>
/// A repository that records a retention lock, driven by the tool without the lock: every verb that changes it exits
/// 2 (a configuration error) before writing anything, naming the lock and what to do, and the verbs that only
/// read work. The end-to-end path with a lock that S3 keeps is tested against the SDK's HTTP path in
/// Backup.Providers.Targets.Tests (RecordedRetentionLockTests); here the repository is created through a stand-in for
/// a locking store, as local storage cannot lock and the tool cannot be given a simulated S3 client. On a local
/// directory it is what a copy of a locked bucket (rclone sync) is: readable, never writable; on s3rver (which keeps
/// no lock but takes the settings) it is a bucket written without the lock.
/// </summary>
public sealed class RecordedRetentionLockCliTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public RecordedRetentionLockCliTests() => Directory.CreateDirectory(_cli.PathOf("src"));

    public void Dispose() => _cli.Dispose();

    [Theory]
    [InlineData("create", "src")]
    [InlineData("key", "add")]
    [InlineData("forget", "ID")]
    [InlineData("forget", "--keep-last", "1", "--prune")]
    [InlineData("prune")]
    [InlineData("repair", "index")]
    [InlineData("repair", "snapshots")]
    [InlineData("pin", "latest")]
    public async Task A_verb_that_changes_the_repository_is_refused_before_writing_anything_without_the_lock(params string[] args)
    {
        var id = await CreateLockedRepositoryAsync();
        var before = Files();

        var refused = await _cli.RunAsync([.. args.Select(a => a == "ID" ? id : a)], stdin: null, new() { ["BACKUP_NEW_PASSWORD"] = "a new password" });

        refused.ExitCode.Should().Be(2, refused.Stderr);
        refused.Stderr.Should().Contain("backup: usage error: The repository in").And.Contain("was created with a retention lock of 30d (governance mode)")
            .And.Contain("(governance mode), on an S3 bucket with Object Lock; this storage cannot keep that lock: it cannot lock objects against deletion (a local directory or an SFTP server, such as a copy of the repository's bucket), so nothing was written.")
            .And.Contain("Commands that only read (snapshots, ls, restore, check, and copy from it) work on it as it is.")
            .And.Contain("use the repository on the storage it was created on (its s3:// or azure:// location) with --retention-lock 30d (or longer) and BACKUP_S3_RETENTION_MODE=governance")
            .And.Contain("or 'backup init' a new repository at another location and 'backup copy' its snapshots there.")
            .And.NotContain("Pass --retention-lock", "the option is refused for a local directory")
            .And.NotContain("Set RetentionLock", "the tool names its option, not the library's setting");
        Files().Should().Equal(before, "a refused run adds no pack, index, snapshot, key or lock object");
    }

    /// <summary>The mirror's advice is what works: copying its snapshots into a new repository.</summary>
    [Fact]
    public async Task A_local_copy_of_a_locked_repository_copies_into_a_new_repository()
    {
        await CreateLockedRepositoryAsync();
        var destination = _cli.PathOf("new-repository");
        var environment = new Dictionary<string, string?> { ["BACKUP_PASSWORD"] = CliRunner.Password };
        (await _cli.RunAsync(["init", "--repo", destination], stdin: null, environment)).ExitCode.Should().Be(0);

        var copy = await _cli.RunAsync(["copy", "--from", _cli.Repository, "--to", destination], stdin: null, new() { ["BACKUP_DESTINATION_PASSWORD"] = CliRunner.Password });
        var backup = await _cli.RunAsync(["create", "src", "--repo", destination], stdin: null, environment);

        copy.ExitCode.Should().Be(0, copy.Stderr);
        backup.ExitCode.Should().Be(0, backup.Stderr);
    }

    [Fact]
    public async Task A_drill_whose_results_repository_lacks_the_recorded_lock_is_refused_before_its_first_step_naming_the_plans_setting()
    {
        await CreateLockedRepositoryAsync();
        var marker = _cli.PathOf("step-ran");
        var plan = _cli.PathOf("plan.yaml");
        await File.WriteAllTextAsync(plan, $$"""
            name: locked-plan
            backup:
              repositories:
                local: { location: {{_cli.Repository}}, passwordEnvironmentVariable: BACKUP_PASSWORD }
              jobs:
                files: { repository: local, paths: [src], schedule: "0 2 * * *" }
            systems:
              files:
                rpo: 1d
                rto: 1h
                jobs: [files]
                steps:
                  - name: Mark
                    command: { run: [touch, {{marker}}], safeInDrill: true }
            """);
        var before = Files();

        var drill = await _cli.RunAsync("dr", "drill", plan);

        drill.ExitCode.Should().Be(2, drill.Stdout + drill.Stderr);
        drill.Stderr.Should().Contain("was created with a retention lock of 30d (governance mode)").And.Contain("this storage cannot keep that lock")
            .And.Contain("with RetentionLock (BACKUP_RETENTION_LOCK) set to 30d or longer", "a plan's repository takes the lock from its settings")
            .And.NotContain("--retention-lock", "the option does not reach a plan's repositories");
        File.Exists(marker).Should().BeFalse("the drill is refused before its first step, not after running them all and failing to store its result");
        Files().Should().Equal(before);
    }

    [Fact]
    public async Task Verbs_that_only_read_and_dry_runs_need_no_lock()
    {
        var id = await CreateLockedRepositoryAsync();
        var before = Files();

        var snapshots = await _cli.RunAsync("snapshots");
        var check = await _cli.RunAsync("check", "--read-data");
        var ls = await _cli.RunAsync("ls", "latest");
        var restore = await _cli.RunAsync("restore", "latest", "--target", _cli.PathOf("out"));
        var forget = await _cli.RunAsync("forget", id, "--dry-run");
        var prune = await _cli.RunAsync("prune", "--dry-run");

        foreach (var result in new[] { snapshots, check, ls, restore, forget, prune })
        {
            result.ExitCode.Should().Be(0, result.Stderr);
        }

        File.ReadAllBytes(Path.Combine(_cli.PathOf("out"), "export.bin")).Should().HaveCount(100_000);
        Files().Should().Equal(before);
    }

    /// <summary>
    /// <c>dr backup</c> writes a snapshot per job: it is refused before any job runs, not at each job's first write
    /// (<c>dr drill</c>'s refusal before its first step is tested with the drill runner).
    /// </summary>
    [Fact]
    public async Task Dr_backup_is_refused_before_any_job_runs_without_the_lock()
    {
        await CreateLockedRepositoryAsync();
        File.WriteAllText(_cli.PathOf("src/a.txt"), "a");
        var plan = _cli.PathOf("plan.yaml");
        File.WriteAllText(plan, $$"""
            name: locked
            backup:
              repositories:
                local: { location: {{_cli.Repository}}, passwordEnvironmentVariable: BACKUP_PASSWORD }
              jobs:
                files: { repository: local, paths: [{{_cli.PathOf("src")}}], schedule: "*/15 * * * *" }
            systems:
              files:
                rpo: 1h
                rto: 30m
                jobs: [files]
                steps:
                  - name: Restore the files
                    restore: { job: files, directory: /srv/files }
            """);
        var before = Files();

        var backup = await _cli.RunAsync("dr", "backup", plan);

        backup.ExitCode.Should().Be(2, backup.Stderr);
        backup.Stderr.Should().Contain("was created with a retention lock of 30d (governance mode)").And.Contain("this storage cannot keep that lock")
            .And.Contain("with RetentionLock (BACKUP_RETENTION_LOCK) set to 30d or longer and RetentionMode (BACKUP_S3_RETENTION_MODE) to governance")
            .And.NotContain("--retention-lock", "the option does not reach a plan's repositories");
        backup.Stdout.Should().NotContain("Job files:", "no job ran");
        Files().Should().Equal(before);
    }

    /// <summary>A repository as 'backup init --retention-lock 30d' on an S3 bucket with Object Lock creates it, with one snapshot.</summary>
    /// <returns>The snapshot's ID.</returns>
    private async Task<string> CreateLockedRepositoryAsync()
    {
        var target = new ClaimsRetentionLock(new LocalDirectoryTarget(_cli.Repository));
        using var credentials = RepositoryCredentials.FromPassword(CliRunner.Password);
        await using var repository = await BackupRepository.InitAsync(target, credentials);
        repository.Config.RetentionLock.Should().NotBeNull();
        var bytes = new byte[100_000];
        new Random(7).NextBytes(bytes);
        var result = await new BackupService(repository).BackupAsync(StreamSource.FromStream("export.bin", new MemoryStream(bytes)), new BackupOptions { Level = BackupLevel.Full });
        return result.Snapshot.Id.ToString();
    }

    private List<string> Files() =>
        [.. Directory.EnumerateFiles(_cli.Repository, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    /// <summary>Says it writes a 30-day governance lock, as an S3 target with Object Lock does; local storage keeps none, which no test here relies on.</summary>
    private sealed class ClaimsRetentionLock(IBackupTarget inner) : DelegatingTarget(inner), IRetentionLockingTarget
    {
        public RetentionLock? RetentionLock { get; } = new() { Period = TimeSpan.FromDays(30), Mode = "governance" };

        public Task ConfirmRetentionLockAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<RetentionExtension> ExtendRetentionAsync(string key, DateTimeOffset retainUntil, CancellationToken cancellationToken = default) =>
            Task.FromException<RetentionExtension>(new NotSupportedException("local storage keeps no retention lock"));
    }
}
