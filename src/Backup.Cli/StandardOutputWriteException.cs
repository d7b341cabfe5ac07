namespace Backup.Cli;

/// <summary>
/// Standard output could not be written: the file or device it is redirected to is full, whatever read it stopped
/// reading, or another error of the descriptor. A type of its own, so that the message names standard output (the
/// system's "No space left on device" alone sent operators to look at the repository's disk) and a full one exits
/// with the storage-full code as a full repository or restore target does.
/// </summary>
internal sealed class StandardOutputWriteException : IOException
{
    // Linux errno values (ENOSPC, EDQUOT, EPIPE) and the Win32 errors .NET puts in an IOException's HResult on Windows.
    private const int NoSpace = 28;
    private const int QuotaExceeded = 122;
    private const int BrokenPipe = 32;
    private const int WindowsDiskFull = unchecked((int)0x80070070);
    private const int WindowsHandleDiskFull = unchecked((int)0x80070027);

    /// <summary>Creates the exception for a write that failed with <paramref name="error"/> (an errno, or an IOException's HResult).</summary>
    /// <param name="error">The errno of the failed write(2), or the HResult of the IOException the console's writer threw.</param>
    /// <param name="reason">The system's description of the error, such as "No space left on device".</param>
    /// <param name="innerException">The console writer's exception, if there was one.</param>
    public StandardOutputWriteException(int error, string reason, Exception? innerException = null)
        : base($"Could not write to standard output: {reason} ({Consequence(error)}).", innerException)
    {
        HResult = error;
        IsFull = error is NoSpace or QuotaExceeded or WindowsDiskFull or WindowsHandleDiskFull;
    }

    /// <summary>Whether the file or device standard output goes to is full (or its owner's disk quota is used up).</summary>
    public bool IsFull { get; }

    private static string Consequence(int error) => error switch
    {
        NoSpace or QuotaExceeded or WindowsDiskFull or WindowsHandleDiskFull => "the file or device it is redirected to is full; the output is incomplete",
        BrokenPipe => "whatever read it stopped reading; the output is incomplete",
        _ => "the output is incomplete",
    };
}
