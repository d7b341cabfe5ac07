using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Backup.Core.Snapshots;

namespace Backup.Core.Sources;

/// <summary>A single named stream as a source: an application export, a dump piped on standard input, any <see cref="Stream"/> or <see cref="PipeReader"/>.</summary>
public sealed class StreamSource : IBackupSource
{
    private readonly Func<CancellationToken, ValueTask<PipeReader>> _open;
    private readonly Func<CancellationToken, ValueTask>? _complete;
    private int _opened;

    /// <summary>Backs up what <paramref name="open"/> returns, stored under <paramref name="name"/>.</summary>
    /// <param name="name">The name the stream is stored and restored as (one path segment).</param>
    /// <param name="open">Opens the content; called once.</param>
    /// <param name="kind">The source kind recorded in the snapshot.</param>
    /// <param name="complete">Optional check, called after the stream has been read to its end, that throws when the content is not complete.</param>
    public StreamSource(string name, Func<CancellationToken, ValueTask<PipeReader>> open, string kind = "stream", Func<CancellationToken, ValueTask>? complete = null)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('/', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal) || name is "." or "..")
        {
            throw new ArgumentException($"Stream name '{name}' must be a single, non-empty path segment.", nameof(name));
        }

        Name = name;
        Kind = kind;
        _open = open ?? throw new ArgumentNullException(nameof(open));
        _complete = complete;
    }

    /// <summary>Backs up <paramref name="stream"/> (read once, then disposed) under <paramref name="name"/>.</summary>
    public static StreamSource FromStream(string name, Stream stream, string kind = "stream") => new(name, Open(stream), kind);

    /// <summary>
    /// Backs up <paramref name="stream"/> (read once, then disposed) under <paramref name="name"/>; <paramref name="complete"/>,
    /// called once it has been read to its end, throws when the content is not complete (a producer that failed).
    /// </summary>
    public static StreamSource FromStream(string name, Stream stream, string kind, Func<CancellationToken, ValueTask> complete) =>
        new(name, Open(stream), kind, complete ?? throw new ArgumentNullException(nameof(complete)));

    private static Func<CancellationToken, ValueTask<PipeReader>> Open(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return _ => ValueTask.FromResult(PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 1 << 20, minimumReadSize: 1 << 18, leaveOpen: false)));
    }

    /// <summary>Backs up what <paramref name="reader"/> yields under <paramref name="name"/>.</summary>
    public static StreamSource FromPipeReader(string name, PipeReader reader, string kind = "stream") =>
        new(name, _ => ValueTask.FromResult(reader), kind);

    /// <summary>The stream's name.</summary>
    public string Name { get; }

    /// <inheritdoc />
    public string Kind { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> Paths => [Name];

    /// <inheritdoc />
    public async IAsyncEnumerable<SourceEntry> ReadEntriesAsync(SourceContext context, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _opened, 1) == 1)
        {
            throw new InvalidOperationException("A stream source can be read only once.");
        }

        await Task.CompletedTask.ConfigureAwait(false);
        var now = DateTimeOffset.UtcNow;
        yield return new SourceEntry
        {
            Path = Name,
            Metadata = new TreeNode
            {
                Name = Name,
                Type = NodeType.File,
                Mode = 0b110_100_000, // rw-r----- : a dump is private by default
                MtimeNs = (now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100,
            },
            OpenContentAsync = _open,
            CompleteAsync = _complete,
            IsWholeSource = true,
        };
    }
}
