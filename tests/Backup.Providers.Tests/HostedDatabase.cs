using Backup.Core;
using Backup.Core.Snapshots;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Backup.Providers.Tests;

/// <summary>A container as an application builds it for the hosted database tests: configuration bound, engines registered in code.</summary>
internal static class HostedDatabase
{
    internal static ServiceProvider Build(IConfiguration configuration, LogCapture logs, Action<BackupBuilder> engines)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.AddBackup(backup => engines(backup.BindConfiguration(configuration.GetSection("Backup"))));
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    internal static async Task<List<Snapshot>> SnapshotsAsync(BackupRepository repository)
    {
        var snapshots = new List<Snapshot>();
        await foreach (var snapshot in repository.Snapshots.ListAsync())
        {
            snapshots.Add(snapshot);
        }

        return snapshots;
    }
}
