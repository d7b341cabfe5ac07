using Backup.Core.Retention;
using Microsoft.Extensions.Configuration;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// Sets the jobs' keep-within durations from configuration text ("1y6m", "14d", "36h", "7.00:00:00"): the configuration
/// binder converts only the types it knows from text, and <see cref="RetentionDuration"/> is not one of them, so
/// <see cref="CheckedConfigurationBinding"/> hides these values from it and this sets them after it ran. Values that do
/// not parse are left unset; <see cref="ConfigurationKeyChecker"/> has reported them with the expected format.
/// </summary>
internal static class RetentionDurationBinding
{
    private static readonly (string Key, Action<BackupRetentionOptions, RetentionDuration> Set)[] Settings =
    [
        (nameof(BackupRetentionOptions.KeepWithin), (options, value) => options.KeepWithin = value),
        (nameof(BackupRetentionOptions.KeepWithinHourly), (options, value) => options.KeepWithinHourly = value),
        (nameof(BackupRetentionOptions.KeepWithinDaily), (options, value) => options.KeepWithinDaily = value),
        (nameof(BackupRetentionOptions.KeepWithinWeekly), (options, value) => options.KeepWithinWeekly = value),
        (nameof(BackupRetentionOptions.KeepWithinMonthly), (options, value) => options.KeepWithinMonthly = value),
        (nameof(BackupRetentionOptions.KeepWithinYearly), (options, value) => options.KeepWithinYearly = value),
    ];

    /// <summary>Sets the durations written under <c>Jobs:{job}:Retention</c> of <paramref name="section"/> on the bound <paramref name="options"/>.</summary>
    public static void Apply(IConfiguration section, BackupHostingOptions options)
    {
        foreach (var (name, job) in options.Jobs)
        {
            var retention = section.GetSection($"{nameof(BackupHostingOptions.Jobs)}:{name}:{nameof(BackupJobOptions.Retention)}");
            foreach (var (key, set) in Settings)
            {
                if (RetentionDuration.TryParse(retention[key], out var duration))
                {
                    set(job.Retention ??= new BackupRetentionOptions(), duration);
                }
            }
        }
    }
}
