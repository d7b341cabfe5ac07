using System.Collections.Concurrent;
using Backup.Core.Maintenance;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Retention;
using Backup.Core.Snapshots;
using Backup.Core.Storage;
using Backup.Core.Verification;
using static Backup.Maintenance.Tests.TestRepository;
using Backup.Core;
using Backup.Core.Repository.Locks;

namespace Backup.Maintenance.Tests;

/// <summary>
/// Issue #5: forget and prune racing concurrent backups on a real directory repository; afterwards check with
/// read-data finds nothing and every remaining snapshot restores byte for byte.
/// </summary>
public sealed class ConcurrentMaintenanceTests : IDisposable
{
    private const int Writers = 3;
    private const int Rounds = 5;

    // Keep the last two snapshots of each writer (one host per writer). A writer's "cycle" file comes back every
    // third round, so each round backs up content that forget dropped and prune removed two rounds before.
    private static readonly RetentionPolicy KeepLastTwo = new() { KeepLast = 2, GroupBy = SnapshotGrouping.Host };
    private static readonly PruneOptions RemoveAllUnused = new() { RepackThreshold = 0 };

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "backup-race-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task Forget_and_prune_racing_concurrent_backups_leave_a_repository_that_checks_clean_and_restores_every_snapshot()
    {
        var target = new LocalDirectoryTarget(_directory);
        await (await BackupRepository.InitAsync(target, Credentials, Options)).DisposeAsync();

        var race = new Race(target);
        await race.RunAsync(killer: null);

        race.Prunes.Should().BeGreaterThanOrEqualTo(Rounds - 1, "every writer waits for a prune between its rounds");
        race.BlobsRemoved.Should().BeGreaterThan(0, "forget dropped snapshots and prune removed their data while backups ran");
        await AssertCleanAndRestorableAsync(target, race);
    }

    [Theory]
    [InlineData("put", 1)]    // its lock is written; dies at the first rewritten pack (or the index)
    [InlineData("put", 2)]    // dies at the next pack or the index
    [InlineData("delete", 0)] // new index written; dies before deleting any old index
    [InlineData("delete", 1)] // dies after deleting one old index object
    public async Task A_prune_killed_mid_way_while_backups_run_leaves_a_repository_that_checks_clean_and_restores_every_snapshot(string at, int callsBeforeDeath)
    {
        var target = new LocalDirectoryTarget(_directory);
        await (await BackupRepository.InitAsync(target, Credentials, Options)).DisposeAsync();

        var race = new Race(target);
        await race.RunAsync(target => at == "put" ? new FaultInjectingTarget(target).DieAfterPuts(callsBeforeDeath) : new FaultInjectingTarget(target).DieAfterDeletes(callsBeforeDeath));

        race.KilledPrunes.Should().Be(1, "one prune died part-way through its writes while writers were backing up");
        race.Prunes.Should().BeGreaterThan(0);
        await AssertCleanAndRestorableAsync(target, race);
    }

    [Fact]
    public async Task A_backup_through_a_repository_opened_before_another_process_pruned_stores_the_removed_data_again()
    {
        // The long-lived-host case: the repository is opened (index loaded), another process forgets and prunes,
        // then a backup through the first repository meets content whose chunks prune just deleted.
        var target = new LocalDirectoryTarget(_directory);
        var gone = TestRepository.Random(41, 1_500_000);
        var kept = TestRepository.Random(42, 600_000);
        await using var host = await BackupRepository.InitAsync(target, Credentials, Options);
        var first = await BackupAsync(host, new() { ["gone.bin"] = gone, ["kept.bin"] = kept }, "first");
        await BackupAsync(host, new() { ["kept.bin"] = kept }, "second");

        await using (var other = await BackupRepository.OpenAsync(target, Credentials))
        {
            await other.Snapshots.DeleteAsync(first.Id);
            (await new MaintenanceService(other).PruneAsync(RemoveAllUnused)).BlobsRemoved.Should().BeGreaterThan(0);
        }

        var third = await BackupAsync(host, new() { ["gone.bin"] = gone }, "third");

        third.Statistics.BlobsAdded.Should().BeGreaterThan(0, "the chunks of gone.bin were pruned, so they are stored again");
        (await CheckReadDataAsync(target)).Problems.Should().BeEmpty();
        await AssertRestoresAsync(target, new Dictionary<string, Dictionary<string, byte[]>>
        {
            ["second"] = new() { ["kept.bin"] = kept },
            ["third"] = new() { ["gone.bin"] = gone },
        });
    }

