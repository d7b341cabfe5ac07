using Backup.Core;
using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Backup.Extensions.Tests;

/// <summary>How the job history (what health probes and the scheduler's catch-up read) treats a repository that cannot be opened.</summary>
public sealed class JobHistoryTests
{
    [Fact]
    public async Task A_failed_look_is_the_answer_for_a_while_so_probes_do_not_derive_the_key_again_each_time()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var repositories = new RefusingProvider();
        var options = new BackupHostingOptions();
        options.Repositories["main"] = new BackupRepositoryOptions { Location = "/nowhere" };
        options.Jobs["export"] = new BackupJobOptions { Repository = "main" };
        var history = new BackupJobHistory(new InMemoryBackupJobStateStore(), repositories, Options.Create(options), time);

        var first = () => history.GetLastSuccessAsync("export", CancellationToken.None).AsTask();
        await first.Should().ThrowAsync<WrongPasswordException>();
        time.Advance(BackupJobHistory.RetryAfter - TimeSpan.FromSeconds(1));
        await first.Should().ThrowAsync<WrongPasswordException>("the same answer, from memory");
        repositories.Opens.Should().Be(1);

        time.Advance(TimeSpan.FromSeconds(1));
        await first.Should().ThrowAsync<WrongPasswordException>();
        repositories.Opens.Should().Be(2, "tried again once the time is up");
    }

    [Fact]
    public async Task A_snapshot_of_the_job_dated_ahead_is_not_taken_as_its_last_success()
    {
        var now = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(now);
        await using var repository = await BackupRepository.InitAsync(new InMemoryTarget(time), TestSupport.FastCredentials());
        var job = new Dictionary<string, string> { [BackupJobHistory.JobMetadataKey] = "export" };
        await repository.Snapshots.SaveAsync(new Core.Snapshots.Snapshot { Hostname = "h", SourceKind = "stream", Time = now.AddHours(-2), Metadata = job });

        // Added by anyone who holds the password (a client that may only append), or by a host whose clock ran ahead:
        // taken as the last success, the RPO health check would stay Healthy for a year however many runs fail.
        await repository.Snapshots.SaveAsync(new Core.Snapshots.Snapshot { Hostname = "h", SourceKind = "stream", Time = now.AddYears(1), Metadata = job });
        var options = new BackupHostingOptions();
        options.Repositories["main"] = new BackupRepositoryOptions { Location = "/nowhere" };
        options.Jobs["export"] = new BackupJobOptions { Repository = "main" };
        var history = new BackupJobHistory(new InMemoryBackupJobStateStore(), new OneRepository(repository), Options.Create(options), time);

        (await history.GetLastSuccessAsync("export", CancellationToken.None)).Should().Be(now.AddHours(-2));
    }

    private sealed class OneRepository(BackupRepository repository) : IBackupRepositoryProvider
    {
        public IReadOnlyCollection<string> Names => ["main"];

        public ValueTask<BackupRepository> GetAsync(string name, CancellationToken cancellationToken = default) => ValueTask.FromResult(repository);

        public IRepositoryKeySource GetKeySource(string name) => throw new NotSupportedException();
    }

    private sealed class RefusingProvider : IBackupRepositoryProvider
    {
        public int Opens { get; private set; }

        public IReadOnlyCollection<string> Names => ["main"];

        public ValueTask<BackupRepository> GetAsync(string name, CancellationToken cancellationToken = default)
        {
            Opens++;
            throw new WrongPasswordException("in-memory target");
        }

        public IRepositoryKeySource GetKeySource(string name) => throw new NotSupportedException();
    }
}
