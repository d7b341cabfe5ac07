using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;
using Backup.Core.Verification;
using Backup.Core.Repository.Locks;

namespace Backup.Core.Tests;

/// <summary>
/// Hostile storage grows objects (sparse files, so nothing is written to disk) far past what their kind holds: every
/// read refuses them by name and size before allocating them. Allocation is measured process-wide, so the tests run
/// alone.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class OversizedObjectTests : IDisposable
{
    private const long GiB = 1024L * 1024 * 1024;

    // Far below every oversized object below, far above what opening a small repository allocates.
    private const long AllocationBudget = 48L * 1024 * 1024;

    private readonly TempDirectory _directory = new();
    private readonly Crypto.RepositoryCredentials _credentials = TestRepository.NewKeyFile();

    public void Dispose() => _directory.Dispose();

    private LocalDirectoryTarget Target => new(_directory.Path);

    private string PathOf(string key) => Path.Combine(_directory.Path, key.Replace('/', Path.DirectorySeparatorChar));

    private async Task CreateAsync()
    {
        await using var repository = await TestRepository.InitAsync(Target, _credentials);
        await TestRepository.BackupBytesAsync(repository, "data.bin", TestRepository.RandomBytes(256 * 1024, seed: 5));
    }

    /// <summary>Makes (or grows) <paramref name="key"/> a sparse file of <paramref name="length"/> bytes, as `truncate -s` does.</summary>
    private void Grow(string key, long length)
    {
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write);
        file.SetLength(length);
    }

    private async Task<string> SingleKeyAsync(string prefix) => (await TestRepository.ListAsync(Target, prefix)).Should().ContainSingle().Subject.Key;

    private static async Task<T> WithinBudgetAsync<T>(Func<Task<T>> action)
    {
        GC.Collect();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var result = await action();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        allocated.Should().BeLessThan(AllocationBudget, "an oversized object is refused before it is read");
        return result;
    }

    private static async Task<Exception> FailsWithinBudgetAsync(Func<Task> action) =>
        await WithinBudgetAsync(async () =>
        {
            try
            {
                await action();
            }
            catch (Exception ex)
            {
                return ex;
            }

            throw new InvalidOperationException("The action did not fail.");
        });

    public static TheoryData<long> Sizes => new() { 256L * 1024 * 1024, 8 * GiB };

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task An_oversized_config_is_refused_by_name_and_size(long size)
    {
        await CreateAsync();
        Grow(RepositoryLayout.Config, size);

        var error = await FailsWithinBudgetAsync(() => BackupRepository.OpenAsync(Target, _credentials));

        var tooLarge = error.Should().BeOfType<BackupObjectTooLargeException>().Subject;
        tooLarge.Key.Should().Be(RepositoryLayout.Config);
        tooLarge.Length.Should().Be(size);
        tooLarge.Message.Should().Contain("'config'").And.Contain($"{size:N0}").And.Contain($"{ObjectSizeLimits.Config:N0}");
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task An_oversized_key_object_is_skipped_and_the_repository_still_opens(long size)
    {
        await CreateAsync();
        Grow(RepositoryLayout.KeysPrefix + "0000000000000000000000000000000a", size);

        await using var repository = await WithinBudgetAsync(() => BackupRepository.OpenAsync(Target, _credentials));

        repository.SkippedKeys.Should().ContainSingle(k => k.Id == "0000000000000000000000000000000a")
            .Which.Problem.Should().Contain($"{size:N0}").And.Contain($"{ObjectSizeLimits.Key:N0}");
        var listing = await WithinBudgetAsync(() => repository.Keys.ListKeysAsync());
        listing.Should().ContainSingle(k => k.Id == "0000000000000000000000000000000a").Which.Problem.Should().NotBeNull("key list shows it as invalid");
        var check = await WithinBudgetAsync(() => new VerificationService(repository).CheckAsync(new CheckOptions()));
        check.Problems.Should().Contain(p => p.Kind == CheckProblemKind.KeyDamaged && p.Message.Contains($"{ObjectSizeLimits.Key:N0}"));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task An_oversized_lock_object_is_not_read(long size)
    {
        await CreateAsync();
        Grow(RepositoryLayout.LocksPrefix + "0000000000000000000000000000000a", size);
        await using var repository = await BackupRepository.OpenAsync(Target, _credentials);
        var reported = new List<string>();
        repository.Locking.UnauthenticatedLockFound = reported.Add;

        var locks = await WithinBudgetAsync(async () =>
        {
            var found = new List<string>();
            await foreach (var (key, _) in RepositoryLock.ReadLocksAsync(repository.Locks))
            {
                found.Add(key);
            }

            return found;
        });

        locks.Should().BeEmpty("an oversized lock is unreadable, like a damaged one");
        reported.Should().ContainSingle("an unreadable lock object is reported, never silently ignored");
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task An_oversized_snapshot_is_refused_by_name_and_size(long size)
    {
        await CreateAsync();
        var key = await SingleKeyAsync(RepositoryLayout.SnapshotsPrefix);
        Grow(key, size);
        await using var repository = await BackupRepository.OpenAsync(Target, _credentials);

        var error = await FailsWithinBudgetAsync(async () =>
        {
            await foreach (var _ in repository.Snapshots.ListAsync())
            {
            }
        });

        error.Should().BeOfType<RepositoryCorruptException>().Which.Message.Should()
            .Contain(key).And.Contain($"{size:N0}").And.Contain($"{ObjectSizeLimits.Snapshot:N0}");
    }

    public static TheoryData<long> IndexSizes => new() { ObjectSizeLimits.Index + (64L * 1024 * 1024), 8 * GiB };

    [Theory]
    [MemberData(nameof(IndexSizes))]
    public async Task An_oversized_index_is_refused_on_open_and_reported_by_check(long size)
    {
        await CreateAsync();
        var key = await SingleKeyAsync(RepositoryLayout.IndexPrefix);
        var pristine = await File.ReadAllBytesAsync(PathOf(key));
        Grow(key, size);

        var error = await FailsWithinBudgetAsync(() => BackupRepository.OpenAsync(Target, _credentials));
        error.Should().BeOfType<RepositoryCorruptException>().Which.Message.Should()
            .Contain(key).And.Contain($"{size:N0}").And.Contain($"{ObjectSizeLimits.Index:N0}");

        // Check opens the repository without the index (put back), then reads the grown one on its own.
        await File.WriteAllBytesAsync(PathOf(key), pristine);
        await using var repository = await BackupRepository.OpenAsync(Target, _credentials);
        Grow(key, size);
        var check = await WithinBudgetAsync(() => new VerificationService(repository).CheckAsync(new CheckOptions()));
        check.Problems.Should().Contain(p => p.Object.Contains(key) && p.Message.Contains($"{ObjectSizeLimits.Index:N0}"));
    }

    [Theory]
    [MemberData(nameof(PackSizes))]
    public async Task An_oversized_pack_is_refused_by_check_with_read_data(long size)
    {
        await CreateAsync();
        var key = await SingleKeyAsync(RepositoryLayout.DataPrefix);
        await using var repository = await BackupRepository.OpenAsync(Target, _credentials);
        Grow(key, size);

        var check = await WithinBudgetAsync(() => new VerificationService(repository).CheckAsync(new CheckOptions { ReadData = true }));

        check.Problems.Should().Contain(p => p.Kind == CheckProblemKind.PackDamaged && p.Object == key && p.Message.Contains($"{size:N0}") && p.Message.Contains($"{ObjectSizeLimits.Pack:N0}"));
        var header = await FailsWithinBudgetAsync(() => repository.Blobs.ReadPackHeaderAsync(new BackupObjectInfo { Key = key, Length = size, LastModified = DateTime.UtcNow }));
        header.Should().BeOfType<InvalidDataException>().Which.Message.Should().Contain(key).And.Contain($"{size:N0}");
    }

    public static TheoryData<long> PackSizes => new() { ObjectSizeLimits.Pack + (64L * 1024 * 1024), 8 * GiB };

    [Fact]
    public async Task A_target_that_under_reports_a_size_still_cannot_make_a_read_exceed_the_limit()
    {
        await CreateAsync();
        var key = await SingleKeyAsync(RepositoryLayout.SnapshotsPrefix);
        Grow(key, 256L * 1024 * 1024);
        IBackupTarget lying = new UnderReportingTarget(Target);

        // The bounded read trusts no reported size: it reads no more than the limit, and refuses an object that
        // holds more than storage says.
        var lied = await FailsWithinBudgetAsync(() => lying.ReadAllAsync(key, ObjectSizeLimits.Snapshot));
        lied.Should().BeAssignableTo<BackupTargetException>();

        // The local target reads the open file's own size, not a listing's.
        var error = await FailsWithinBudgetAsync(() => Target.ReadAllAsync(key, ObjectSizeLimits.Snapshot));
        error.Should().BeOfType<BackupObjectTooLargeException>();
    }

    /// <summary>Storage that lists and stats every object as one byte long, whatever it holds.</summary>
    private sealed class UnderReportingTarget(IBackupTarget inner) : IBackupTarget
    {
        public string Description => inner.Description;

        public Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) => inner.PutAsync(key, content, cancellationToken);

        public ValueTask<int> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default) => inner.ReadAsync(key, offset, destination, cancellationToken);

        public async IAsyncEnumerable<BackupObjectInfo> ListAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await foreach (var info in inner.ListAsync(prefix, cancellationToken))
            {
                yield return info with { Length = 1 };
            }
        }

        public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);

        public async Task<BackupObjectInfo?> StatAsync(string key, CancellationToken cancellationToken = default) =>
            await inner.StatAsync(key, cancellationToken) is { } info ? info with { Length = 1 } : null;
    }
}
