// Measures prune on a generated repository of N tiny chunks (default 1,000,000): how long each step takes and how
// much memory prune's own structures and the whole process use, next to the index's size.
// Run: dotnet run -c Release --project benchmarks/PruneMeasure [-- chunks]
// Generation runs in this process; the prune is measured in a fresh child process, so the peak working set and
// heap figures are prune's own and not left over from generating.
using System.Diagnostics;
using System.Globalization;
using Backup.Core.Crypto;
using Backup.Core.Maintenance;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Storage;
using Backup.Core;
using Backup.Core.Repository.Blobs;

if (args is ["--measure", var repositoryDirectory, var keyFileHex])
{
    await MeasureAsync(new LocalDirectoryTarget(repositoryDirectory), RepositoryCredentials.FromKeyFile(Convert.FromHexString(keyFileHex)));
    return;
}

var chunks = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
const int ChunksPerFile = 1000;
const int FilesPerDirectory = 10;
var root = Directory.CreateTempSubdirectory("prune-measure-").FullName;
try
{
    var keyFile = RepositoryCredentials.GenerateKeyFile();
    var credentials = RepositoryCredentials.FromKeyFile(keyFile);
    var target = new LocalDirectoryTarget(root);
    var clock = Stopwatch.StartNew();
    BlobId keptTree, droppedTree;
    await using (var repository = await BackupRepository.InitAsync(target, credentials, new RepositoryInitOptions { Compression = "none" }))
    {
        await using var writer = repository.CreateWriter();
        // Two halves: files of the first half go into the snapshot that is kept, the second half into one that is forgotten.
        var directories = new List<TreeNode>[2] { [], [] };
        var files = new List<TreeNode>();
        var content = new List<BlobId>(ChunksPerFile);
        var blob = new byte[24];
        for (var i = 0; i < chunks; i++)
        {
            BitConverter.TryWriteBytes(blob, (long)i);
            BitConverter.TryWriteBytes(blob.AsSpan(8), 0x5EED_5EEDL * i);
            content.Add(await writer.AddBlobAsync(blob, BlobType.Data));
            if (content.Count == ChunksPerFile || i == chunks - 1)
            {
                files.Add(new TreeNode { Name = $"f{i:D8}", Type = NodeType.File, Size = content.Count * blob.Length, Content = [.. content] });
                content.Clear();
            }

            if (files.Count == FilesPerDirectory || (i == chunks - 1 && files.Count > 0))
            {
                var half = i < chunks / 2 ? 0 : 1;
                var id = await writer.AddBlobAsync(TreeCodec.Serialize(new Tree([.. files])), BlobType.Tree);
                directories[half].Add(new TreeNode { Name = $"d{i:D8}", Type = NodeType.Directory, Subtree = id });
                files.Clear();
            }
        }

        keptTree = await writer.AddBlobAsync(TreeCodec.Serialize(new Tree(directories[0])), BlobType.Tree);
        droppedTree = await writer.AddBlobAsync(TreeCodec.Serialize(new Tree(directories[1])), BlobType.Tree);
        await writer.CompleteAsync();
        await repository.Snapshots.SaveAsync(new Snapshot { Hostname = "measure", SourceKind = "generated", Tree = keptTree, Time = DateTimeOffset.Now });
        var dropped = await repository.Snapshots.SaveAsync(new Snapshot { Hostname = "measure", SourceKind = "generated", Tree = droppedTree, Time = DateTimeOffset.Now });
        await repository.Snapshots.DeleteAsync(dropped.Id);
        Console.WriteLine($"generated {chunks:N0} chunks in {writer.PacksWritten} packs ({writer.BytesStored / 1e6:F1} MB) in {clock.Elapsed.TotalSeconds:F1} s");
    }

    using var child = Process.Start(new ProcessStartInfo(Environment.ProcessPath!) { ArgumentList = { Environment.GetCommandLineArgs()[0], "--measure", root, Convert.ToHexString(keyFile) } })!;
    await child.WaitForExitAsync();
}
finally
{
    Directory.Delete(root, recursive: true);
}

static async Task MeasureAsync(LocalDirectoryTarget target, RepositoryCredentials credentials)
{
    long indexBytes = 0;
    await foreach (var info in target.ListAsync(RepositoryLayout.IndexPrefix))
    {
        indexBytes += info.Length;
    }

    GC.Collect();
    var baseline = GC.GetTotalMemory(true);
    var process = Process.GetCurrentProcess();
    var clock = Stopwatch.StartNew();
    await using (var repository = await BackupRepository.OpenAsync(target, credentials))
    {
        var opened = clock.Elapsed;
        var chunkIndex = repository.Blobs.Index.MemoryBytes;
        var chunks = repository.Blobs.Index.Count;
        var dryRun = await new MaintenanceService(repository).PruneAsync(new PruneOptions { DryRun = true });

        // The managed heap's peak while prune runs (sampled), next to what prune reports holding.
        GC.Collect();
        var beforePrune = GC.GetTotalMemory(true);
        long peakHeap = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false));
                await Task.Delay(20);
            }
        });
        var result = await new MaintenanceService(repository).PruneAsync(new PruneOptions());
        await sampling.CancelAsync();
        await sampler;
        process.Refresh();
        Console.WriteLine($"open (load index): {opened.TotalSeconds:F2} s; repository's ChunkIndex: {chunkIndex / 1e6:F1} MB for {chunks:N0} blobs = {(double)chunkIndex / chunks:F1} B a blob; index objects on storage: {indexBytes / 1e6:F1} MB");
        Console.WriteLine($"prune dry run: {dryRun.Duration.TotalSeconds:F2} s; prune: {result.Duration.TotalSeconds:F2} s");
        Console.WriteLine($"prune structures (catalog of every listed copy + mark bitmap; the repository's own index is dropped while prune runs): {result.MemoryBytes / 1e6:F1} MB = {(double)result.MemoryBytes / chunks:F1} B a blob");
        Console.WriteLine($"managed heap: {beforePrune / 1e6:F0} MB before prune (the repository's index loaded), peak {peakHeap / 1e6:F0} MB while pruning (sampled every 20 ms) = {(double)peakHeap / chunks:F1} B a blob, all live and not yet collected");
        Console.WriteLine($"process: peak working set {process.PeakWorkingSet64 / 1e6:F0} MB (open, dry run and prune); managed heap before open {baseline / 1e6:F0} MB, after prune {GC.GetTotalMemory(false) / 1e6:F0} MB");
        Console.WriteLine($"blobs removed {result.BlobsRemoved:N0}, kept {result.BlobsKept:N0}; packs {result.PacksBefore} -> removed {result.PacksRemoved}, rewritten {result.PacksRewritten}, written {result.PacksWritten}; bytes {result.BytesBefore / 1e6:F1} MB -> {result.BytesAfter / 1e6:F1} MB");
    }
}
