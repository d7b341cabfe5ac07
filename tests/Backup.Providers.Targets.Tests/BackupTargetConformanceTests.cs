using Backup.Tests.Support;
using System.Security.Cryptography;
using Backup.Core.Crypto;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Sources;
using Backup.Core.Storage;
using Backup.Core;
using Backup.Core.Content;

namespace Backup.Providers.Targets.Tests;

/// <summary>
/// What every <see cref="IBackupTarget"/> must do. Each subclass supplies a fresh, empty target per test (a new
/// directory, prefix or root on a shared server) and says which guarantees its backend can really give.
/// </summary>
public abstract class BackupTargetConformanceTests
{
    /// <summary>Objects in the listing test: above S3's and Azure's 1,000/5,000-per-page limits where it matters.</summary>
    protected virtual int ListingObjectCount => 2_100;

    /// <summary>Why atomic puts cannot be checked on this backend (an emulator that writes in place), or null.</summary>
    protected virtual string? NotAtomicReason => null;

    /// <summary>A new empty target; skips the test when its server is unavailable.</summary>
    protected abstract Task<IBackupTarget> CreateTargetAsync();

    [SkippableFact]
    public async Task Put_then_get_returns_the_same_bytes_and_stat_reports_the_size()
    {
        var target = await CreateTargetAsync();
        var data = Random(100_000, 1);
        await target.PutAsync("data/ab/object", data);
        (await target.ReadAllAsync("data/ab/object", Array.MaxLength)).Should().Equal(data);
        var info = await target.StatAsync("data/ab/object");
        info.Should().NotBeNull();
        info!.Key.Should().Be("data/ab/object");
        info.Length.Should().Be(data.Length);
        info.LastModified.Should().BeAfter(DateTimeOffset.UtcNow.AddHours(-1)).And.BeBefore(DateTimeOffset.UtcNow.AddHours(1));
        (await target.StatAsync("data/ab/missing")).Should().BeNull();
    }

    [SkippableFact]
    public async Task Empty_objects_and_overwrites_work()
    {
        var target = await CreateTargetAsync();
        await target.PutAsync("locks/empty", ReadOnlyMemory<byte>.Empty);
        (await target.ReadAllAsync("locks/empty", Array.MaxLength)).Should().BeEmpty();
        (await target.StatAsync("locks/empty"))!.Length.Should().Be(0);
        await target.PutAsync("config", Random(10, 2));
        await target.PutAsync("config", Random(20, 3));
        (await target.ReadAllAsync("config", Array.MaxLength)).Should().Equal(Random(20, 3));
    }

    [SkippableFact]
    public async Task Ranges_at_the_start_middle_and_end_read_exactly_and_out_of_range_throws()
    {
        var target = await CreateTargetAsync();
        var data = Random(1_000_000, 4);
        await target.PutAsync("data/cd/pack", data);
        (await target.ReadRangeArrayAsync("data/cd/pack", 0, 100)).Should().Equal(data[..100]);
        (await target.ReadRangeArrayAsync("data/cd/pack", 500_000, 65_536)).Should().Equal(data[500_000..565_536]);
        (await target.ReadRangeArrayAsync("data/cd/pack", data.Length - 37, 37)).Should().Equal(data[^37..]);
        (await target.ReadRangeArrayAsync("data/cd/pack", 0, data.Length)).Should().Equal(data);

        await FluentActions.Awaiting(() => target.ReadRangeArrayAsync("data/cd/pack", data.Length - 10, 11)).Should().ThrowAsync<BackupTargetException>();
        await FluentActions.Awaiting(() => target.ReadRangeArrayAsync("data/cd/pack", data.Length + 5, 10)).Should().ThrowAsync<BackupTargetException>();
        await FluentActions.Awaiting(() => target.ReadRangeArrayAsync("data/cd/missing", 0, 10)).Should().ThrowAsync<BackupObjectNotFoundException>();

        // The same through a read into the caller's buffer (what restore uses, with pooled buffers).
        var into = new byte[65_536];
        await target.ReadExactlyAsync("data/cd/pack", 500_000, into);
        into.Should().Equal(data[500_000..565_536]);
        await FluentActions.Awaiting(() => target.ReadExactlyAsync("data/cd/pack", data.Length - 10, new byte[11])).Should().ThrowAsync<BackupTargetException>();
        await FluentActions.Awaiting(() => target.ReadExactlyAsync("data/cd/missing", 0, new byte[10])).Should().ThrowAsync<BackupObjectNotFoundException>();
    }

