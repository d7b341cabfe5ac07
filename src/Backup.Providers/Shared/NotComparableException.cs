namespace Backup.Providers;

/// <summary>
/// A restored database cannot be compared with the checksums recorded at backup time for a reason of its own (the
/// tables a selective restore restored cannot be matched with the recorded ones, or the scratch user or role it was
/// read as had its password changed meanwhile): a finding the report gives as "could not be compared". Any other
/// <see cref="InvalidOperationException"/> met on the way is a bug, and is left to surface as one.
/// </summary>
/// <remarks>An <see cref="InvalidOperationException"/>, as these failures were before, for callers that catch that.</remarks>
internal sealed class NotComparableException : InvalidOperationException
{
    public NotComparableException(string message) : base(message) { }

    public NotComparableException(string message, Exception innerException) : base(message, innerException) { }

    public NotComparableException() : base("The restored database could not be compared with the checksums recorded at backup time.") { }
}
