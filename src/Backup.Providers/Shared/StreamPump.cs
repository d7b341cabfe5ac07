using System.IO.Pipelines;

namespace Backup.Providers;

/// <summary>
/// Copies a stream (a COPY, a temp file) into a pipe and remembers whether it ended cleanly. The pipe is always
/// completed normally: a failure is reported by <see cref="Completion"/> to the entry's CompleteAsync, which fails
/// the backup as a whole — an exception out of the reader would instead be stored as a partial snapshot.
/// </summary>
internal sealed class StreamPump
{
    private readonly TaskCompletionSource<Exception?> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private StreamPump()
    {
    }

    /// <summary>Null when the stream ended cleanly, otherwise what broke it.</summary>
    public Task<Exception?> Completion => _done.Task;

    /// <summary>Bytes copied.</summary>
    public long Bytes { get; private set; }

    public static (StreamPump Pump, PipeReader Reader) Start(Stream source, Func<ValueTask>? onEnd, CancellationToken cancellationToken)
    {
        var pump = new StreamPump();
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20, minimumSegmentSize: 64 * 1024, useSynchronizationContext: false));
        _ = pump.RunAsync(source, pipe.Writer, onEnd, cancellationToken);
        return (pump, pipe.Reader);
    }

    private async Task RunAsync(Stream source, PipeWriter writer, Func<ValueTask>? onEnd, CancellationToken cancellationToken)
    {
        Exception? failure = null;
        try
        {
            while (true)
            {
                var memory = writer.GetMemory(64 * 1024);
                var read = await source.ReadAsync(memory, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                Bytes += read;
                writer.Advance(read);
                if ((await writer.FlushAsync(cancellationToken).ConfigureAwait(false)).IsCompleted)
                {
                    failure = new IOException("the reader stopped before the end of the stream");
                    break;
                }
            }

            await source.DisposeAsync().ConfigureAwait(false);
            if (onEnd is not null)
            {
                await onEnd().ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // Every failure must reach CompleteAsync, whatever its type.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            failure ??= ex;
            try
            {
                await source.DisposeAsync().ConfigureAwait(false);
            }
#pragma warning disable CA1031
            catch (Exception)
#pragma warning restore CA1031
            {
                // The first failure is the one reported.
            }
        }
        finally
        {
            await writer.CompleteAsync().ConfigureAwait(false);
            _done.TrySetResult(failure);
        }
    }
}
