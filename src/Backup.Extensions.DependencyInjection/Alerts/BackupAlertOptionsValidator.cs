using System.Net.Mail;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// Validates <c>Backup:Alerts</c> at start-up; every message names the setting, e.g.
/// "Backup:Alerts:Webhooks:0:Url: http:// to example.com sends alerts in clear text; …".
/// </summary>
internal sealed class BackupAlertOptionsValidator(IServiceProvider services) : IValidateOptions<BackupHostingOptions>
{
    public ValidateOptionsResult Validate(string? name, BackupHostingOptions options)
    {
        var alerts = options.Alerts;
        var path = $"{options.SectionPath}:Alerts";
        var errors = new List<string>();
        foreach (var outcome in alerts.On.Where(o => !Enum.IsDefined(o)))
        {
            errors.Add($"{path}:On: '{outcome}' is not an alert outcome ({string.Join(", ", Enum.GetNames<BackupAlertOutcome>())}).");
        }

        if (alerts.RepeatInterval < TimeSpan.Zero)
        {
            errors.Add($"{path}:RepeatInterval: must not be negative (zero alerts every time).");
        }

        if (alerts.Timeout <= TimeSpan.Zero)
        {
            errors.Add($"{path}:Timeout: must be positive.");
        }

        if (alerts.AttemptTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{path}:AttemptTimeout: must be positive.");
        }

        if (alerts.Attempts is < 1 or > 10)
        {
            errors.Add($"{path}:Attempts: must be between 1 and 10.");
        }

        if (alerts.RetryDelay < TimeSpan.Zero)
        {
            errors.Add($"{path}:RetryDelay: must not be negative.");
        }

        for (var i = 0; i < alerts.Webhooks.Count; i++)
        {
            ValidateWebhook($"{path}:Webhooks:{i}", alerts.Webhooks[i], errors);
        }

        for (var i = 0; i < alerts.Chat.Count; i++)
        {
            var chat = alerts.Chat[i];
            CheckUrl($"{path}:Chat:{i}:Url", chat.Url, chat.AllowInsecureHttp, errors);
            if (!Enum.IsDefined(chat.Format))
            {
                errors.Add($"{path}:Chat:{i}:Format: '{chat.Format}' is not Slack or Teams.");
            }
        }

        if (alerts.Email is { } email)
        {
            ValidateEmail($"{path}:Email", email, errors);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateWebhook(string path, WebhookAlertOptions webhook, List<string> errors)
    {
        CheckUrl($"{path}:Url", webhook.Url, webhook.AllowInsecureHttp, errors);
        CheckSecret(path, "Secret", webhook.SecretFile, webhook.SecretEnvironmentVariable, webhook.SecretConfigurationKey, errors);
    }

    private void ValidateEmail(string path, EmailAlertOptions email, List<string> errors)
    {
        // Asks whether the channel is registered without building it: building it reads these options (a cycle).
        if (services.GetService<IServiceProviderIsKeyedService>()?.IsKeyedService(typeof(IBackupAlertChannel), BackupAlertOptions.EmailChannelKey) != true)
        {
            errors.Add($"{path}: email alerts are configured but not registered; add the Backup.Providers.Smtp package and call AddEmailAlerts() on the backup builder (or remove this section).");
        }

        if (string.IsNullOrWhiteSpace(email.Host))
        {
            errors.Add($"{path}:Host: is required (the SMTP server).");
        }

        if (email.Port is < 0 or > 65535)
        {
            errors.Add($"{path}:Port: {email.Port} is not a TCP port (1-65535; 0 picks 465 or 587 by Security).");
        }

        if (!Enum.IsDefined(email.Security))
        {
            errors.Add($"{path}:Security: '{email.Security}' is not one of {string.Join(", ", Enum.GetNames<EmailSecurity>())}.");
        }

        if (string.IsNullOrWhiteSpace(email.From))
        {
            errors.Add($"{path}:From: is required (the sender address).");
        }
        else if (!MailAddress.TryCreate(email.From, out _))
        {
            errors.Add($"{path}:From: '{email.From}' is not an email address.");
        }

        if (email.To.Count == 0)
        {
            errors.Add($"{path}:To: at least one recipient is required.");
        }

        for (var i = 0; i < email.To.Count; i++)
        {
            if (!MailAddress.TryCreate(email.To[i], out _))
            {
                errors.Add($"{path}:To:{i}: '{email.To[i]}' is not an email address.");
            }
        }

        var passwords = CountSet(email.PasswordFile, email.PasswordEnvironmentVariable);
        if (string.IsNullOrWhiteSpace(email.UserName))
        {
            if (passwords > 0)
            {
                errors.Add($"{path}:UserName: is required with a password (or remove PasswordFile/PasswordEnvironmentVariable).");
            }
        }
        else
        {
            CheckSecret(path, "Password", email.PasswordFile, email.PasswordEnvironmentVariable, null, errors, required: true);
        }
    }

    private static void CheckUrl(string path, Uri? url, bool allowInsecureHttp, List<string> errors)
    {
        if (AlertUrl.Problem(url, allowInsecureHttp) is { } problem)
        {
            // The URL itself may hold a token: name its scheme and host only.
            errors.Add($"{path}: {problem}");
        }
    }

    private static void CheckSecret(string path, string secret, string? file, string? environmentVariable, string? configurationKey, List<string> errors, bool required = false)
    {
        var count = CountSet(file, environmentVariable, configurationKey);
        var names = configurationKey is null && required
            ? $"{secret}File or {secret}EnvironmentVariable"
            : $"{secret}File, {secret}EnvironmentVariable or {secret}ConfigurationKey";
        if (count > 1)
        {
            errors.Add($"{path}: more than one {secret.ToLowerInvariant()} source; set only one of {names}.");
        }
        else if (count == 0 && required)
        {
            errors.Add($"{path}: a user name needs a password; set {names}.");
        }
        else if (!string.IsNullOrWhiteSpace(file) && !File.Exists(file))
        {
            errors.Add($"{path}:{secret}File: '{file}' does not exist.");
        }
        else if (EnvironmentVariableName.Check($"{path}:{secret}EnvironmentVariable", environmentVariable) is { } badName)
        {
            errors.Add(badName);
        }
        else if (!string.IsNullOrWhiteSpace(environmentVariable) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(environmentVariable)))
        {
            errors.Add($"{path}:{secret}EnvironmentVariable: the {EnvironmentVariableName.Describe(environmentVariable)} is not set.");
        }
    }

    private static int CountSet(params string?[] values) => values.Count(v => !string.IsNullOrWhiteSpace(v));
}
