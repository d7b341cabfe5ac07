using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Backup.Benchmarks;

/// <summary>How many bytes one operation of a benchmark method processes, for <see cref="ThroughputColumn"/>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BytesPerOperationAttribute(long bytes) : Attribute
{
    /// <summary>The bytes one operation processes.</summary>
    public long Bytes { get; } = bytes;
}

/// <summary>
/// MB/s (10^6 bytes per second): the bytes a benchmark method declares with <see cref="BytesPerOperationAttribute"/>
/// divided by its mean time per operation. BenchmarkDotNet has no throughput column of its own.
/// </summary>
public sealed class ThroughputColumn : IColumn
{
    /// <inheritdoc />
    public string Id => nameof(ThroughputColumn);

    /// <inheritdoc />
    public string ColumnName => "MB/s";

    /// <inheritdoc />
    public bool AlwaysShow => true;

    /// <inheritdoc />
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc />
    public int PriorityInCategory => 0;

    /// <inheritdoc />
    public bool IsNumeric => true;

    /// <inheritdoc />
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc />
    public string Legend => "Throughput: bytes processed per operation / mean time, in 10^6 bytes per second";

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var bytes = benchmarkCase.Descriptor.WorkloadMethod.GetCustomAttribute<BytesPerOperationAttribute>()?.Bytes;
        var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (bytes is null || mean is null or <= 0)
        {
            return "-";
        }

        return (bytes.Value / (mean.Value / 1e9) / 1e6).ToString("N0", CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public bool IsAvailable(Summary summary) => true;

    /// <inheritdoc />
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
