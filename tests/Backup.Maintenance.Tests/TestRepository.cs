using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Backup.Core.Chunking;
using Backup.Core.Crypto;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Core.Storage;
using Backup.Core;
using Backup.Core.Content;

namespace Backup.Maintenance.Tests;

/// <summary>Builds small repositories fast (key-file credentials, 64 KiB chunks, 4 MiB packs) and reads them back.</summary>
internal static class TestRepository
{
    public static readonly RepositoryCredentials Credentials = RepositoryCredentials.FromKeyFile(RepositoryCredentials.GenerateKeyFile());

    public static readonly RepositoryInitOptions Options = new()
    {
        Chunker = new ChunkerOptions { MinSize = 16 * 1024, AverageSize = 64 * 1024, MaxSize = 256 * 1024 },
        PackSize = 4 * 1024 * 1024,
    };

    public static byte[] Random(int seed, int length)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Two snapshots: "first" (docs/a, docs/b, docs/sub/c, big) and "second" (big again, x, docs/a again).</summary>
    public static async Task<(InMemoryTarget Target, Snapshot First, Snapshot Second, Dictionary<string, byte[]> FirstFiles, Dictionary<string, byte[]> SecondFiles)> CreateTwoSnapshotsAsync()
    {
        var target = new InMemoryTarget();
        var first = new Dictionary<string, byte[]>
        {
            ["docs/a.bin"] = Random(1, 600_000),
            ["docs/b.bin"] = Random(2, 1_500_000),
            ["docs/sub/c.bin"] = Random(3, 300_000),
            ["big.bin"] = Random(4, 3_000_000),
        };
        var second = new Dictionary<string, byte[]>
        {
            ["big.bin"] = first["big.bin"],
            ["docs/a.bin"] = first["docs/a.bin"],
            ["x.bin"] = Random(5, 2_000_000),
        };
        await using var repository = await BackupRepository.InitAsync(target, Credentials, Options);
        var s1 = await BackupAsync(repository, first, "first");
        var s2 = await BackupAsync(repository, second, "second");
        return (target, s1, s2, first, second);
    }

    public static async Task<Snapshot> BackupAsync(BackupRepository repository, Dictionary<string, byte[]> files, string tag)
    {
        var result = await new BackupService(repository).BackupAsync(new MemorySource(files), new BackupOptions { Level = BackupLevel.Full, Tags = [tag], EncodeWorkers = 2 });
        result.IsComplete.Should().BeTrue();
        return result.Snapshot;
    }

    /// <summary>Every file of a snapshot, by path, read through <see cref="ContentReader"/>.</summary>
    public static async Task<Dictionary<string, byte[]>> RestoreAsync(BackupRepository repository, Snapshot snapshot)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var reader = new ContentReader(repository.Blobs);
        var pending = new Stack<(BlobId, string)>();
        pending.Push((snapshot.Tree, ""));
        while (pending.Count > 0)
        {
            var (id, prefix) = pending.Pop();
            foreach (var node in (await repository.Snapshots.LoadTreeAsync(id)).Nodes)
            {
                if (node.Subtree is { } subtree)
                {
                    pending.Push((subtree, prefix + node.Name + "/"));
                }
                else if (node.Type == NodeType.File)
                {
                    var output = new MemoryStream();
                    await reader.CopyToAsync(node, output);
                    files[prefix + node.Name] = output.ToArray();
                }
            }
        }

        return files;
    }

    /// <summary>Opens <paramref name="target"/> afresh and restores every snapshot, checking each file exactly against <paramref name="expected"/> (by tag).</summary>
    public static async Task AssertRestoresAsync(IBackupTarget target, IReadOnlyDictionary<string, Dictionary<string, byte[]>> expected)
    {
        await using var repository = await BackupRepository.OpenAsync(target, Credentials);
        await foreach (var snapshot in repository.Snapshots.ListAsync())
        {
            var files = await RestoreAsync(repository, snapshot);
            var want = expected[snapshot.Tags[0]];
            files.Keys.Should().BeEquivalentTo(want.Keys, $"snapshot {snapshot.Tags[0]} holds the same files");
            foreach (var (path, data) in want)
            {
                files[path].AsSpan().SequenceEqual(data).Should().BeTrue($"{path} restores exactly");
            }
        }
    }

    public static async Task<InMemoryTarget> CloneAsync(IBackupTarget source)
    {
        var copy = new InMemoryTarget();
        await foreach (var info in source.ListAsync(""))
        {
            await copy.PutAsync(info.Key, await source.ReadAllAsync(info.Key, Array.MaxLength));
        }

        return copy;
    }

    public static async Task<List<string>> KeysAsync(IBackupTarget target, string prefix = "")
    {
        var keys = new List<string>();
        await foreach (var info in target.ListAsync(prefix))
        {
            keys.Add(info.Key);
        }

        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    public static async Task FlipByteAsync(IBackupTarget target, string key, int offset)
    {
        var bytes = await target.ReadAllAsync(key, Array.MaxLength);
        bytes[offset] ^= 0x5A;
        await target.PutAsync(key, bytes);
    }

    /// <summary>
    /// Flips a byte in the middle of a file chunk (a data blob) and returns its pack's key. The blobs of a pack are in the
    /// order its encoders finished them, so a fixed offset sometimes lands in a tree instead (1 repository in 30 here).
    /// </summary>
    public static async Task<string> FlipByteInADataBlobAsync(IBackupTarget target)
    {
        await using var repository = await BackupRepository.OpenWithoutIndexAsync(target, Credentials);
        foreach (var key in await KeysAsync(target, RepositoryLayout.DataPrefix))
        {
            var entries = await repository.Blobs.ReadPackHeaderAsync((await target.StatAsync(key))!);
            if (entries.Where(e => e.Type == BlobType.Data).OrderBy(e => e.Offset).FirstOrDefault() is { Length: > 0 } chunk)
            {
                await FlipByteAsync(target, key, (int)(chunk.Offset + (chunk.Length / 2)));
                return key;
            }
        }

        throw new InvalidOperationException("The repository has no pack holding a file chunk.");
    }
}

/// <summary>A directory tree held in memory: paths to contents, directories implied.</summary>
internal sealed class MemorySource(Dictionary<string, byte[]> files) : IBackupSource
{
    public string Kind => "memory";

    public IReadOnlyList<string> Paths => ["/memory"];

    public async IAsyncEnumerable<SourceEntry> ReadEntriesAsync(SourceContext context, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask;
        foreach (var entry in Walk(""))
        {
            yield return entry;
        }
    }

    private IEnumerable<SourceEntry> Walk(string directory)
    {
        var prefix = directory.Length == 0 ? "" : directory + "/";
        var children = files.Keys.Where(p => p.StartsWith(prefix, StringComparison.Ordinal)).Select(p => p[prefix.Length..]).ToList();
        foreach (var name in children.Where(c => !c.Contains('/')).Order(StringComparer.Ordinal))
        {
            var data = files[prefix + name];
            yield return new SourceEntry
            {
                Path = prefix + name,
                Metadata = new TreeNode { Name = name, Type = NodeType.File, Size = data.Length },
                OpenContentAsync = _ => ValueTask.FromResult(PipeReader.Create(new MemoryStream(data))),
            };
        }

        foreach (var name in children.Where(c => c.Contains('/')).Select(c => c[..c.IndexOf('/')]).Distinct().Order(StringComparer.Ordinal))
        {
            yield return new SourceEntry { Path = prefix + name, Metadata = new TreeNode { Name = name, Type = NodeType.Directory } };
            foreach (var entry in Walk(prefix + name))
            {
                yield return entry;
            }
        }
    }
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
