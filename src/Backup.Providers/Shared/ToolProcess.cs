using System.Diagnostics;
using System.IO.Pipelines;
using System.Text;

namespace Backup.Providers;

/// <summary>
/// A client tool (pg_dump, mariadb-dump, pg_restore, …) run as a child process: its standard output is pumped
/// into a pipe (so the backup reads it with back-pressure and no temp file), its standard error collected
/// (bounded) for the error report, and the end of its output remembered so a trailer can be checked.
/// </summary>
internal sealed class ToolProcess : IAsyncDisposable
{
    private const int StderrLimit = 64 * 1024;
    private const int TailLength = 512;
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly Task _stderrPump;
    private readonly IReadOnlyCollection<string> _secrets;
    private readonly byte[] _tail = new byte[TailLength];
    private int _tailLength;
    private readonly TaskCompletionSource _markerSeen = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private byte[][] _markers = [];
    private IToolOutputObserver? _observer;
    private Task? _stdoutPump;
    private int _disposed;
    private Exception? _stdoutFailure;

    private ToolProcess(Process process, IReadOnlyCollection<string> secrets)
    {
        _process = process;
        _secrets = secrets;
        _stderrPump = PumpStderrAsync();
    }

    /// <summary>The tool's name, for messages.</summary>
    public string Name => Path.GetFileName(_process.StartInfo.FileName);

    /// <summary>Bytes the tool wrote to standard output so far.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>
    /// Starts <paramref name="fileName"/>; arguments never carry secrets, <paramref name="environment"/> may. The
    /// tool inherits only the variables <see cref="ChildEnvironment"/> passes on, plus <paramref name="environment"/>.
    /// </summary>
    public static ToolProcess Start(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment, IReadOnlyCollection<string> secrets, bool redirectStdin = false)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectStdin,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // Only what the tool needs: this process may hold the repository password and cloud credentials.
        ChildEnvironment.Restrict(info.Environment, environment);

