using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using Backup.Benchmarks;

// `chunk-sizes [PATH] [DUMP_MIB]` measures candidate chunk size limits (see docs/chunking.md); anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "chunk-sizes")
{
    return ChunkSizeTool.Run(args[1..]);
}

// `store-ratio [DATA] [MIB] [ROUNDS] [LEVEL]` times the store path and zstd interleaved, for a load-independent ratio.
if (args.Length > 0 && args[0] == "store-ratio")
{
    return await StoreRatioTool.RunAsync(args[1..]);
}

// `remote-restore [FILES] [LATENCY_MS] [ROUNDS]` times a restore of small files locally and with latency added to every request.
if (args.Length > 0 && args[0] == "remote-restore")
{
    return await RemoteRestoreTool.RunAsync(args[1..]);
}

// `bandwidth [MB] [RATE] [STREAMS]` shows the achieved upload and download rates of a BandwidthLimitedTarget against its limit.
if (args.Length > 0 && args[0] == "bandwidth")
{
    return await BandwidthTool.RunAsync(args[1..]);
}

// `size-breakdown REPO_DIR` shows where a local repository's bytes go (blobs by type, their overhead, pack headers, index).
if (args.Length > 0 && args[0] == "size-breakdown")
{
    return await SizeBreakdownTool.RunAsync(args[1..]);
}

var config = DefaultConfig.Instance.AddColumn(new ThroughputColumn());
var summaries = BenchmarkSwitcher.FromAssembly(typeof(ThroughputColumn).Assembly).Run(args, config);
return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