    private static async Task<CheckResult> CheckReadDataAsync(IBackupTarget target)
    {
        await using var repository = await BackupRepository.OpenWithoutIndexAsync(target, Credentials);
        return await new VerificationService(repository).CheckAsync(new CheckOptions { ReadData = true });
    }

    private static async Task AssertCleanAndRestorableAsync(IBackupTarget target, Race race)
    {
        // A final forget and prune with nothing running beside them, then the `check --read-data` equivalent.
        await using (var repository = await BackupRepository.OpenAsync(target, Credentials))
        {
            await new RetentionService(repository).ApplyAsync(KeepLastTwo, dryRun: false);
            // Every writer has ended: the grace period for packs of writers whose lock lapsed is over.
            await new MaintenanceService(repository).PruneAsync(RemoveAllUnused with { UnindexedGracePeriod = TimeSpan.Zero });
        }

        (await KeysAsync(target, RepositoryLayout.LocksPrefix)).Should().BeEmpty("every holder removed its lock");
        var check = await CheckReadDataAsync(target);
        check.Problems.Should().BeEmpty();

        var remaining = new List<string>();
        await using (var repository = await BackupRepository.OpenAsync(target, Credentials))
        {
            await foreach (var snapshot in repository.Snapshots.ListAsync())
            {
                remaining.Add(snapshot.Tags[0]);
            }
        }

        var expectedRemaining = Enumerable.Range(0, Writers).SelectMany(w => new[] { Tag(w, Rounds - 2), Tag(w, Rounds - 1) });
        remaining.Should().BeEquivalentTo(expectedRemaining, "forget keeps the last two snapshots of each writer");
        await AssertRestoresAsync(target, race.Expected);
    }

    private static string Tag(int writer, int round) => $"w{writer}-r{round}";

    private static byte[] Block(int seed) => TestRepository.Random(seed, 256 * 1024);

    /// <summary>
    /// What writer <paramref name="writer"/> backs up in round <paramref name="round"/>: a file every writer has
    /// (dedup across sources), one that alternates between two versions shared by all writers, a log that grows
    /// (dedup across rounds), and the writer's own file that cycles through three versions.
    /// </summary>
    private static Dictionary<string, byte[]> SourceOf(int writer, int round)
    {
        var log = TestRepository.Random(7000 + writer, 1_000_000);
        return new Dictionary<string, byte[]>
        {
            ["shared/lib.bin"] = Block(1000),
            ["shared/common.bin"] = Block(2000 + (round % 2)),
            [$"own/log-{writer}.bin"] = log[..((round + 1) * 150_000)],
            [$"own/cycle-{writer}.bin"] = [.. Block(3000 + (writer * 10) + (round % 3)), .. Block(4000 + writer)],
        };
    }

    /// <summary>
    /// Writers, each with its own repository opened once at the start (as a long-lived host or a slow process would
    /// have it), back up round after round; a pruner forgets and prunes in a loop. Before each round a writer waits
    /// until a prune attempt that began after its previous backup has ended, so prunes and backups interleave.
    /// </summary>
    private sealed class Race(IBackupTarget target)
    {
        private int _attemptsStarted;
        private int _attemptsEnded;
        private int _writersDone;
        private bool _prunerStopped;

        public ConcurrentDictionary<string, Dictionary<string, byte[]>> Expected { get; } = new();

        public int Prunes { get; private set; }

        public int KilledPrunes { get; private set; }

        public long BlobsRemoved { get; private set; }

        /// <summary>Runs the race; with <paramref name="killer"/>, the first prune that gets in runs on the storage it returns and dies part-way.</summary>
        public async Task RunAsync(Func<IBackupTarget, FaultInjectingTarget>? killer)
        {
            var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(() => WriterAsync(w))).ToList();
            var pruner = Task.Run(() => PrunerAsync(killer));
            try
            {
                await Task.WhenAll([.. writers, pruner]);
            }
            catch (Exception) when (pruner.IsFaulted)
            {
                await pruner; // the pruner's failure is the cause; the writers only stopped waiting for it
            }
        }