    [SkippableFact]
    public async Task Reads_keep_the_contract_at_every_edge_of_an_object() => await ReadContract.CheckAsync(await CreateTargetAsync());

    [SkippableFact]
    public async Task Missing_objects_map_to_BackupObjectNotFoundException()
    {
        var target = await CreateTargetAsync();
        var ex = await FluentActions.Awaiting(() => target.ReadAllAsync("snapshots/nope", Array.MaxLength)).Should().ThrowAsync<BackupObjectNotFoundException>();
        ex.Which.Key.Should().Be("snapshots/nope");
        ex.Which.IsTransient.Should().BeFalse();
        RetryingTarget.IsTransient(ex.Which).Should().BeFalse();
    }

    [SkippableFact]
    public async Task Delete_removes_and_is_idempotent()
    {
        var target = await CreateTargetAsync();
        await target.PutAsync("index/one", Random(10, 5));
        await target.DeleteAsync("index/one");
        await target.DeleteAsync("index/one");
        await target.DeleteAsync("index/never-existed");
        await target.DeleteAsync("nowhere/at/all");
        (await target.StatAsync("index/one")).Should().BeNull();
        await FluentActions.Awaiting(() => target.ReadAllAsync("index/one", Array.MaxLength)).Should().ThrowAsync<BackupObjectNotFoundException>();
        (await ToListAsync(target.ListAsync("index/"))).Should().BeEmpty();
    }

    [SkippableFact]
    public async Task Listing_finds_thousands_of_objects_by_prefix()
    {
        var target = await CreateTargetAsync();
        var count = ListingObjectCount;
        var keys = Enumerable.Range(0, count).Select(i => $"data/{i % 16:x2}/{i:x8}").ToList();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (key, ct) => await target.PutAsync(key, new byte[] { 1, 2, 3 }, ct));
        await target.PutAsync("snapshots/s1", Random(7, 6));
        await target.PutAsync("dataset", Random(7, 6)); // shares the letters of "data" but not the folder

