using Backup.Core.Storage;
using Backup.Core.Transforms;

namespace Backup.Core.Repository.Locks;

/// <summary>
/// Where a repository's lock objects live and what they need: the target, the transforms that seal them under the
/// repository's key (so only key holders can take or read a lock), and how this process's locks behave.
/// </summary>
internal sealed class RepositoryLocks(IBackupTarget target, TransformChain chain, RepositoryLockOptions options)
{
    /// <summary>Where the lock objects are stored.</summary>
    public IBackupTarget Target { get; } = target;

    /// <summary>The repository's transforms, which encrypt and authenticate lock objects.</summary>
    public TransformChain Chain { get; } = chain;

    /// <summary>How this process's locks behave.</summary>
    public RepositoryLockOptions Locking { get; } = options;
}
