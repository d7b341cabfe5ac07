using System.Diagnostics;
using System.Globalization;
using Backup.Core;
using Backup.Core.Crypto;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Restore;
using Backup.Core.Sources.FileSystem;
using Backup.Core.Storage;
using Backup.Testing;

namespace Backup.Benchmarks;

/// <summary>
/// <c>remote-restore [FILES] [LATENCY_MS] [ROUNDS]</c>: backs up FILES generated small files (4,000 by default, 1–30 KB,
/// in directories of 40) to a local directory, then restores the snapshot ROUNDS times (3) each way and prints the
/// median time and the reads made: from the local directory (read per file); through a <see cref="LatencyTarget"/>
/// adding nothing (the same directory read per pack); through a <see cref="LatencyTarget"/> adding LATENCY_MS
/// (20) to every request, which stands for a remote store (the restore plans its reads per pack); and through a
/// decorator adding the same latency that keeps the local directory's staging, so the restore reads per file as it
/// did before per-pack reads (the "before" figure). Repository and restores live in /dev/shm when it exists.
/// </summary>
internal static class RemoteRestoreTool
{
    public static async Task<int> RunAsync(string[] args)
    {
        var files = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 4000;
        var latency = TimeSpan.FromMilliseconds(args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 20);
        var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        // In memory when there is a RAM-backed file system: a restore's time on disk swings with the writeback.
        var work = Directory.Exists("/dev/shm") ? new DirectoryInfo("/dev/shm").CreateSubdirectory($"remote-restore-bench-{Environment.ProcessId}") : Directory.CreateTempSubdirectory("remote-restore-bench-");
        try
        {
            var corpus = Path.Combine(work.FullName, "corpus");
            var random = new Random(21);
            for (var i = 0; i < files; i++)
            {
                var directory = Path.Combine(corpus, $"d{i / 40:D4}");
                Directory.CreateDirectory(directory);
                var content = new byte[random.Next(1_000, 30_000)];
                random.NextBytes(content.AsSpan(0, content.Length / 2)); // half random, half zeros: compressible
                await File.WriteAllBytesAsync(Path.Combine(directory, $"f{i}"), content);
            }

            var repositoryPath = Path.Combine(work.FullName, "repo");
            var credentials = RepositoryCredentials.FromKeyFile(RepositoryCredentials.GenerateKeyFile());
            Backup.Core.Snapshots.Snapshot snapshot;
            await using (var repository = await BackupRepository.InitAsync(new LocalDirectoryTarget(repositoryPath), credentials))
            {
                snapshot = (await new BackupService(repository).BackupAsync(new FileSystemSource([corpus]), new BackupOptions { Hostname = "bench" })).Snapshot;
            }

            Console.WriteLine($"{files} files, {Directory.GetFiles(Path.Combine(repositoryPath, "data"), "*", SearchOption.AllDirectories).Length} packs; median of {rounds}; latency {latency.TotalMilliseconds:0} ms a request");
            var variants = new (string Name, Func<IBackupTarget> Make)[]
            {
                ("local directory", () => new LocalDirectoryTarget(repositoryPath)),
                ("local directory, per pack (+0 ms)", () => new LatencyTarget(new LocalDirectoryTarget(repositoryPath), TimeSpan.Zero, ownsInner: true)),
                ($"+{latency.TotalMilliseconds:0} ms, per pack (remote path)", () => new LatencyTarget(new LocalDirectoryTarget(repositoryPath), latency, ownsInner: true)),
                ($"+{latency.TotalMilliseconds:0} ms, per file (as before)", () => new DelayedLocalTarget(new LocalDirectoryTarget(repositoryPath), latency)),
            };
            var times = variants.Select(_ => new List<double>()).ToArray();
            var reads = new long[variants.Length];

            // Rounds interleave the variants, so a change in the machine's load touches them alike.
            for (var round = 0; round < rounds; round++)
            {
                for (var v = 0; v < variants.Length; v++)
                {
                    var counting = new CountingTarget(variants[v].Make(), ownsInner: true);
                    await using var repository = await BackupRepository.OpenAsync(counting, credentials);
                    var output = Path.Combine(work.FullName, "out");
                    if (Directory.Exists(output))
                    {
                        Directory.Delete(output, recursive: true);
                    }

                    var before = counting.Gets;
                    var watch = Stopwatch.StartNew();
                    var result = await new RestoreService(repository).RestoreAsync(snapshot, output);
                    times[v].Add(watch.Elapsed.TotalSeconds);
                    reads[v] = counting.Gets - before;
                    if (result.Problems.Count > 0 || result.Files != files)
                    {
                        Console.WriteLine($"{variants[v].Name}: restored {result.Files} of {files} files, {result.Problems.Count} problems");
                        return 1;
                    }
                }
            }

            Console.WriteLine($"{"restore from",-44} {"seconds",8} {"reads",7}");
            for (var v = 0; v < variants.Length; v++)
            {
                times[v].Sort();
                Console.WriteLine($"{variants[v].Name,-44} {times[v][times[v].Count / 2],8:0.000} {reads[v],7}");
            }

            return 0;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>Adds latency to reads but keeps the local directory's staging: the restore takes it for local and reads per file.</summary>
    private sealed class DelayedLocalTarget(IBackupTarget inner, TimeSpan latency) : DelegatingTarget(inner, ownsInner: true)
    {
        public override async ValueTask<int> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
        {
            await Task.Delay(latency, cancellationToken).ConfigureAwait(false);
            return await Inner.ReadAsync(key, offset, destination, cancellationToken).ConfigureAwait(false);
        }
    }
}
