namespace Backup.Core.Pipeline;

/// <summary>The source failed as a whole (a dump tool exited with an error, say), so no snapshot was written.</summary>
public sealed class BackupSourceException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BackupSourceException(string message, Exception? innerException = null) : base(message, innerException) { }

    /// <summary>
    /// Creates the exception for a backup that <paramref name="remedy"/> lets go ahead: the message is
    /// <paramref name="problem"/>, then <paramref name="remedyText"/>, the remedy in the library's own names
    /// (<c>MySqlBackupMethod.Dump</c>, say).
    /// </summary>
    public BackupSourceException(string problem, BackupSourceRemedy remedy, string remedyText, Exception? innerException = null)
        : base($"{problem.TrimEnd().TrimEnd('.')}; {remedyText}", innerException)
    {
        _problem = problem;
        Remedy = remedy;
    }

    private readonly string? _problem;

    /// <summary>What lets the backup go ahead; <see cref="BackupSourceRemedy.None"/> when nothing about how the source is read.</summary>
    public BackupSourceRemedy Remedy { get; }

    /// <summary>The message without the remedy, for a tool that words <see cref="Remedy"/> in its own options.</summary>
    public string Problem => _problem ?? Message;
}
