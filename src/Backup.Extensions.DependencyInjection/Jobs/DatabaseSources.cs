using Backup.Core;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Providers;
using Microsoft.Extensions.Logging;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// The database sources of <see cref="BackupHostingOptions.Sources"/> and the engines registered with
/// <see cref="BackupBuilder.AddDatabaseEngine"/>: creates a configured source for each run and runs a database job's
/// restore drill through its engine.
/// </summary>
internal sealed class DatabaseSources
{
    private readonly Dictionary<string, BackupDatabaseSourceOptions> _sources;
    private readonly IReadOnlyList<IDatabaseEngine> _engines;
    private readonly ILoggerFactory? _loggers;

    public DatabaseSources(BackupHostingOptions options, IEnumerable<IDatabaseEngine> engines, ILoggerFactory? loggers)
    {
        _sources = options.Sources;
        _engines = [.. engines];
        _loggers = loggers;
    }

    /// <summary>The engine called <paramref name="name"/> among <paramref name="engines"/> (case-insensitive), or null.</summary>
    public static IDatabaseEngine? Find(IEnumerable<IDatabaseEngine> engines, string? name) =>
        string.IsNullOrWhiteSpace(name) ? null : engines.LastOrDefault(e => string.Equals(e.Name, name.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>The settings the engine's source is created with (the password only for the run that read it).</summary>
    public static DatabaseBackupSettings BackupSettings(IDatabaseEngine engine, BackupDatabaseSourceOptions settings, string? password, ILoggerFactory? loggers) => new()
    {
        Location = (engine.Location == DatabaseLocation.File ? settings.File : settings.ConnectionString) ?? string.Empty,
        Password = password,
        AllDatabases = settings.AllDatabases,
        DriverOnly = settings.DriverOnly,
        ClientToolsDirectory = settings.ClientToolsDirectory,
        RecordChecksums = settings.RecordChecksums,
        LoggerFactory = loggers,
    };

    /// <summary>Whether <paramref name="name"/> is a configured database source whose engine is registered.</summary>
    public bool TryGet(string name, out BackupDatabaseSourceOptions settings, out IDatabaseEngine engine)
    {
        if (_sources.TryGetValue(name, out var found) && Find(_engines, found.Engine) is { } registered)
        {
            settings = found;
            engine = registered;
            return true;
        }

        settings = null!;
        engine = null!;
        return false;
    }

    /// <summary>The source of one run of the configured database source <paramref name="name"/>.</summary>
    public IBackupSource Create(string name, BackupDatabaseSourceOptions settings, IDatabaseEngine engine) => new DatabaseJobSource(name, engine, settings, _loggers);

    /// <summary>
    /// Restores <paramref name="snapshot"/> into a scratch database on the drill's server (or a scratch file), compares
    /// and checks it, and drops it again: the engine's test restore.
    /// </summary>
    public static async Task<VerificationReport> DrillAsync(string name, BackupDatabaseSourceOptions settings, IDatabaseEngine engine, BackupVerificationOptions verification, BackupRepository repository, Snapshot snapshot, CancellationToken cancellationToken)
    {
        DatabaseVerifySettings drill;
        if (engine.Location == DatabaseLocation.File)
        {
            drill = new DatabaseVerifySettings { Scratch = verification.ScratchDirectory };
        }
        else
        {
            var password = await DatabasePassword.ReadAsync(
                $"Restore drill of {engine.DisplayName} source '{name}'", verification.ScratchPasswordEnvironmentVariable, verification.ScratchPasswordFile, cancellationToken).ConfigureAwait(false);
            drill = new DatabaseVerifySettings { Scratch = verification.ScratchConnectionString, Password = password, ClientToolsDirectory = settings.ClientToolsDirectory };
        }

        return await engine.VerifyAsync(repository, snapshot, drill, cancellationToken).ConfigureAwait(false);
    }
}
