namespace Backup.Core;

/// <summary>Which lock a <see cref="RepositoryOperation"/> holds on the repository.</summary>
public enum LockKind
{
    /// <summary>Backups, restores, checks and copies: shared locks never block each other.</summary>
    Shared,

    /// <summary>Operations that delete data (prune, repair): no other lock may coexist with an exclusive one.</summary>
    Exclusive,
}
