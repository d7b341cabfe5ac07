namespace Backup.Providers;

/// <summary>
/// A restore was cancelled after it had begun to change its target database, which it then settled: a database it
/// had created is dropped again, one it restored over is left as the cancellation found it. The message says which in
/// this library's option names; <see cref="TargetState"/> and <see cref="Remedy"/> say it as data, for a tool that
/// words the remedy in its own. A restore cancelled before it touched the target throws a plain
/// <see cref="OperationCanceledException"/>.
/// </summary>
public sealed class DatabaseRestoreInterruptedException : OperationCanceledException
{
    /// <summary>Creates the exception.</summary>
    public DatabaseRestoreInterruptedException() : base("The restore was interrupted.") => TargetState = Message;

    /// <summary>Creates the exception.</summary>
    public DatabaseRestoreInterruptedException(string message) : base(message) => TargetState = message;

    /// <summary>Creates the exception.</summary>
    public DatabaseRestoreInterruptedException(string message, Exception? innerException) : base(message, innerException) => TargetState = message;

    /// <summary>Creates the exception for a restore that left its target as <paramref name="targetState"/> says.</summary>
    /// <param name="message">The whole message: what was interrupted, the state and the remedy in this library's option names.</param>
    /// <param name="targetState">How the target was left, without the remedy ("'shop' is partly restored").</param>
    /// <param name="remedy">What lets a restore go ahead from there.</param>
    /// <param name="innerException">The cancellation.</param>
    /// <param name="cancellationToken">The token that was cancelled.</param>
    public DatabaseRestoreInterruptedException(string message, string targetState, DatabaseRestoreRemedy remedy, Exception? innerException, CancellationToken cancellationToken)
        : base(message, innerException, cancellationToken)
    {
        TargetState = targetState;
        Remedy = remedy;
    }

    /// <summary>How the restore left its target database, without the remedy.</summary>
    public string TargetState { get; }

    /// <summary>
    /// What a restore run again needs: <see cref="DatabaseRestoreRemedy.RestoreAgainWithClean"/> when the target is
    /// partly restored, <see cref="DatabaseRestoreRemedy.VerifyAgain"/> when it is completely restored and only its
    /// verification was interrupted, <see cref="DatabaseRestoreRemedy.None"/> when it was dropped again or is as it was.
    /// </summary>
    public DatabaseRestoreRemedy Remedy { get; }
}
