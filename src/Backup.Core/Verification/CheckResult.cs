namespace Backup.Core.Verification;

/// <summary>What a check covered and what it found.</summary>
public sealed record CheckResult
{
    /// <summary>Snapshots checked (decoded and their trees walked).</summary>
    public long Snapshots { get; init; }

    /// <summary>Distinct trees loaded and parsed.</summary>
    public long Trees { get; init; }

    /// <summary>Distinct data chunks referenced by the snapshots (each looked up in the index).</summary>
    public long DataBlobs { get; init; }

    /// <summary>Index objects decoded.</summary>
    public long Indexes { get; init; }

    /// <summary>Packs in data/ (each header read and compared with the index).</summary>
    public long Packs { get; init; }

    /// <summary>Packs downloaded to verify their blobs.</summary>
    public long PacksRead { get; init; }

    /// <summary>Blobs decrypted and re-hashed.</summary>
    public long BlobsRead { get; init; }

    /// <summary>Bytes downloaded to verify data.</summary>
    public long BytesRead { get; init; }

    /// <summary>Every problem found, errors and warnings.</summary>
    public IReadOnlyList<CheckProblem> Problems { get; init; } = [];

    /// <summary>How long the check took.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Bytes of pack data verified per second (0 when no data was read).</summary>
    public double BytesPerSecond => Duration > TimeSpan.Zero ? BytesRead / Duration.TotalSeconds : 0;

    /// <summary>Only the problems that are errors.</summary>
    public IEnumerable<CheckProblem> Errors => Problems.Where(p => p.Severity == ProblemSeverity.Error);

    /// <summary>Whether no errors were found (warnings, such as a pack not yet indexed, do not count).</summary>
    public bool IsSuccess => !Errors.Any();
}
