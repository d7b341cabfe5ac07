using Backup.Core.Storage;
using Backup.Core.Storage.Locations;
using Microsoft.Extensions.Options;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// Checks each repository's location and target settings at start-up, as <see cref="BackupOptionsValidator"/> checks the
/// rest: the location parses, its scheme has a registered provider, every name in Settings is one the provider knows
/// (else the closest it does), the required settings are given in configuration or their environment variable, and
/// a local location is not an existing file nor under one. Messages start with the configuration path and never contain a setting's value.
/// </summary>
internal sealed class RepositoryLocationValidator(TargetResolver resolver) : IValidateOptions<BackupHostingOptions>
{
    // Where a well-known provider comes from, for the message about a scheme nobody registered.
    private static readonly Dictionary<string, (string Package, string Provider)> KnownProviders = new(StringComparer.OrdinalIgnoreCase)
    {
        ["s3"] = ("Backup.Providers.S3", "S3TargetProvider"),
        ["azure"] = ("Backup.Providers.Azure", "AzureTargetProvider"),
        ["sftp"] = ("Backup.Providers.Sftp", "SftpTargetProvider"),
    };

    public ValidateOptionsResult Validate(string? name, BackupHostingOptions options)
    {
        var errors = new List<string>();
        foreach (var (repositoryName, repository) in options.Repositories)
        {
            Validate($"{options.SectionPath}:Repositories:{repositoryName}", repository, Environment.GetEnvironmentVariable, errors);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    internal void Validate(string path, BackupRepositoryOptions repository, Func<string, string?> environment, List<string> errors)
    {
        if (repository.TargetFactory is not null)
        {
            return;
        }

        var hasLocation = !string.IsNullOrWhiteSpace(repository.Location);
        var hasPath = !string.IsNullOrWhiteSpace(repository.Path);
        if (!hasLocation && !hasPath)
        {
            errors.Add($"{path}:Location: is required: a directory path or a URL such as s3://bucket/prefix (or set a target factory in code).");
            return;
        }

        if (hasLocation && hasPath && repository.Location != repository.Path)
        {
            errors.Add($"{path}: set Location or Path (its older name), not both.");
            return;
        }

        var key = $"{path}:{(hasLocation ? "Location" : "Path")}";
        RepositoryLocation location;
        ITargetProvider provider;
        try
        {
            location = RepositoryLocation.Parse(repository.EffectiveLocation!);
            provider = resolver.GetProvider(location);
        }
        catch (TargetConfigurationException e)
        {
            errors.Add($"{key}: {Unregistered(repository.EffectiveLocation!) ?? e.Message}");
            return;
        }

        // Checked now so that a mistyped Location fails start-up, not the job's first run at night.
        if (location.IsLocal && location.Address.StartsWith('~'))
        {
            // Only a shell expands "~" and "~user"; here it would be a directory of that name in the working directory.
            var rest = location.Address.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0 ? location.Address[slash..] : string.Empty;
            errors.Add($"{key}: '{location.Address}' starts with '~', which only a shell turns into a home directory: give the full path (such as /home/backup{rest}).");
        }
        else if (location.IsLocal)
        {
            var full = Path.GetFullPath(location.Address);
            if (File.Exists(full))
            {
                errors.Add($"{key}: '{full}' is a file, not a directory: give the repository's directory.");
            }
            else if (FileAbove(full) is { } file)
            {
                // The directory could never be created there; a probe would see no repository and report only "no snapshot".
                errors.Add($"{key}: '{file}' is a file, so '{full}' cannot be a directory under it: give the repository's directory.");
            }
        }

        var known = provider.Settings;
        foreach (var settingName in repository.Settings.Keys)
        {
            if (!known.Any(s => string.Equals(s.Name, settingName, StringComparison.OrdinalIgnoreCase)))
            {
                var closest = known.MinBy(s => ConfigurationKeyChecker.EditDistance(s.Name.ToUpperInvariant(), settingName.ToUpperInvariant()));
                var names = known.Count == 0 ? "none" : string.Join(", ", known.Select(s => s.Name));
                errors.Add(closest is null
                    ? $"{path}:Settings:{settingName}: is not a setting of {location.Scheme}:// locations, which take none."
                    : $"{path}:Settings:{settingName}: is not a setting of {location.Scheme}:// locations; did you mean '{closest.Name}'? (known: {names})");
            }
        }

        // A SettingResolver may supply anything; it is code, and may be a vault, so it is not called here.
        if (repository.SettingResolver is not null)
        {
            return;
        }

        foreach (var setting in known.Where(s => s.IsRequired))
        {
            if (RepositoryTargetSettings.FromConfigurationOrEnvironment(repository, setting, environment) is null)
            {
                var variable = setting.EnvironmentVariable is null ? string.Empty : $", the environment variable {setting.EnvironmentVariable}";
                errors.Add($"{path}:Settings:{setting.Name}: is required for {location.Scheme}:// locations ({setting.Description}); set it here{variable}, or give a SettingResolver in code.");
            }
        }
    }

    /// <summary>The nearest existing ancestor of <paramref name="fullPath"/> when it is a file rather than a directory; null otherwise.</summary>
    private static string? FileAbove(string fullPath)
    {
        for (var parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(fullPath)); !string.IsNullOrEmpty(parent); parent = Path.GetDirectoryName(parent))
        {
            if (File.Exists(parent))
            {
                return parent;
            }

            if (Directory.Exists(parent))
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>The message for a well-formed location whose scheme has no provider, naming what to register; null otherwise.</summary>
    private string? Unregistered(string text)
    {
        RepositoryLocation location;
        try
        {
            location = RepositoryLocation.Parse(text);
        }
        catch (TargetConfigurationException)
        {
            return null;
        }

        if (resolver.Schemes.Contains(location.Scheme))
        {
            return null;
        }

        var registered = string.Join(", ", resolver.Schemes.Select(s => s == RepositoryLocation.FileScheme ? "local directories" : s + "://"));
        return KnownProviders.TryGetValue(location.Scheme, out var known)
            ? $"'{location.Scheme}://' needs its target provider: add the {known.Package} package and call AddTargetProvider(new {known.Provider}()) in AddBackup (registered: {registered})."
            : $"'{location.Scheme}://' has no registered target provider (registered: {registered}); S3, Azure and SFTP come with Backup.Providers.S3, Backup.Providers.Azure and Backup.Providers.Sftp, registered with AddTargetProvider.";
    }
}
