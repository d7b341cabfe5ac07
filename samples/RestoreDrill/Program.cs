// RestoreDrill: takes a backup of a generated export through the hosting package (IBackupJobRunner, no
// scheduler), then proves it restores: reads the snapshot back with ContentReader, compares SHA-256 hashes with
// the original and the restore time with the job's RTO. The drill is the job's verification step, so its outcome
// feeds the health check and the backup.restore.rto metric. Runs with `dotnet run --project samples/RestoreDrill`
// and always exits on its own (`--once` is accepted for symmetry with the other samples); exit code 0 = drill passed.
using System.Diagnostics;
using System.Security.Cryptography;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Backup.Core;
using Backup.Core.Content;

var work = Path.Combine(Path.GetTempPath(), "backup-restore-drill");
const int ExportSize = 8 * 1024 * 1024;

// A real deployment sets BACKUP_PASSWORD from its secret store; the sample sets a demo value if it is missing.
if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("BACKUP_PASSWORD")))
{
    Environment.SetEnvironmentVariable("BACKUP_PASSWORD", "restore-drill-demo-password");
}

var builder = Host.CreateApplicationBuilder(args.Where(a => a != "--once").ToArray());
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["Backup:Repositories:drill:Path"] = Path.Combine(work, "repository"),
    ["Backup:Repositories:drill:PasswordEnvironmentVariable"] = "BACKUP_PASSWORD",
    ["Backup:Repositories:drill:CreateIfMissing"] = "true",
    ["Backup:Jobs:export:Repository"] = "drill",
    ["Backup:Jobs:export:Level"] = "Incremental",
    ["Backup:Jobs:export:Rpo"] = "1.00:00:00",
    ["Backup:Jobs:export:Rto"] = "00:05:00",
    ["Backup:Jobs:export:VerificationMaxAge"] = "7.00:00:00",
});
builder.Services.AddBackup(backup => backup
    .BindConfiguration(builder.Configuration.GetSection("Backup"))
    .AddJob("export", job =>
    {
        job.SourceFactory = _ => StreamSource.FromStream("export.csv", new MemoryStream(GenerateExport(ExportSize)));
        job.VerificationStep = RestoreDrillAsync;
    }));
builder.Services.AddHealthChecks().AddBackupHealthChecks();
using var host = builder.Build();

var result = await host.Services.GetRequiredService<IBackupJobRunner>().RunAsync("export");
Console.WriteLine($"Backup job export: {result.Outcome} in {result.Duration.TotalSeconds:F2} s, snapshot {result.Snapshot?.Id.ToShortString() ?? "none"}");
if (result.Error is not null)
{
    Console.WriteLine($"  error: {result.Error.Message}");
}

Console.WriteLine($"Restore drill: {(result.Verification?.Succeeded == true ? "passed" : "FAILED")}: {result.Verification?.Message}");
var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
foreach (var (name, entry) in report.Entries)
{
    Console.WriteLine($"Health {name}: {entry.Status} ({entry.Description}) {string.Join(", ", entry.Data.Select(d => $"{d.Key}={d.Value}"))}");
}

return result.Outcome == BackupJobOutcome.Succeeded && result.Verification?.Succeeded == true && report.Status == HealthStatus.Healthy ? 0 : 1;

static async Task<BackupVerificationOutcome> RestoreDrillAsync(BackupJobContext context, CancellationToken cancellationToken)
{
    // The drill restores from the repository (not from a cache), as a restore at 3 a.m. would.
    var stopwatch = Stopwatch.StartNew();
    var reader = context.Repository.Content;
    var restored = 0;
    var expected = SHA256.HashData(GenerateExport(ExportSize));
    await foreach (var node in FilesAsync(context.Repository, context.Result.Snapshot.Tree, cancellationToken))
    {
        using var sha = SHA256.Create();
        await using (var hashing = new CryptoStream(Stream.Null, sha, CryptoStreamMode.Write))
        {
            await reader.CopyToAsync(node, hashing, cancellationToken);
        }

        if (!sha.Hash!.AsSpan().SequenceEqual(expected))
        {
            return new BackupVerificationOutcome { Succeeded = false, Message = $"{node.Name}: restored content differs from the original", RestoreDuration = stopwatch.Elapsed };
        }

        restored++;
    }

    stopwatch.Stop();
    var rto = TimeSpan.FromMinutes(5);
    return restored == 0
        ? new BackupVerificationOutcome { Succeeded = false, Message = "the snapshot holds no file", RestoreDuration = stopwatch.Elapsed }
        : stopwatch.Elapsed > rto
            ? new BackupVerificationOutcome { Succeeded = false, Message = $"restore took {stopwatch.Elapsed}, over the RTO of {rto}", RestoreDuration = stopwatch.Elapsed }
            : new BackupVerificationOutcome { Succeeded = true, Message = $"{restored} file(s) restored and identical (SHA-256) in {stopwatch.Elapsed.TotalSeconds:F2} s, within the RTO of {rto}", RestoreDuration = stopwatch.Elapsed };
}

static async IAsyncEnumerable<TreeNode> FilesAsync(BackupRepository repository, BlobId tree, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
{
    foreach (var node in (await repository.Snapshots.LoadTreeAsync(tree, cancellationToken)).Nodes)
    {
        if (node.Type == NodeType.File)
        {
            yield return node;
        }
        else if (node.Subtree is { } subtree)
        {
            await foreach (var child in FilesAsync(repository, subtree, cancellationToken))
            {
                yield return child;
            }
        }
    }
}

static byte[] GenerateExport(int size)
{
    // A CSV-like export, the same on every run, so the second run deduplicates it entirely.
    var text = new System.Text.StringBuilder(size + 64);
    var random = new Random(20260101);
    for (var row = 0; text.Length < size; row++)
    {
        text.Append(row).Append(',').Append(random.Next(1_000_000)).Append(",customer-").Append(random.Next(10_000)).Append('\n');
    }

    return System.Text.Encoding.UTF8.GetBytes(text.ToString(0, size));
}