        private async Task WriterAsync(int writer)
        {
            try
            {
                await using var repository = await BackupRepository.OpenAsync(target, Credentials);
                for (var round = 0; round < Rounds; round++)
                {
                    var files = SourceOf(writer, round);
                    var tag = Tag(writer, round);
                    Expected[tag] = files;
                    await RetryWhileLockedAsync(() => new BackupService(repository).BackupAsync(
                        new MemorySource(files),
                        new BackupOptions { Level = BackupLevel.Full, Tags = [tag], Hostname = $"host{writer}", EncodeWorkers = 2 }));

                    var after = Volatile.Read(ref _attemptsStarted);
                    while (Volatile.Read(ref _attemptsEnded) <= after)
                    {
                        if (Volatile.Read(ref _prunerStopped))
                        {
                            throw new InvalidOperationException("The pruner stopped.");
                        }

                        await Task.Delay(5);
                    }
                }
            }
            finally
            {
                Interlocked.Increment(ref _writersDone);
            }
        }

        private async Task PrunerAsync(Func<IBackupTarget, FaultInjectingTarget>? killer)
        {
            try
            {
                await PruneWhileWritersRunAsync(killer);
            }
            finally
            {
                Volatile.Write(ref _prunerStopped, true);
            }
        }

        private async Task PruneWhileWritersRunAsync(Func<IBackupTarget, FaultInjectingTarget>? killer)
        {
            await using var repository = await BackupRepository.OpenAsync(target, Credentials);
            while (Volatile.Read(ref _writersDone) < Writers)
            {
                var attempt = Interlocked.Increment(ref _attemptsStarted);
                await RetryWhileLockedAsync(() => new RetentionService(repository).ApplyAsync(KeepLastTwo, dryRun: false));
                if (killer is not null && KilledPrunes == 0)
                {
                    await TryKilledPruneAsync(killer);
                }
                else
                {
                    await RetryWhileLockedAsync(async () =>
                    {
                        var result = await new MaintenanceService(repository).PruneAsync(RemoveAllUnused);
                        Prunes++;
                        BlobsRemoved += result.BlobsRemoved;
                        return result;
                    });
                }

                Volatile.Write(ref _attemptsEnded, attempt);
            }
        }

        /// <summary>
        /// A prune in its own "process" whose storage dies part-way (puts count its lock, deletes its old indexes
        /// first), leaving its lock behind. An attempt refused by a backup's lock is retried as a fresh process.
        /// </summary>
        private async Task TryKilledPruneAsync(Func<IBackupTarget, FaultInjectingTarget> killer)
        {
            while (true)
            {
                var faulty = killer(target);
                await using var dying = await BackupRepository.OpenAsync(faulty, Credentials);
                try
                {
                    await new MaintenanceService(dying).PruneAsync(RemoveAllUnused);
                    Prunes++; // it needed fewer calls than planned and finished; the next attempt tries again
                    return;
                }
                catch (RepositoryLockedException)
                {
                    await Task.Delay(5);
                    continue;
                }
                catch (BackupTargetException) when (faulty.IsDead)
                {
                    // The dead process's exclusive lock blocks every backup until it expires; play the expiry.
                    await RemoveExclusiveLocksAsync();
                }

                // It died after writing a pack or its new index: killed part-way. Otherwise its only put was the
                // lock and it died removing it (backing off from a backup's lock, or with nothing to prune): that is
                // no kill, and retrying at once could loop forever while the writers wait for this attempt to end,
                // so the attempt ends and a later one, with the writers' newer garbage, tries again.
                if (faulty.CountOf(TargetOperation.Put) >= 2)
                {
                    KilledPrunes++;
                }

                return;
            }
        }

        private async Task RemoveExclusiveLocksAsync()
        {
            await using var repository = await BackupRepository.OpenWithoutIndexAsync(target, Credentials);
            await foreach (var (key, value) in RepositoryLock.ReadLocksAsync(repository.Locks))
            {
                if (value.Exclusive)
                {
                    await target.DeleteAsync(key);
                }
            }
        }

        private static async Task<T> RetryWhileLockedAsync<T>(Func<Task<T>> operation)
        {
            while (true)
            {
                try
                {
                    return await operation();
                }
                catch (RepositoryLockedException)
                {
                    await Task.Delay(5);
                }
            }
        }
    }
}