        var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            process.Dispose();
            throw new InvalidOperationException($"Could not start '{fileName}': {ex.Message}", ex);
        }

        return new ToolProcess(process, secrets);
    }

    /// <summary>The standard input, when redirected.</summary>
    public Stream StandardInput => _process.StandardInput.BaseStream;

    /// <summary>
    /// The standard output as a pipe. The pump completes the pipe normally even when reading fails, and keeps the
    /// failure for <see cref="WaitAsync"/>: a broken stream then fails the dump as a whole instead of being stored
    /// as a partial file.
    /// </summary>
    public PipeReader OpenOutput(CancellationToken cancellationToken, params string[] markers)
    {
        _markers = [.. markers.Select(Encoding.UTF8.GetBytes)];
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20, minimumSegmentSize: 64 * 1024, useSynchronizationContext: false));
        _stdoutPump = PumpStdoutAsync(pipe.Writer, cancellationToken);
        return pipe.Reader;
    }

    /// <summary>As <see cref="OpenOutput(CancellationToken, string[])"/>, showing every byte of the output to <paramref name="observer"/> as it passes.</summary>
    public PipeReader OpenOutput(IToolOutputObserver observer, CancellationToken cancellationToken)
    {
        _observer = observer;
        return OpenOutput(cancellationToken);
    }

    /// <summary>Completes once one of the markers given to <see cref="OpenOutput(CancellationToken, string[])"/> went through the output, or the output ended.</summary>
    public Task MarkerSeen => _markerSeen.Task;

    /// <summary>Reads and drops standard output (keeping its tail), so a chatty tool never blocks on a full pipe.</summary>
    public void DiscardOutput() => _stdoutPump = DiscardAsync();

    /// <summary>Reads all of standard output as text (small outputs only).</summary>
    public Task<string> ReadOutputToEndAsync(CancellationToken cancellationToken) => _process.StandardOutput.ReadToEndAsync(cancellationToken);

    /// <summary>Waits for the exit, then returns the exit code, the scrubbed standard error and whether the output stream ended cleanly.</summary>
    public async Task<ToolOutcome> WaitAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_stdoutPump is not null)
            {
                await _stdoutPump.ConfigureAwait(false);
            }

            await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            await _stderrPump.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw;
        }

        string stderr;
        lock (_stderr)
        {
            stderr = Secrets.Scrub(_stderr.ToString(), _secrets);
        }

        return new ToolOutcome(Name, _process.ExitCode, stderr, _stdoutFailure is null ? null : Secrets.Scrub(_stdoutFailure.Message, _secrets), Encoding.UTF8.GetString(_tail, 0, _tailLength));
    }

    /// <summary>Kills the tool and its children (cancellation, or the reader gave up).</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        Kill();
        try
        {
            await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Reported by whoever awaited the outcome; disposal must not hang.
        }

        _process.Dispose();
    }

    private async Task PumpStdoutAsync(PipeWriter writer, CancellationToken cancellationToken)
    {
        var stdout = _process.StandardOutput.BaseStream;
        try
        {
            while (true)
            {
                var memory = writer.GetMemory(64 * 1024);
                var read = await stdout.ReadAsync(memory, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                RememberTail(memory.Span[..read]);
                _observer?.Observe(memory.Span[..read]);
                if (_markers.Length > 0 && !_markerSeen.Task.IsCompleted && ContainsMarker(memory.Span[..read]))
                {
                    _markerSeen.TrySetResult();
                }

                BytesWritten += read;
                writer.Advance(read);
                var flushed = await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (flushed.IsCompleted)
                {
                    // The reader stopped early: the dump is incomplete whatever the tool says.
                    _stdoutFailure = new IOException("the reader stopped before the end of the dump");
                    Kill();
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            _stdoutFailure = ex;
            Kill();
        }
        finally
        {
            _markerSeen.TrySetResult();
            await writer.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Searches the remembered tail, so a marker split across two reads is still found.</summary>
    private bool ContainsMarker(ReadOnlySpan<byte> chunk)
    {
        var tail = _tail.AsSpan(0, _tailLength);
        foreach (var marker in _markers)
        {
            if (chunk.IndexOf(marker) >= 0 || tail.IndexOf(marker) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    private async Task DiscardAsync()
    {
        var buffer = new byte[16 * 1024];
        var stdout = _process.StandardOutput.BaseStream;
        int read;
        while ((read = await stdout.ReadAsync(buffer, CancellationToken.None).ConfigureAwait(false)) > 0)
        {
            RememberTail(buffer.AsSpan(0, read));
        }
    }

    private void RememberTail(ReadOnlySpan<byte> data)
    {
        if (data.Length >= TailLength)
        {
            data[^TailLength..].CopyTo(_tail);
            _tailLength = TailLength;
            return;
        }

        var keep = Math.Min(_tailLength, TailLength - data.Length);
        Buffer.BlockCopy(_tail, _tailLength - keep, _tail, 0, keep);
        data.CopyTo(_tail.AsSpan(keep));
        _tailLength = keep + data.Length;
    }

    private async Task PumpStderrAsync()
    {
        var buffer = new char[4096];
        var reader = _process.StandardError;
        int read;
        while ((read = await reader.ReadAsync(buffer, CancellationToken.None).ConfigureAwait(false)) > 0)
        {
            lock (_stderr)
            {
                // Keep the beginning (usually the cause); a runaway tool must not fill memory.
                if (_stderr.Length < StderrLimit)
                {
                    _stderr.Append(buffer, 0, Math.Min(read, StderrLimit - _stderr.Length));
                }
            }
        }
    }
}

/// <summary>How a tool ended.</summary>
/// <param name="Tool">The tool's file name.</param>
/// <param name="ExitCode">Its exit code.</param>
/// <param name="Stderr">Its standard error, secrets scrubbed.</param>
/// <param name="StreamFailure">Why its output did not end cleanly, or null.</param>
/// <param name="Tail">The last bytes of its output (for trailers).</param>
internal sealed record ToolOutcome(string Tool, int ExitCode, string Stderr, string? StreamFailure, string Tail)
{
    /// <summary>Stderr lines that report an error, by the given test.</summary>
    public IReadOnlyList<string> ErrorLines(Func<string, bool> isError) =>
        [.. Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(isError)];

    /// <summary>A one-paragraph description of the failure, with stderr's text.</summary>
    public string Describe(string what) =>
        $"{what}: {Tool} exited with code {ExitCode}" + (StreamFailure is null ? string.Empty : $", output broken ({StreamFailure})")
        + (string.IsNullOrWhiteSpace(Stderr) ? string.Empty : $"; stderr: {Stderr.Trim()}");
}
