using Backup.Core.Storage.Locations;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// Where a hosted repository's target settings come from, in this order: <see cref="BackupRepositoryOptions.Settings"/>
/// (configuration), the setting's environment variable (as the backup tool reads it), then
/// <see cref="BackupRepositoryOptions.SettingResolver"/> (code). Configuration first, so what appsettings.json says is
/// what happens; the delegate last, so a vault is asked only for what nothing else supplies.
/// </summary>
internal static class RepositoryTargetSettings
{
    /// <summary>The value of <paramref name="setting"/> for <paramref name="repository"/>, or null.</summary>
    public static string? Lookup(BackupRepositoryOptions repository, TargetSetting setting, IServiceProvider services, Func<string, string?> environment) =>
        FromConfigurationOrEnvironment(repository, setting, environment) ?? repository.SettingResolver?.Invoke(services, setting.Name);

    /// <summary>The value from configuration or the environment (what validation can see without calling code), or null.</summary>
    public static string? FromConfigurationOrEnvironment(BackupRepositoryOptions repository, TargetSetting setting, Func<string, string?> environment) =>
        repository.Settings.TryGetValue(setting.Name, out var value) && !string.IsNullOrWhiteSpace(value)
            ? value
            : setting.ReadEnvironment(environment);
}
