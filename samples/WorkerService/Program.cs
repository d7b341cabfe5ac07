// WorkerService: a host that backs up on a schedule and reports its health over HTTP.
//   dotnet run --project samples/WorkerService                 scheduler + http://127.0.0.1:5080/health
//   dotnet run --project samples/WorkerService -- --once       run both jobs once, print health, exit (for CI)
// Two jobs: "files" backs up a folder (by default a small generated one) every 15 minutes; "export" backs up a
// stream produced by the application (a generated CSV export) nightly at 02:00 Europe/Berlin. A PostgreSQL job
// is configured the same way with the source that comes with the database provider package.
// Settings are in appsettings.json ("Backup" section); BACKUP_PASSWORD holds the repository password.
using System.Text;
using Backup.Core.Sources;
using Backup.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

var once = args.Contains("--once");
var work = Path.Combine(Path.GetTempPath(), "backup-worker-sample");
if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("BACKUP_PASSWORD")))
{
    // A real deployment sets BACKUP_PASSWORD from its secret store; never hard-code one.
    Environment.SetEnvironmentVariable("BACKUP_PASSWORD", "worker-sample-demo-password");
}

var builder = WebApplication.CreateBuilder(args.Where(a => a != "--once").ToArray());
if (!args.Any(a => a.StartsWith("--urls", StringComparison.Ordinal)))
{
    builder.WebHost.UseUrls("http://127.0.0.1:5080");
}

var sampleFolder = CreateSampleFolder(Path.Combine(work, "data"));
builder.Services.AddBackup(backup => backup
    .BindConfiguration(builder.Configuration.GetSection("Backup"))
    .AddRepository("main", repository => repository.Path ??= Path.Combine(work, "repository"))
    .AddJob("files", job =>
    {
        if (job.Paths.Count == 0)
        {
            job.Paths.Add(sampleFolder);
        }
    })
    .AddJob("export", job => job.SourceFactory = _ => new StreamSource("orders.csv", _ =>
        ValueTask.FromResult(System.IO.Pipelines.PipeReader.Create(new MemoryStream(GenerateExport())))))
    .AddNotificationSink<ConsoleNotifications>());
if (!once)
{
    builder.Services.AddBackupScheduler();
}

builder.Services.AddHealthChecks().AddBackupHealthChecks();
var app = builder.Build();
app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = WriteHealthAsync });

if (once)
{
    var runner = app.Services.GetRequiredService<IBackupJobRunner>();
    var failed = false;
    foreach (var job in runner.JobNames)
    {
        var result = await runner.RunAsync(job);
        failed |= result.Outcome != BackupJobOutcome.Succeeded;
    }

    var report = await app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
    foreach (var (name, entry) in report.Entries)
    {
        Console.WriteLine($"{name}: {entry.Status} - {entry.Description}");
    }

    return failed || report.Status != HealthStatus.Healthy ? 1 : 0;
}

await app.RunAsync();
return 0;

static Task WriteHealthAsync(HttpContext context, HealthReport report)
{
    context.Response.ContentType = "application/json";
    return context.Response.WriteAsJsonAsync(new
    {
        status = report.Status.ToString(),
        checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description, data = e.Value.Data }),
    });
}

static string CreateSampleFolder(string path)
{
    Directory.CreateDirectory(Path.Combine(path, "docs"));
    for (var i = 0; i < 20; i++)
    {
        var file = Path.Combine(path, "docs", $"note-{i:D2}.txt");
        if (!File.Exists(file))
        {
            File.WriteAllText(file, string.Concat(Enumerable.Repeat($"note {i}: the quick brown fox jumps over the lazy dog\n", 200 + i)));
        }
    }

    return path;
}

static byte[] GenerateExport()
{
    var text = new StringBuilder();
    text.Append("order,customer,amount\n");
    for (var order = 1; order <= 20_000; order++)
    {
        text.Append(order).Append(",customer-").Append(order % 977).Append(',').Append((order * 37 % 10_000) / 100.0).Append('\n');
    }

    return Encoding.UTF8.GetBytes(text.ToString());
}

/// <summary>A notification sink: here it prints, a real one might post to chat or open a ticket.</summary>
internal sealed class ConsoleNotifications : IBackupNotificationSink
{
    public Task NotifyAsync(BackupJobEvent jobEvent, CancellationToken cancellationToken = default)
    {
        if (jobEvent.Result is { } result)
        {
            Console.WriteLine($"[notification] {result.JobName}: {result.Outcome} in {result.Duration.TotalSeconds:F2} s{(result.Snapshot is { } s ? $", snapshot {s.Id.ToShortString()}" : string.Empty)}");
        }

        return Task.CompletedTask;
    }
}
