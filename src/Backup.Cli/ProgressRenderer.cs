using System.Diagnostics;
using Backup.Core.Pipeline;

namespace Backup.Cli;

/// <summary>
/// One self-overwriting progress line on stderr: files, bytes, rate and, when the total is known, ETA. Drawn only
/// when enabled (stderr is a terminal and --quiet is not given), at most ten times a second; reports may come
/// from any thread.
/// </summary>
internal sealed class ProgressRenderer(TextWriter error, bool enabled, string verb) : IProgress<BackupProgress>
{
    private readonly Lock _gate = new();
    private readonly Stopwatch _sinceDraw = Stopwatch.StartNew();
    private int _lastWidth;
    private bool _drawn;

    public bool Enabled => enabled;

    public void Report(BackupProgress value) => Update(value.Files, value.BytesProcessed, null, value.Elapsed);

    /// <summary>Draws the line if enough time has passed since the last one.</summary>
    public void Update(long files, long bytes, long? totalBytes, TimeSpan elapsed)
    {
        if (!enabled)
        {
            return;
        }

        lock (_gate)
        {
            if (_drawn && _sinceDraw.ElapsedMilliseconds < 100)
            {
                return;
            }

            _sinceDraw.Restart();
            var line = $"{verb}: {files} files, {Format.Bytes(bytes)}";
            if (totalBytes is > 0)
            {
                line += $" of {Format.Bytes(totalBytes.Value)}";
            }

            line += $", {Format.Rate(bytes, elapsed)}, {Format.Duration(elapsed)}";
            if (totalBytes is > 0 && bytes > 0 && bytes < totalBytes && elapsed.TotalSeconds > 1)
            {
                var remaining = TimeSpan.FromSeconds(elapsed.TotalSeconds * (totalBytes.Value - bytes) / bytes);
                line += $", ETA {Format.Duration(remaining)}";
            }

            var padding = Math.Max(0, _lastWidth - line.Length);
            error.Write("\r" + line + new string(' ', padding));
            error.Flush();
            _lastWidth = line.Length;
            _drawn = true;
        }
    }

    /// <summary>Clears the line so later output starts on a clean line.</summary>
    public void Finish()
    {
        if (!enabled)
        {
            return;
        }

        lock (_gate)
        {
            if (_drawn)
            {
                error.Write("\r" + new string(' ', _lastWidth) + "\r");
                error.Flush();
                _drawn = false;
            }
        }
    }
}
