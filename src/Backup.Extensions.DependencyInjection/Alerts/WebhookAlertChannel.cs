using Microsoft.Extensions.Configuration;

namespace Backup.Extensions.DependencyInjection;

/// <summary>POSTs the alert's JSON body (see <see cref="AlertJson"/>), signed when a secret is configured.</summary>
internal sealed class WebhookAlertChannel(HttpClient client, WebhookAlertOptions options, string settingPath, IConfiguration? configuration, TimeProvider time) : IBackupAlertChannel
{
    private readonly Uri _url = options.Url!;

    public string Name { get; } = "webhook " + AlertUrl.Redact(options.Url!);

    public async Task SendAsync(BackupAlert alert, CancellationToken cancellationToken)
    {
        var body = AlertJson.Write(alert);
        var secret = await AlertSecret.ReadAsync(settingPath, options.SecretFile, options.SecretEnvironmentVariable, options.SecretConfigurationKey, configuration, cancellationToken).ConfigureAwait(false);
        var signature = secret is null ? null : AlertSignature.Create(secret, time.GetUtcNow().ToUnixTimeSeconds(), body);
        await AlertHttpPost.SendAsync(client, _url, body, request =>
        {
            request.Headers.Add("X-Backup-Alert-Id", alert.Id);
            if (signature is not null)
            {
                request.Headers.Add(AlertSignature.HeaderName, signature);
            }
        }, cancellationToken).ConfigureAwait(false);
    }
}
