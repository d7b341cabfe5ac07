using Backup.Core.Storage;

namespace Backup.Providers;

/// <summary>
/// Reads back the lock of the first locked object a target writes, once per target (so once per command, not once
/// per object): a server can accept the lock headers and keep no lock, which only a read of the stored object shows.
/// Puts that run at the same time wait for that one read; once it confirmed the lock, later puts cost nothing; once
/// it found none, every later locked put is refused the same way. A read that failed for another reason (network,
/// cancellation) is tried again by the next locked put.
/// </summary>
internal sealed class RetentionLockReadBack
{
    private readonly Lock _gate = new();
    private Task? _readBack;

    /// <summary>
    /// Confirms the lock after the caller wrote an object with it: the first caller runs
    /// <paramref name="readBack"/> (which throws <see cref="RetentionLockNotAppliedException"/> when the storage kept
    /// no lock); on that refusal <paramref name="removeUnlocked"/> removes the object this caller wrote, since it is
    /// not the locked object it was meant to be.
    /// </summary>
    public async Task ConfirmAsync(Func<CancellationToken, Task> readBack, Func<Task> removeUnlocked, CancellationToken cancellationToken)
    {
        Task task;
        lock (_gate)
        {
            if (_readBack is null || _readBack.IsCanceled || (_readBack.IsFaulted && _readBack.Exception.InnerException is not RetentionLockNotAppliedException))
            {
                _readBack = readBack(cancellationToken);
            }

            task = _readBack;
        }

        if (task.IsCompletedSuccessfully)
        {
            return;
        }

        try
        {
            await task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RetentionLockNotAppliedException)
        {
            await removeUnlocked().ConfigureAwait(false);
            throw;
        }
    }
}