        var all = await ToListAsync(target.ListAsync("data/"));
        all.Select(o => o.Key).Order(StringComparer.Ordinal).Should().Equal(keys.Order(StringComparer.Ordinal)); // Equal, not BeEquivalentTo: O(n) on thousands
        all.All(o => o.Length == 3).Should().BeTrue();
        (await ToListAsync(target.ListAsync("data/0a/"))).Select(o => o.Key).Order(StringComparer.Ordinal).Should().Equal(keys.Where(k => k.StartsWith("data/0a/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        (await ToListAsync(target.ListAsync("snapshots/"))).Select(o => o.Key).Should().Equal("snapshots/s1");
        (await ToListAsync(target.ListAsync(""))).Should().HaveCount(count + 2);
        (await ToListAsync(target.ListAsync("data"))).Should().HaveCount(count + 1);
        (await ToListAsync(target.ListAsync("keys/"))).Should().BeEmpty();
    }

    [SkippableFact]
    public async Task Large_objects_round_trip()
    {
        var target = await CreateTargetAsync();
        var data = Random(40 * 1024 * 1024, 7);
        await target.PutAsync("data/ef/large", data);
        (await target.StatAsync("data/ef/large"))!.Length.Should().Be(data.Length);
        SHA256.HashData(await target.ReadAllAsync("data/ef/large", Array.MaxLength)).Should().Equal(SHA256.HashData(data));
        (await target.ReadRangeArrayAsync("data/ef/large", 20 * 1024 * 1024 - 3, 1024)).Should().Equal(data.AsSpan(20 * 1024 * 1024 - 3, 1024).ToArray());
    }

    [SkippableFact]
    public async Task A_reader_polling_during_a_large_put_sees_nothing_or_everything()
    {
        Skip.If(NotAtomicReason is not null, NotAtomicReason);
        var target = await CreateTargetAsync();
        var data = Random(24 * 1024 * 1024, 8);
        var put = target.PutAsync("data/aa/atomic", data);
        var observations = 0;
        while (!put.IsCompleted)
        {
            var info = await target.StatAsync("data/aa/atomic");
            if (info is not null)
            {
                info.Length.Should().Be(data.Length, "a partially written object must never be visible");
                observations++;
            }

            await Task.Delay(5);
        }

        await put;
        (await target.StatAsync("data/aa/atomic"))!.Length.Should().Be(data.Length);
        SHA256.HashData(await target.ReadAllAsync("data/aa/atomic", Array.MaxLength)).Should().Equal(SHA256.HashData(data));
        _ = observations;
    }

    [SkippableFact]
    public async Task Concurrent_writers_of_different_keys_and_of_the_same_key_never_mix()
    {
        Skip.If(NotAtomicReason is not null, NotAtomicReason);
        var target = await CreateTargetAsync();
        var payloads = Enumerable.Range(0, 8).Select(i => Filled(2 * 1024 * 1024 + i, (byte)(i + 1))).ToList();
        await Task.WhenAll(payloads.Select((p, i) => target.PutAsync($"data/bb/own-{i}", p)));
        for (var i = 0; i < payloads.Count; i++)
        {
            (await target.ReadAllAsync($"data/bb/own-{i}", Array.MaxLength)).Should().Equal(payloads[i]);
        }

        await Task.WhenAll(payloads.Select(p => Task.Run(() => target.PutAsync("data/bb/shared", p))));
        var winner = await target.ReadAllAsync("data/bb/shared", Array.MaxLength);
        payloads.Should().Contain(p => p.Length == winner.Length && p[0] == winner[0], "the result is one writer's whole object");
        winner.Should().Equal(payloads.Single(p => p.Length == winner.Length));
        (await ToListAsync(target.ListAsync("data/bb/"))).Should().HaveCount(payloads.Count + 1, "no temporary objects may show up in listings");
    }

    [SkippableFact]
    public async Task Invalid_keys_are_rejected_before_reaching_the_storage()
    {
        var target = await CreateTargetAsync();
        foreach (var key in new[] { "/abs", "a//b", "../escape", "a/../b", "a/./b", "back\\slash", "" })
        {
            await FluentActions.Awaiting(() => target.PutAsync(key, new byte[] { 1 })).Should().ThrowAsync<ArgumentException>($"'{key}' is invalid");
            await FluentActions.Awaiting(() => target.ReadAllAsync(key, Array.MaxLength)).Should().ThrowAsync<ArgumentException>();
        }

        await FluentActions.Awaiting(() => ToListAsync(target.ListAsync("../"))).Should().ThrowAsync<ArgumentException>();
    }

    [SkippableFact]
    public async Task A_repository_backs_up_a_stream_and_reads_it_back_after_reopening()
    {
        var target = await CreateTargetAsync();
        using var credentials = RepositoryCredentials.FromPassword("conformance");
        var data = new byte[6_000_000];
        new Random(9).NextBytes(data.AsSpan(0, 4_000_000));
        var options = new RepositoryInitOptions { PackSize = 4 * 1024 * 1024 };
        await using (var repository = await BackupRepository.InitAsync(target, credentials, options))
        {
            var result = await new BackupService(repository).BackupAsync(StreamSource.FromStream("data.bin", new MemoryStream(data)));
            result.IsComplete.Should().BeTrue();
        }

        await using var reopened = await BackupRepository.OpenAsync(target, credentials);
        var snapshots = new List<Backup.Core.Snapshots.Snapshot>();
        await foreach (var snapshot in reopened.Snapshots.ListAsync())
        {
            snapshots.Add(snapshot);
        }

        snapshots.Should().ContainSingle();
        var tree = await reopened.Snapshots.LoadTreeAsync(snapshots[0].Tree);
        var output = new MemoryStream();
        await reopened.Content.CopyToAsync(tree.Nodes.Single(), output);
        output.ToArray().Should().Equal(data);
    }

    protected static byte[] Random(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static byte[] Filled(int length, byte value)
    {
        var data = new byte[length];
        data.AsSpan().Fill(value);
        return data;
    }

    protected static async Task<List<BackupObjectInfo>> ToListAsync(IAsyncEnumerable<BackupObjectInfo> source)
    {
        var list = new List<BackupObjectInfo>();
        await foreach (var item in source)
        {
            list.Add(item);
        }

        return list;
    }
}
