using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Backup.Providers.Smtp;

/// <summary>Adds email alerts to hosted backup jobs.</summary>
public static class EmailAlertsBackupBuilderExtensions
{
    /// <summary>
    /// Sends alerts by email as configured in <c>Backup:Alerts:Email</c> (bound with the rest of the Backup section;
    /// <paramref name="configure"/> changes it in code): Host, Port, Security, From, To, UserName with PasswordFile or
    /// PasswordEnvironmentVariable. Which outcomes alert, retries, timeouts and the repeat interval come from
    /// <c>Backup:Alerts</c>. Start-up fails, naming the setting, when the section is missing or invalid.
    /// </summary>
    public static BackupBuilder AddEmailAlerts(this BackupBuilder builder, Action<EmailAlertOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (configure is not null)
        {
            builder.Services.Configure<BackupHostingOptions>(options => configure(options.Alerts.Email ??= new EmailAlertOptions()));
        }

        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BackupHostingOptions>, EmailAlertsRegisteredValidator>());
        builder.Services.TryAddKeyedSingleton<IBackupAlertChannel>(BackupAlertOptions.EmailChannelKey, (services, _) =>
        {
            var options = services.GetRequiredService<IOptions<BackupHostingOptions>>().Value;
            return new EmailAlertChannel(
                options.Alerts.Email ?? throw new InvalidOperationException($"{options.SectionPath}:Alerts:Email: is not configured."),
                $"{options.SectionPath}:Alerts:Email");
        });
        return builder;
    }
}
