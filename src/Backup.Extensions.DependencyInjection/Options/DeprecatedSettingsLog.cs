using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// Logs a warning for each deprecated (release 1.0) setting the options were bound from, once per options instance,
/// when they are validated (at start-up with ValidateOnStart): the host keeps running on them, and the log says what
/// to write instead.
/// </summary>
internal sealed class DeprecatedSettingsLog(CheckedConfigurationBinding binding, ILogger<DeprecatedSettingsLog> logger) : IValidateOptions<BackupHostingOptions>
{
    private readonly ConditionalWeakTable<BackupHostingOptions, object> _logged = [];

    public ValidateOptionsResult Validate(string? name, BackupHostingOptions options)
    {
        if (name == Options.DefaultName && _logged.TryAdd(options, new object()))
        {
            foreach (var deprecation in binding.Deprecations(options))
            {
                Log.DeprecatedSetting(logger, deprecation);
            }
        }

        return ValidateOptionsResult.Skip;
    }
}
