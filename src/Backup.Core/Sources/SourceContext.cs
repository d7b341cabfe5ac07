using System.Collections.Concurrent;

namespace Backup.Core.Sources;

/// <summary>Collects what a source or the backup could not read; a snapshot with problems is marked partial.</summary>
public sealed class SourceContext
{
    private readonly ConcurrentQueue<SourceProblem> _problems = new();

    /// <summary>Records that <paramref name="path"/> could not be read, and why.</summary>
    public void ReportProblem(string path, string reason) => _problems.Enqueue(new SourceProblem { Path = path, Reason = reason });

    /// <summary>Everything reported so far.</summary>
    public IReadOnlyCollection<SourceProblem> Problems => _problems;
}

/// <summary>One entry that could not be (completely) read.</summary>
public sealed record SourceProblem
{
    /// <summary>The entry's path.</summary>
    public required string Path { get; init; }

    /// <summary>What went wrong.</summary>
    public required string Reason { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Path}: {Reason}";
}
