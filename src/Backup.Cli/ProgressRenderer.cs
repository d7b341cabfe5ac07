using Backup.Core.Pipeline;

namespace Backup.Cli;

/// <summary>
/// One self-overwriting progress line on stderr: files, bytes, rate, elapsed time and, once the total is known, the
/// share done and an ETA. Drawn only when enabled (stderr is a terminal and --quiet is not given), at most ten times
/// a second of the reported elapsed time; reports may come from any thread.
/// </summary>
internal sealed class ProgressRenderer(TextWriter error, bool enabled, string verb) : IProgress<BackupProgress>
{
    // The ETA divides what is left by the rate of this recent stretch, not of the whole run: unchanged files trusted
    // from the parent snapshot count as done at once, and a run that began with them would otherwise promise too much.
    private static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MinRateSpan = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan DrawInterval = TimeSpan.FromMilliseconds(100);

    private readonly Lock _gate = new();
    private readonly Queue<(TimeSpan Elapsed, long Bytes)> _samples = new();
    private TimeSpan _lastDraw;
    private int _lastWidth;
    private bool _drawn;

    public bool Enabled => enabled;

    public void Report(BackupProgress value) => Update(value.Files, value.BytesProcessed, value.TotalFiles, value.TotalBytes, value.Elapsed);

    /// <summary>Draws the line if enough time has passed since the last one.</summary>
    public void Update(long files, long bytes, long? totalBytes, TimeSpan elapsed) => Update(files, bytes, null, totalBytes, elapsed);

    /// <summary>Draws the line, with the share done and an ETA when <paramref name="totalBytes"/> is known, if enough time has passed since the last one.</summary>
    public void Update(long files, long bytes, long? totalFiles, long? totalBytes, TimeSpan elapsed)
    {
        if (!enabled)
        {
            return;
        }

        lock (_gate)
        {
            if (_drawn && elapsed - _lastDraw < DrawInterval)
            {
                return;
            }

            _lastDraw = elapsed;
            var line = totalFiles is { } allFiles ? $"{verb}: {files} of {Format.Count(allFiles, "file", "files")}, {Format.Bytes(bytes)}" : $"{verb}: {Format.Count(files, "file", "files")}, {Format.Bytes(bytes)}";
            if (totalBytes is > 0)
            {
                line += $" of {Format.Bytes(totalBytes.Value)} ({Math.Clamp(bytes * 100.0 / totalBytes.Value, 0, 100):0}%)";
            }

            line += $", {Format.Rate(bytes, elapsed)}, {Format.Duration(elapsed)}";
            var rate = RecentRate(bytes, elapsed);
            if (totalBytes is > 0 && bytes < totalBytes && rate > 0)
            {
                line += $", ETA {Format.Duration(TimeSpan.FromSeconds((totalBytes.Value - bytes) / rate.Value))}";
            }

            var padding = Math.Max(0, _lastWidth - line.Length);
            error.Write("\r" + line + new string(' ', padding));
            error.Flush();
            _lastWidth = line.Length;
            _drawn = true;
        }
    }

    /// <summary>Bytes a second over the last <see cref="RateWindow"/>, or over the whole run while that is all there is; null in the first second.</summary>
    private double? RecentRate(long bytes, TimeSpan elapsed)
    {
        _samples.Enqueue((elapsed, bytes));
        while (_samples.Count > 1 && elapsed - _samples.Peek().Elapsed > RateWindow)
        {
            _samples.Dequeue();
        }

        var (since, then) = _samples.Peek();
        if (elapsed - since >= MinRateSpan)
        {
            return (bytes - then) / (elapsed - since).TotalSeconds;
        }

        return elapsed >= MinRateSpan ? bytes / elapsed.TotalSeconds : null;
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
