// WorkerService: a host that backs up on a schedule and reports its health over HTTP.
//   dotnet run --project samples/WorkerService                 scheduler + http://127.0.0.1:5080/health
//   dotnet run --project samples/WorkerService -- --once       run both jobs once, print health, exit (for CI)
// Two jobs (appsettings.json, "Backup" section):
// - "files" backs up a folder (by default a small generated one) every 15 minutes, keeps 4 last / 24 hourly /
//   7 daily snapshots (then prunes), verifies daily (5% of the data and a restore drill) and copies each new
//   snapshot to the "offsite" repository;
// - "orders-db" backs up a PostgreSQL database nightly (source "orders-db" under Backup:Sources, engine
//   PostgreSqlEngine from Backup.Providers.PostgreSql, password from the ORDERS_DB_PASSWORD environment variable).
//   Without a reachable server the job fails and its health check is Unhealthy; the host keeps running.
// BACKUP_PASSWORD holds the repositories' password.
using Backup.Extensions.DependencyInjection;
using Backup.Providers.PostgreSql;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

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
    .AddRepository("main", repository => DefaultLocation(repository, Path.Combine(work, "repository")))
    .AddRepository("offsite", repository => DefaultLocation(repository, Path.Combine(work, "offsite")))
    .AddJob("files", job =>
    {
        if (job.Paths.Count == 0)
        {
            job.Paths.Add(sampleFolder);
        }
    })
    .AddDatabaseEngine(new PostgreSqlEngine())
    .AddNotificationSink<ConsoleNotifications>());
if (!once)
{
    builder.Services.AddBackupScheduler();
}

builder.Services.AddHealthChecks().AddBackupHealthChecks();
var app = builder.Build();
try
{
    // Start-up validation: unknown keys, values that do not convert, a source or engine that is not there all stop
    // here (the health checks read the jobs), each naming the setting to fix.
    app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = WriteHealthAsync });
}
catch (OptionsValidationException e)
{
    return ConfigurationNotValid(e);
}

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

try
{
    await app.RunAsync();
}
catch (OptionsValidationException e)
{
    // What only start-up checks: a repository with OpenOnStart that does not open with its key, say.
    return ConfigurationNotValid(e);
}

return 0;

// One line per problem, not the host's stack trace: the message is the whole answer.
static int ConfigurationNotValid(OptionsValidationException e)
{
    Console.Error.WriteLine("The configuration is not valid:");
    foreach (var failure in e.Failures)
    {
        Console.Error.WriteLine("  " + failure);
    }

    return 2;
}

static Task WriteHealthAsync(HttpContext context, HealthReport report)
{
    context.Response.ContentType = "application/json";
    return context.Response.WriteAsJsonAsync(new
    {
        status = report.Status.ToString(),
        checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description, data = e.Value.Data }),
    });
}

// Only when configuration names no place: Location, or Path (its older name), from appsettings.json or
// Backup__Repositories__main__Location wins, and setting the other one too would fail validation.
static void DefaultLocation(BackupRepositoryOptions repository, string location)
{
    if (string.IsNullOrWhiteSpace(repository.Location) && string.IsNullOrWhiteSpace(repository.Path))
    {
        repository.Location = location;
    }
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

/// <summary>A notification sink: here it prints, a real one might post to chat or open a ticket.</summary>
internal sealed class ConsoleNotifications : IBackupNotificationSink
{
    public Task NotifyAsync(BackupJobEvent jobEvent, CancellationToken cancellationToken = default)
    {
        if (jobEvent.Result is { } result)
        {
            Console.WriteLine($"[notification] {result.JobName}: {result.Outcome} in {result.Duration.TotalSeconds:F2} s"
                + (result.Snapshot is { } s ? $", snapshot {s.Id.ToShortString()}" : string.Empty)
                + (result.Error is { } e ? $": {e.Message}" : string.Empty)
                + string.Concat((result.Copies ?? []).Select(c => c.Succeeded ? $", copied to {c.Repository}" : $", copy to {c.Repository} FAILED: {c.Error?.Message}"))
                + (result.Verification is { } v ? $", verification {(v.Succeeded ? "passed" : "FAILED")}: {v.Message}" : string.Empty));
        }

        return Task.CompletedTask;
    }
}
