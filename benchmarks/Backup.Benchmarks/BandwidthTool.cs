using System.Diagnostics;
using System.Globalization;
using Backup.Core.Storage;

namespace Backup.Benchmarks;

/// <summary>
/// <c>bandwidth [MB] [RATE] [STREAMS]</c>: uploads MB megabytes (20 by default) in 1 MiB objects to a local directory
/// through a <see cref="BandwidthLimitedTarget"/> limited to RATE (8MB, i.e. 8,000,000 bytes/s, by default) with
/// STREAMS concurrent writers (4), then reads them back the same way under the same download limit, and prints the
/// achieved rate of each against the limit.
/// </summary>
internal static class BandwidthTool
{
    private const int ObjectSize = 1 << 20;

    public static async Task<int> RunAsync(string[] args)
    {
        var megabytes = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
        var rate = BandwidthLimitOptions.ParseRate(args.Length > 1 ? args[1] : "8MB");
        var streams = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 4;
        var objects = (int)Math.Ceiling(megabytes * 1e6 / ObjectSize);
        var directory = Directory.CreateTempSubdirectory("bandwidth-bench-");
        try
        {
            await using var target = new BandwidthLimitedTarget(
                new LocalDirectoryTarget(directory.FullName),
                new BandwidthLimitOptions { UploadBytesPerSecond = rate, DownloadBytesPerSecond = rate },
                ownsInner: true);
            var content = TestData.RandomBytes(ObjectSize, 5);

            var upload = await TimeAsync(objects, streams, async i =>
            {
                await target.PutAsync($"data/{i:D5}", content);
                return ObjectSize;
            });
            Report("upload", upload, rate, streams);

            var download = await TimeAsync(objects, streams, async i =>
            {
                var buffer = new byte[ObjectSize];
                return await target.ReadAsync($"data/{i:D5}", 0, buffer);
            });
            Report("download", download, rate, streams);
            return Math.Abs((upload.Bytes / upload.Seconds / rate) - 1) <= 0.05 && Math.Abs((download.Bytes / download.Seconds / rate) - 1) <= 0.05 ? 0 : 1;
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>Runs <paramref name="count"/> operations on <paramref name="streams"/> concurrent workers; returns the bytes moved and the seconds taken.</summary>
    private static async Task<(double Bytes, double Seconds)> TimeAsync(int count, int streams, Func<int, Task<int>> operation)
    {
        var next = -1;
        long bytes = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, streams).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
            {
                Interlocked.Add(ref bytes, await operation(i));
            }
        })));
        return (bytes, clock.Elapsed.TotalSeconds);
    }

    private static void Report(string direction, (double Bytes, double Seconds) run, long rate, int streams) =>
        Console.WriteLine(FormattableString.Invariant(
            $"{direction,-8} {run.Bytes / 1e6,6:F1} MB in {run.Seconds,6:F2} s with {streams} streams: {run.Bytes / run.Seconds / 1e6,6:F2} MB/s against a limit of {rate / 1e6:F2} MB/s ({(run.Bytes / run.Seconds / rate - 1) * 100:+0.0;-0.0}%)"));
}
