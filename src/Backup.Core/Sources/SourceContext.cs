using System.Collections.Concurrent;

namespace Backup.Core.Sources;

/// <summary>Collects what a source or the backup could not read; a snapshot with problems is marked partial.</summary>
public sealed class SourceContext
{
    private readonly ConcurrentQueue<SourceProblem> _problems = new();

    /// <summary>Records that <paramref name="path"/> could not be read, and why.</summary>
    public void ReportProblem(string path, string reason) => _problems.Enqueue(new SourceProblem(path, reason));

    /// <summary>Everything reported so far.</summary>
    public IReadOnlyCollection<SourceProblem> Problems => _problems;
}

/// <summary>One entry that could not be (completely) read.</summary>
/// <param name="Path">The entry's path.</param>
/// <param name="Reason">What went wrong.</param>
public sealed record SourceProblem(string Path, string Reason)
{
    /// <inheritdoc />
    public override string ToString() => $"{Path}: {Reason}";
}
