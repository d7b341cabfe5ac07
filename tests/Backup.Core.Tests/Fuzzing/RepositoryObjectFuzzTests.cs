using System.Text;
using Backup.Core.Repository;
using Backup.Core.Repository.Locks;
using Backup.Core.Tests.Support;

namespace Backup.Core.Tests.Fuzzing;

/// <summary>
/// Seeded random mutations of the objects a repository is opened and locked through: the config (plain JSON, read
/// before anything is authenticated), key objects (JSON, read before any key is unwrapped; anyone who can write the
/// storage can add one) and lock objects (JSON inside an envelope; re-encrypted with the repository's key, as a client
/// that holds the password could write them). Every outcome must be correct output or an exception of the
/// repository family, never a crash of the reader's own. Replay a failure from the object, seed and iteration it names.
/// </summary>
public sealed class RepositoryObjectFuzzTests
{
    // A few seconds in the suite; for a longer run set BACKUP_FUZZ_SEEDS and BACKUP_FUZZ_ITERATIONS.
    private static readonly int Seeds = FromEnvironment("BACKUP_FUZZ_SEEDS", 3);
    private static readonly int IterationsPerSeed = FromEnvironment("BACKUP_FUZZ_ITERATIONS", 150);

    [Fact]
    public async Task The_config_reads_or_is_refused_as_a_repository_exception()
    {
        var target = new InMemoryTarget();
        await using (await TestRepository.InitAsync(target, TestRepository.NewKeyFile()))
        {
        }

        var config = await ReadAsync(target, RepositoryLayout.Config);
        await FuzzAsync("config", config, async mutated =>
        {
            await target.PutAsync(RepositoryLayout.Config, mutated);
            try
            {
                var read = await BackupRepository.ReadConfigAsync(target);
                _ = read.Id.Length + read.Compression.Length + read.Chunker.MaxSize + (read.Transforms?.Sum(t => t.Name.Length) ?? 0);
            }
            catch (RepositoryException)
            {
            }
        });
    }

    [Fact]
    public async Task A_key_object_opens_is_skipped_or_is_refused_as_a_repository_exception()
    {
        var target = new InMemoryTarget();
        var credentials = TestRepository.NewKeyFile();
        await using (await TestRepository.InitAsync(target, credentials))
        {
        }

        var keys = await TestRepository.ListAsync(target, RepositoryLayout.KeysPrefix);
        var realKey = keys.Single().Key;
        var key = await ReadAsync(target, realKey);
        var added = RepositoryLayout.KeysPrefix + new string('f', 32);
        await FuzzAsync("key object", key, async mutated =>
        {
            // Alone, the mutated key object must open or be refused; beside the real one, it must not stop the open.
            await target.DeleteAsync(realKey);
            await target.PutAsync(added, mutated);
            try
            {
                await using var alone = await BackupRepository.OpenWithoutIndexAsync(target, credentials);
            }
            catch (RepositoryException)
            {
            }

            await target.PutAsync(realKey, key);
            await using var repository = await BackupRepository.OpenWithoutIndexAsync(target, credentials);
            var listed = await repository.Keys.ListKeysAsync();
            _ = listed.Sum(k => k.Id.Length + (k.Problem?.Length ?? 0) + (k.Label?.Length ?? 0) + k.Algorithm.Length);
            _ = (await repository.Keys.FindUnusableAsync(CancellationToken.None)).Count;
        });
    }

    [Fact]
    public async Task A_lock_object_blocks_is_stale_or_is_ignored_as_unauthenticated()
    {
        var target = new InMemoryTarget();
        await using var repository = await TestRepository.InitAsync(target, TestRepository.NewKeyFile());
        string plain;
        await using (var operation = await repository.BeginOperationAsync(LockKind.Shared, "fuzz"))
        {
            var stored = (await TestRepository.ListAsync(target, RepositoryLayout.LocksPrefix)).Single().Key;
            plain = Encoding.UTF8.GetString(repository.Locks.Chain.Decode(await ReadAsync(target, stored), ObjectId(stored)));
        }

        var key = RepositoryLayout.LocksPrefix + new string('e', 32);
        await FuzzAsync("lock object", Encoding.UTF8.GetBytes(plain), async mutated =>
        {
            await target.PutAsync(key, repository.Locks.Chain.Encode(mutated, ObjectId(key)));
            _ = (await RepositoryLock.ListLocksAsync(repository.Locks)).Sum(l => (l.Hostname?.Length ?? 0) + (l.Purpose?.Length ?? 0) + (l.StaleReason?.Length ?? 0));
            try
            {
                await using var operation = await repository.BeginOperationAsync(LockKind.Exclusive, "fuzz");
            }
            catch (RepositoryLockedException ex)
            {
                _ = ex.Message.Length;
            }

            await target.DeleteAsync(key);
        });
    }

    private static byte[] ObjectId(string key) => Encoding.UTF8.GetBytes("backup-sdk lock v1:" + key);

    private static async Task<byte[]> ReadAsync(InMemoryTarget target, string key)
    {
        var info = await target.StatAsync(key) ?? throw new InvalidOperationException(key);
        var bytes = new byte[info.Length];
        var read = await target.ReadAsync(key, 0, bytes);
        read.Should().Be(bytes.Length);
        return bytes;
    }

    private static async Task FuzzAsync(string what, byte[] valid, Func<byte[], Task> read)
    {
        await read(valid);
        var failures = new List<string>();
        for (var seed = 1; seed <= Seeds; seed++)
        {
            var mutator = new ByteMutator(seed);
            var current = valid;
            for (var iteration = 0; iteration < IterationsPerSeed; iteration++)
            {
                current = mutator.Mutate(iteration % 8 == 0 ? valid : current);
                try
                {
                    await read(current);
                }
                catch (Exception ex)
                {
                    failures.Add($"{what} seed {seed} iteration {iteration}: {ex.GetType().Name}: {ex.Message} (input {Encoding.UTF8.GetString(current)[..Math.Min(current.Length, 400)]})");
                }
            }
        }

        failures.Should().BeEmpty();
    }

    private static int FromEnvironment(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var value) && value > 0 ? value : fallback;
}
