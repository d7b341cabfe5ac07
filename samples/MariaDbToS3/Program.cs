// MariaDbToS3: a MariaDB database backed up nightly into an S3-compatible repository, with a restore drill into a
// scratch database after every backup, configured purely from appsettings.json ("Backup" section). The code only
// registers what the configuration names: the s3:// target provider and the MySQL/MariaDB engine.
//   dotnet run --project samples/MariaDbToS3               the scheduler runs the job at 02:00
//   dotnet run --project samples/MariaDbToS3 -- --once     run the job once, print the result and health, exit
// Against throwaway local servers (a MariaDB and an S3-compatible server, as CI runs it):
//   bash scripts/run-with-servers.sh bash samples/MariaDbToS3/run-local.sh
// Secrets never sit in appsettings.json: the repository password comes from BACKUP_PASSWORD, the S3 credentials
// from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or Backup__Repositories__main__Settings__SecretAccessKey), the database
// passwords from the files the settings name.
using Backup.Extensions.DependencyInjection;
using Backup.Providers.MySql;
using Backup.Providers.S3;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

var once = args.Contains("--once");
var builder = Host.CreateApplicationBuilder(args.Where(a => a != "--once").ToArray());
builder.Services.AddBackup(backup => backup
    .BindConfiguration(builder.Configuration.GetSection("Backup"))
    .AddTargetProvider(new S3TargetProvider())
    .AddDatabaseEngine(new MySqlEngine()));
if (!once)
{
    builder.Services.AddBackupScheduler();
}

builder.Services.AddHealthChecks().AddBackupHealthChecks();
using var host = builder.Build();
try
{
    // Start-up validation: unknown keys, values that do not convert, a source or engine that is not there, and
    // (OpenOnStart) a repository that does not open with its key all stop here, each naming the setting to fix.
    await host.StartAsync();
}
catch (OptionsValidationException e)
{
    Console.Error.WriteLine("The configuration is not valid:");
    foreach (var failure in e.Failures)
    {
        Console.Error.WriteLine("  " + failure);
    }

    return 2;
}

if (!once)
{
    await host.WaitForShutdownAsync();
    return 0;
}

var runner = host.Services.GetRequiredService<IBackupJobRunner>();
var result = await runner.RunAsync("shop");
Console.WriteLine($"shop: {result.Outcome} in {result.Duration.TotalSeconds:F1} s"
    + (result.Snapshot is { } snapshot ? $", snapshot {snapshot.Id.ToShortString()}" : string.Empty)
    + (result.Error is { } error ? $": {error.Message}" : string.Empty));
if (result.Verification is { } verification)
{
    Console.WriteLine($"verification {(verification.Succeeded ? "passed" : "FAILED")}: {verification.Message}"
        + (verification.RestoreDuration is { } rto ? $" (restore drill took {rto.TotalSeconds:F1} s)" : string.Empty));
}

var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
foreach (var (name, entry) in report.Entries)
{
    Console.WriteLine($"{name}: {entry.Status} - {entry.Description}");
}

await host.StopAsync();
var passed = result.Outcome == BackupJobOutcome.Succeeded && result.Verification?.Succeeded == true && report.Status == HealthStatus.Healthy;
return passed ? 0 : 1;
