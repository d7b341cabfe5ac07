using System.Diagnostics;
using Backup.Core.Crypto;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Core.Sources.FileSystem;
using Backup.Core.Storage;
using Backup.Core;

namespace Backup.Files.Tests;

/// <summary>A directory under the system temp path, removed on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bkfiles-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>Where <paramref name="absolute"/> ends up when a snapshot of it is restored into this directory.</summary>
    public string Restored(string absolute) => System.IO.Path.Combine(Path, absolute.TrimStart('/'));

    public string Sub(string relative) => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        try
        {
            MakeWritable(new DirectoryInfo(Path));
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void MakeWritable(DirectoryInfo directory)
    {
        if (directory.LinkTarget is not null)
        {
            return;
        }

        directory.UnixFileMode |= UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        foreach (var child in directory.EnumerateDirectories("*", new EnumerationOptions { AttributesToSkip = 0 }))
        {
            MakeWritable(child);
        }
    }
}

/// <summary>An in-memory repository opened with a key file, for speed.</summary>
internal sealed class TestRepository : IAsyncDisposable
{
    private TestRepository(BackupRepository repository) => Repository = repository;

    public BackupRepository Repository { get; }

    public static async Task<TestRepository> CreateAsync()
    {
        var credentials = RepositoryCredentials.FromKeyFile(RepositoryCredentials.GenerateKeyFile());
        return new TestRepository(await BackupRepository.InitAsync(new InMemoryTarget(), credentials));
    }

    public Task<BackupResult> BackupAsync(IBackupSource source, BackupLevel level = BackupLevel.Full) =>
        new BackupService(Repository).BackupAsync(source, new BackupOptions { Level = level, Hostname = "test-host", FilesInFlight = 4, EncodeWorkers = 2 });

    public Task<BackupResult> BackupAsync(string path, BackupLevel level = BackupLevel.Full, FileSystemSourceOptions? options = null) =>
        BackupAsync(new FileSystemSource([path], options), level);

    public ValueTask DisposeAsync() => Repository.DisposeAsync();
}

internal static class Shell
{
    public static void Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} failed: {process.StandardError.ReadToEnd()}");
        }
    }
}

internal static class Entries
{
    /// <summary>Reads a tree with <see cref="FileSystemSource"/> and keys the nodes by their path below <paramref name="root"/>.</summary>
    public static async Task<Dictionary<string, TreeNode>> ReadAsync(string root)
    {
        var prefix = root.TrimStart('/').TrimEnd('/');
        var result = new Dictionary<string, TreeNode>(StringComparer.Ordinal);
        var context = new SourceContext();
        await foreach (var entry in new FileSystemSource([root]).ReadEntriesAsync(context))
        {
            if (entry.Path.Length > prefix.Length && entry.Path.StartsWith(prefix + "/", StringComparison.Ordinal))
            {
                result[entry.Path[(prefix.Length + 1)..]] = entry.Metadata;
            }
        }

        context.Problems.Should().BeEmpty();
        return result;
    }
}
