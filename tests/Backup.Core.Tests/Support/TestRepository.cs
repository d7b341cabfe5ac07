using System.Security.Cryptography;
using Backup.Core.Chunking;
using Backup.Core.Crypto;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Core.Storage;
using Backup.Core.Content;

namespace Backup.Core.Tests.Support;

/// <summary>Shared helpers: key-file credentials (fast), small chunkers, backup and restore of byte arrays.</summary>
internal static class TestRepository
{
    /// <summary>Small chunks keep the data sizes of dedup tests small: 16 KiB / 64 KiB / 256 KiB.</summary>
    public static readonly ChunkerOptions SmallChunker = new() { MinSize = 16 * 1024, AverageSize = 64 * 1024, MaxSize = 256 * 1024 };

    public static RepositoryInitOptions SmallOptions(string compression = "zstd:3", int packSize = 4 * 1024 * 1024) =>
        new() { Chunker = SmallChunker, Compression = compression, PackSize = packSize };

    /// <summary>Key-file credentials: HKDF instead of 600,000 PBKDF2 iterations, so tests stay fast.</summary>
    public static RepositoryCredentials NewKeyFile() => RepositoryCredentials.FromKeyFile(RepositoryCredentials.GenerateKeyFile());

    public static Task<BackupRepository> InitAsync(IBackupTarget target, RepositoryCredentials credentials, RepositoryInitOptions? options = null) =>
        BackupRepository.InitAsync(target, credentials, options ?? SmallOptions());

    public static byte[] RandomBytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    public static async Task<BackupResult> BackupBytesAsync(BackupRepository repository, string name, byte[] data, BackupOptions? options = null)
    {
        var result = await new BackupService(repository).BackupAsync(StreamSource.FromStream(name, new MemoryStream(data, writable: false)), options ?? new BackupOptions { Level = BackupLevel.Full });
        result.IsComplete.Should().BeTrue();
        return result;
    }

    /// <summary>Restores the single stream of <paramref name="snapshot"/>.</summary>
    public static async Task<byte[]> RestoreAsync(BackupRepository repository, Snapshot snapshot)
    {
        var tree = await repository.Snapshots.LoadTreeAsync(snapshot.Tree);
        tree.Nodes.Should().ContainSingle();
        var output = new MemoryStream();
        await new ContentReader(repository.Blobs).CopyToAsync(tree.Nodes[0], output);
        return output.ToArray();
    }

    /// <summary>Reads back every snapshot's every file, as a 'check --read-data' would; returns the restored contents by snapshot.</summary>
    public static async Task<Dictionary<BlobId, byte[]>> ReadAllSnapshotsAsync(BackupRepository repository)
    {
        var restored = new Dictionary<BlobId, byte[]>();
        await foreach (var snapshot in repository.Snapshots.ListAsync())
        {
            restored[snapshot.Id] = await RestoreAsync(repository, snapshot);
        }

        return restored;
    }

    public static async Task<List<BackupObjectInfo>> ListAsync(IBackupTarget target, string prefix)
    {
        var list = new List<BackupObjectInfo>();
        await foreach (var info in target.ListAsync(prefix))
        {
            list.Add(info);
        }

        return list;
    }

    public static string Sha256Hex(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));
}

internal static class ByteAssertions
{
    /// <summary>Fast exact comparison for large buffers (FluentAssertions compares element by element, slowly).</summary>
    public static void ShouldEqualBytes(this byte[] actual, byte[] expected, string because = "")
    {
        actual.Length.Should().Be(expected.Length, because);
        var first = actual.AsSpan().CommonPrefixLength(expected);
        first.Should().Be(expected.Length, "the contents must match at every byte {0}", because);
    }
}
