namespace Backup.Core.Storage;

/// <summary>
/// A target that can take an object piece by piece as it is produced, spooled where the target keeps its data, and
/// put it under a key chosen at the end. A repository writer uses it to build packs without holding them in memory;
/// on any other target it keeps each pack in memory until it is put.
/// </summary>
public interface IStagingTarget : IBackupTarget
{
    /// <summary>Starts an object. Nothing is visible under any key until <see cref="IStagedObject.CommitAsync"/>.</summary>
    Task<IStagedObject> BeginObjectAsync(CancellationToken cancellationToken = default);
}
