namespace Backup.Core.Pipeline;

/// <summary>The source failed as a whole (a dump tool exited with an error, say), so no snapshot was written.</summary>
public sealed class BackupSourceException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BackupSourceException(string message, Exception? innerException = null) : base(message, innerException) { }
}
