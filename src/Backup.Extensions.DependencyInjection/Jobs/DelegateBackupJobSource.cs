using Backup.Core.Pipeline;
using Backup.Core.Sources;

namespace Backup.Extensions.DependencyInjection;

/// <summary>A named source built by a delegate for each run (and disposed after it when it is disposable).</summary>
internal sealed class DelegateBackupJobSource(string name, Func<IBackupSource> create) : IBackupJobSource
{
    public string Name { get; } = name;

    public async Task<BackupResult> BackupAsync(string jobName, BackupService service, BackupOptions options, CancellationToken cancellationToken)
    {
        var source = create();
        try
        {
            return await service.BackupAsync(source, options, null, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (source is IAsyncDisposable asyncDisposable)
            {
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
            }
            else if (source is IDisposable disposable)
            {
                disposable.Dispose();
            }
        }
    }
}
