namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// No backup job has the requested name (<see cref="IBackupJobRunner.RunAsync"/>): a caller's error, which a web
/// endpoint maps to 404 Not Found. A <see cref="KeyNotFoundException"/>, as before it had its own type.
/// </summary>
public sealed class BackupJobNotFoundException : KeyNotFoundException
{
    /// <summary>Creates the exception for <paramref name="jobName"/>; <paramref name="knownJobs"/> are listed in the message.</summary>
    public BackupJobNotFoundException(string jobName, IEnumerable<string> knownJobs)
        : base($"No backup job is called '{jobName}' (known: {Known(knownJobs)}).")
    {
        JobName = jobName;
        KnownJobs = [.. knownJobs.Order(StringComparer.Ordinal)];
    }

    /// <summary>Creates the exception.</summary>
    public BackupJobNotFoundException() { }

    /// <summary>Creates the exception.</summary>
    public BackupJobNotFoundException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public BackupJobNotFoundException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>The name that was asked for.</summary>
    public string? JobName { get; }

    /// <summary>The jobs there are, in order (empty when the exception was made from a message alone): a caller can suggest the nearest.</summary>
    public IReadOnlyList<string> KnownJobs { get; } = [];

    private static string Known(IEnumerable<string> knownJobs)
    {
        ArgumentNullException.ThrowIfNull(knownJobs);
        var names = knownJobs.Order(StringComparer.Ordinal).ToList();
        return names.Count == 0 ? "none" : string.Join(", ", names);
    }
}
