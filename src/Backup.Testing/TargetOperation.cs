using Backup.Core.Storage;

namespace Backup.Testing;

/// <summary>The kinds of call a target takes, for fault injection and metrics.</summary>
[Flags]
public enum TargetOperation
{
    /// <summary>No operation.</summary>
    None = 0,
    /// <summary><see cref="IBackupTarget.PutAsync"/> and the commit of a staged object (<see cref="IStagedObject.CommitAsync"/>).</summary>
    Put = 1,
    /// <summary><see cref="IBackupTarget.ReadAsync"/>.</summary>
    Get = 2,
    /// <summary><see cref="IBackupTarget.ListAsync"/>.</summary>
    List = 4,
    /// <summary><see cref="IBackupTarget.DeleteAsync"/>.</summary>
    Delete = 8,
    /// <summary><see cref="IBackupTarget.StatAsync"/>.</summary>
    Stat = 16,
    /// <summary>Every operation.</summary>
    Any = Put | Get | List | Delete | Stat,
}
