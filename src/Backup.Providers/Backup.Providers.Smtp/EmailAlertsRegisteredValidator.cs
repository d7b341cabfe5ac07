using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Backup.Providers.Smtp;

/// <summary>
/// Fails start-up when <c>AddEmailAlerts()</c> was called without an Email section (hosting validates the
/// section's own settings).
/// </summary>
internal sealed class EmailAlertsRegisteredValidator : IValidateOptions<BackupHostingOptions>
{
    public ValidateOptionsResult Validate(string? name, BackupHostingOptions options) => options.Alerts.Email is null
        ? ValidateOptionsResult.Fail($"{options.SectionPath}:Alerts:Email: AddEmailAlerts() was called but the section is missing; set Host, From and To (or remove the call).")
        : ValidateOptionsResult.Success;
}
