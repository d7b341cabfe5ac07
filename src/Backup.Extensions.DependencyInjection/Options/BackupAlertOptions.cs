namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// Alerts on job outcomes (configuration section <c>Backup:Alerts</c>): JSON webhooks, Slack or Teams messages and,
/// with the Backup.Providers.Smtp package, email. Every delivery is retried with backoff within <see cref="Timeout"/>;
/// a failed alert is logged and never fails the backup.
/// </summary>
public sealed class BackupAlertOptions
{
    /// <summary>
    /// The service key of the email channel (registered by <c>AddEmailAlerts()</c> in Backup.Providers.Smtp). An
    /// <see cref="Email"/> section without a channel under this key fails start-up validation.
    /// </summary>
    public const string EmailChannelKey = "Email";

    /// <summary>
    /// Which outcomes alert. Empty (the default) means Failed, Partial, Degraded and Recovered. A Recovered alert is
    /// sent when this lists Recovered or Succeeded.
    /// </summary>
    public List<BackupAlertOutcome> On { get; set; } = [];

    /// <summary>
    /// The same job and outcome alert at most once per interval; the next alert says how many were suppressed.
    /// Zero alerts every time. Default one hour.
    /// </summary>
    public TimeSpan RepeatInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long one alert may take on one channel, all attempts and delays included (default 30 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one attempt may take before it is abandoned and retried (default 10 s).</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many times a delivery is attempted in all (default 3; at least 1, at most 10).</summary>
    public int Attempts { get; set; } = 3;

    /// <summary>The delay before the first retry, doubled before each further one (default 1 s).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The host name alerts report (default: the machine name).</summary>
    public string? Host { get; set; }

    /// <summary>Generic JSON webhooks (the body is documented in docs/alerts.md), optionally HMAC-signed.</summary>
    public List<WebhookAlertOptions> Webhooks { get; set; } = [];

    /// <summary>Chat webhooks: Slack incoming webhooks or Microsoft Teams (Workflows or incoming webhook).</summary>
    public List<ChatAlertOptions> Chat { get; set; } = [];

    /// <summary>Email over SMTP; needs <c>AddEmailAlerts()</c> from the Backup.Providers.Smtp package.</summary>
    public EmailAlertOptions? Email { get; set; }

    internal IReadOnlySet<BackupAlertOutcome> EffectiveOutcomes => On.Count == 0
        ? new HashSet<BackupAlertOutcome> { BackupAlertOutcome.Failed, BackupAlertOutcome.Partial, BackupAlertOutcome.Degraded, BackupAlertOutcome.Recovered }
        : new HashSet<BackupAlertOutcome>(On);
}
