namespace Backup.Core.Storage;

/// <summary>The kinds of call a target takes, for fault injection and metrics.</summary>
[Flags]
public enum TargetOperation
{
    /// <summary>No operation.</summary>
    None = 0,
    /// <summary><see cref="IBackupTarget.PutAsync"/>.</summary>
    Put = 1,
    /// <summary><see cref="IBackupTarget.GetAsync(string, CancellationToken)"/>, <see cref="IBackupTarget.GetAsync(string, long, CancellationToken)"/> and <see cref="IBackupTarget.GetRangeAsync"/>.</summary>
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
