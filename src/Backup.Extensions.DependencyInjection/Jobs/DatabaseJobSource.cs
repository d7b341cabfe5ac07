using Backup.Core.Sources;
using Backup.Providers;
using Microsoft.Extensions.Logging;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// A configured database source for one run: preparing reads the password (from the file or variable the settings
/// name) and creates the engine's source, which it then stands for; disposing disposes of that source.
/// </summary>
internal sealed class DatabaseJobSource(string name, IDatabaseEngine engine, BackupDatabaseSourceOptions settings, ILoggerFactory? loggers) : IBackupSource
{
    private IBackupSource? _source;

    public string Kind => engine.Kind;

    public IReadOnlyList<string> Paths => Prepared.Paths;

    private IBackupSource Prepared => _source ?? throw new InvalidOperationException($"{engine.DisplayName} source '{name}' is used before it was prepared.");

    public async Task PrepareAsync(CancellationToken cancellationToken = default)
    {
        if (_source is null)
        {
            var password = await DatabasePassword.ReadAsync($"{engine.DisplayName} source '{name}'", settings.PasswordEnvironmentVariable, settings.PasswordFile, cancellationToken).ConfigureAwait(false);
            _source = engine.CreateSource(DatabaseSources.BackupSettings(engine, settings, password, loggers));
        }

        await _source.PrepareAsync(cancellationToken).ConfigureAwait(false);
    }

    public IAsyncEnumerable<SourceEntry> ReadEntriesAsync(SourceContext context, CancellationToken cancellationToken = default) => Prepared.ReadEntriesAsync(context, cancellationToken);

    public Task<IReadOnlyDictionary<string, string>> GetSnapshotMetadataAsync(CancellationToken cancellationToken = default) => Prepared.GetSnapshotMetadataAsync(cancellationToken);

    public ValueTask DisposeAsync() => _source?.DisposeAsync() ?? ValueTask.CompletedTask;
}
