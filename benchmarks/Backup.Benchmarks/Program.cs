using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using Backup.Benchmarks;

// `chunk-sizes [PATH]` measures candidate chunk size limits (see docs/chunking.md); anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "chunk-sizes")
{
    return ChunkSizeTool.Run(args[1..]);
}

var config = DefaultConfig.Instance.AddColumn(new ThroughputColumn());
var summaries = BenchmarkSwitcher.FromAssembly(typeof(ThroughputColumn).Assembly).Run(args, config);
return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
