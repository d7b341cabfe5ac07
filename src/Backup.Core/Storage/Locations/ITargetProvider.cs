namespace Backup.Core.Storage.Locations;

/// <summary>
/// Creates the storage target of one kind of repository location (the scheme of <c>s3://bucket/prefix</c>), from the
/// location and the provider's named settings. Register providers with a <see cref="TargetResolver"/> (the backup tool
/// and the hosting layer both do); local directories are built in.
/// </summary>
public interface ITargetProvider
{
    /// <summary>The location scheme this provider handles, in lower case, without "://" (such as "s3").</summary>
    string Scheme { get; }

    /// <summary>The settings the provider reads, with the environment variables the backup tool reads them from.</summary>
    IReadOnlyList<TargetSetting> Settings { get; }

    /// <summary>A new target at <paramref name="location"/> (whose <see cref="RepositoryLocation.Scheme"/> is <see cref="Scheme"/>). The caller owns and disposes it.</summary>
    /// <exception cref="TargetConfigurationException">The location or a setting is missing or wrong; the message names it, never a secret.</exception>
    IBackupTarget Create(RepositoryLocation location, TargetSettings settings, TargetCreateOptions options);
}
