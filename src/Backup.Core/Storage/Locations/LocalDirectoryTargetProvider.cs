using Backup.Core.Repository;

namespace Backup.Core.Storage.Locations;

/// <summary>Local directories (a path or file://): built into every <see cref="TargetResolver"/>.</summary>
internal sealed class LocalDirectoryTargetProvider : ITargetProvider
{
    /// <summary>Octal permissions for new objects (default 600; 640 or 660 for a group).</summary>
    public const string FileMode = "FileMode";

    public string Scheme => RepositoryLocation.FileScheme;

    public IReadOnlyList<TargetSetting> Settings { get; } =
    [
        new(FileMode, "BACKUP_FILE_MODE", "octal permissions for new objects, such as 600 (the default), 640 or 660"),
    ];

    public IBackupTarget Create(RepositoryLocation location, TargetSettings settings, TargetCreateOptions options)
    {
        var objectPermissions = settings.GetFileMode(FileMode);
        var full = Path.GetFullPath(location.Address);
        LocalDirectoryTarget.RequireNotAFile(full);

        if (!options.CreateIfMissing && !Directory.Exists(full))
        {
            throw new RepositoryNotFoundException($"local directory '{full}'");
        }

        return new LocalDirectoryTarget(full, objectPermissions);
    }
}
