using Backup.Core.Sources;

namespace Backup.Providers.Tests;

/// <summary>
/// Wraps a source so the server is stopped as soon as the dump's first bytes arrive: a failure mid-way, deterministically.
/// With <paramref name="appliesTo"/>, only the entries whose path it accepts (one table's COPY, say) trigger the stop.
/// </summary>
internal sealed class StopOnFirstRead(IBackupSource inner, Func<Task> stop, Func<string, bool>? appliesTo = null) : IBackupSource
{
    public string Kind => inner.Kind;

    public IReadOnlyList<string> Paths => inner.Paths;

    public Task PrepareAsync(CancellationToken cancellationToken = default) => inner.PrepareAsync(cancellationToken);

    public Task<IReadOnlyDictionary<string, string>> GetSnapshotMetadataAsync(CancellationToken cancellationToken = default) => inner.GetSnapshotMetadataAsync(cancellationToken);

    public async IAsyncEnumerable<SourceEntry> ReadEntriesAsync(SourceContext context, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var entry in inner.ReadEntriesAsync(context, cancellationToken))
        {
            yield return appliesTo is not null && !appliesTo(entry.Path) ? entry : new SourceEntry
            {
                Path = entry.Path,
                Metadata = entry.Metadata,
                CompleteAsync = entry.CompleteAsync,
                OpenContentAsync = async ct =>
                {
                    var reader = await entry.OpenContentAsync!(ct);
                    var first = await reader.ReadAsync(ct);
                    reader.AdvanceTo(first.Buffer.Start);
                    await stop();
                    return reader;
                },
            };
        }
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
