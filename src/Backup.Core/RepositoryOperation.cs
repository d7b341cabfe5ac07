using Backup.Core.Repository;
using Backup.Core.Repository.Blobs;
using Backup.Core.Repository.Locks;

namespace Backup.Core;

/// <summary>
/// An operation on a repository that holds its lock (refreshed in the background while the operation runs) and
/// started from an up-to-date index; from <see cref="BackupRepository.BeginOperationAsync(LockKind, string, CancellationToken)"/>.
/// Disposing it releases the lock.
/// </summary>
/// <remarks>
/// A lock that could not be refreshed in time (a suspended machine, a stopped process) may have lapsed; writers
/// created here check it before they store an index or a snapshot and fail with
/// <see cref="RepositoryLockLapsedException"/> rather than reference data a prune may have deleted meanwhile.
/// </remarks>
public sealed class RepositoryOperation : IAsyncDisposable
{
    private readonly BackupRepository _repository;

    internal RepositoryOperation(BackupRepository repository, RepositoryLock heldLock)
    {
        _repository = repository;
        Lock = heldLock;
    }

    /// <summary>Whether the operation holds the repository exclusively.</summary>
    public bool IsExclusive => Lock.IsExclusive;

    /// <summary>The lock this operation holds.</summary>
    internal RepositoryLock Lock { get; }

    /// <summary>Starts writing blobs under this operation's lock (see the remarks on the class).</summary>
    /// <param name="parallelism">Encoding workers; the number of processors when not given.</param>
    /// <param name="cancellationToken">Stops the writer, its uploads included, when cancelled.</param>
    internal RepositoryWriter CreateWriter(int? parallelism = null, CancellationToken cancellationToken = default) => new(_repository.Blobs, parallelism ?? Environment.ProcessorCount, Lock, cancellationToken: cancellationToken);

    /// <summary>Releases the lock.</summary>
    public ValueTask DisposeAsync() => Lock.DisposeAsync();
}
