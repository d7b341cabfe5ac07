using System.Data.Common;

namespace Backup.Providers;

/// <summary>
/// What a restore that failed or was interrupted leaves of its target database, settled and said in the exception:
/// a database the restore created is dropped again, so that nothing half-restored is left looking like a restored
/// database and a second attempt needs no Clean; one it restored over stays, and the message says in what state.
/// </summary>
internal static class FailedRestore
{
    private const string UnchangedKey = "Backup.Providers.FailedRestore.Unchanged";

    /// <summary>Marks <paramref name="failure"/> as raised before the restore changed its target, so <see cref="SettleAsync"/> says the target is as it was rather than partly restored.</summary>
    public static T Unchanged<T>(T failure)
        where T : Exception
    {
        failure.Data[UnchangedKey] = true;
        return failure;
    }

    /// <summary>
    /// Settles the target after a failure and says how it was left: dropped when
    /// <paramref name="created"/>, otherwise partly restored, or unchanged when <paramref name="transactional"/> (one
    /// transaction that did not commit). The drop runs even when the caller's token was cancelled, bounded in time.
    /// </summary>
    /// <param name="failure">What stopped the restore.</param>
    /// <param name="target">The database.</param>
    /// <param name="created">Whether this restore created it.</param>
    /// <param name="transactional">Whether the restore ran as one transaction (which the failure rolled back).</param>
    /// <param name="drop">Drops the database; false when it found the name taken by another database meanwhile, and left that alone.</param>
    /// <param name="log">Logs how the target was left.</param>
    /// <returns>
    /// The exception to throw instead of <paramref name="failure"/>, saying how the target was left, for the two kinds
    /// callers act on (a failed restore, an interruption: <see cref="DatabaseRestoreInterruptedException"/>); null for
    /// any other, which is rethrown as it is.
    /// </returns>
    public static async Task<Exception?> SettleAsync(Exception failure, string target, bool created, bool transactional, Func<CancellationToken, Task<bool>> drop, Action<string> log)
    {
        var (state, remedy) = await StateAfterAsync(target, created, transactional || failure.Data.Contains(UnchangedKey), drop).ConfigureAwait(false);
        // The exception words the remedy (in this library's option names); the log says the same.
        var said = new DatabaseRestoreException(state, remedy).Message;
        log(said);
        return failure switch
        {
            DatabaseRestoreException restore => new DatabaseRestoreException(Join(restore.Message, state), remedy, restore),
            OperationCanceledException cancelled => new DatabaseRestoreInterruptedException(Join(cancelled.Message, said), state, remedy, cancelled, cancelled.CancellationToken),
            _ => null,
        };
    }

    private static async Task<(string State, DatabaseRestoreRemedy Remedy)> StateAfterAsync(string target, bool created, bool transactional, Func<CancellationToken, Task<bool>> drop)
    {
        if (!created)
        {
            return transactional
                ? ($"'{target}' is as it was before.", DatabaseRestoreRemedy.None)
                : ($"'{target}' is partly restored", DatabaseRestoreRemedy.RestoreAgainWithClean);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            return (await drop(timeout.Token).ConfigureAwait(false)
                ? $"The database '{target}' this restore had created was dropped again."
                : $"The database '{target}' this restore had created was replaced by another of that name meanwhile, which was left alone.", DatabaseRestoreRemedy.None);
        }
        catch (Exception ex) when (ex is DbException or OperationCanceledException or TimeoutException)
        {
            return ($"The database '{target}' this restore created could not be dropped again ({ex.Message}) and is partly restored: drop it before trying again.", DatabaseRestoreRemedy.None);
        }
    }

    // A tool's stderr may end the message over several lines; the state then goes on a line of its own.
    private static string Join(string message, string state) =>
        message.Contains('\n', StringComparison.Ordinal) ? $"{message.TrimEnd()}\n{state}" : $"{message.TrimEnd().TrimEnd('.')}. {state}";
}
