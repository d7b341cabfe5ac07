using System.Net.Sockets;
using Backup.Extensions.DependencyInjection;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Backup.Providers.Smtp;

/// <summary>
/// Sends one alert as a plain-text email: one connection per attempt (alerts are rare; a held connection would go
/// stale between them). The dispatcher in hosting retries, times out and logs.
/// </summary>
internal sealed class EmailAlertChannel(EmailAlertOptions options, string settingPath) : IBackupAlertChannel
{
    private readonly int _port = options.Port != 0 ? options.Port : options.Security == EmailSecurity.SslOnConnect ? 465 : 587;

    public string Name => $"email {options.Host}:{_port}";

    public async Task SendAsync(BackupAlert alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        using var message = CreateMessage(alert);
        using var client = new SmtpClient();
        try
        {
            await client.ConnectAsync(options.Host!, _port, SocketOptions(options.Security), cancellationToken).ConfigureAwait(false);
            if (!string.IsNullOrWhiteSpace(options.UserName))
            {
                var password = await ReadPasswordAsync(cancellationToken).ConfigureAwait(false);
                await client.AuthenticateAsync(options.UserName, password, cancellationToken).ConfigureAwait(false);
            }

            await client.SendAsync(message, cancellationToken).ConfigureAwait(false);
            await client.DisconnectAsync(quit: true, cancellationToken).ConfigureAwait(false);
        }
        catch (AuthenticationException e)
        {
            // Trying again with the same password only risks locking the account.
            throw new BackupAlertDeliveryException($"{settingPath}:UserName: the SMTP server rejected the credentials of '{options.UserName}' ({e.Message})", isTransient: false, e);
        }
        catch (SmtpCommandException e)
        {
            // 4xx replies are temporary by definition (greylisting, a full queue); 5xx ones are not.
            throw new BackupAlertDeliveryException($"SMTP {(int)e.StatusCode}: {e.Message}", isTransient: (int)e.StatusCode < 500, e);
        }
        catch (SslHandshakeException e)
        {
            throw new BackupAlertDeliveryException($"{settingPath}:Security: TLS with {options.Host}:{_port} failed ({e.Message.Split('\n')[0].Trim()})", isTransient: false, e);
        }
        catch (Exception e) when (e is SmtpProtocolException or ServiceNotConnectedException or SocketException or IOException)
        {
            throw new BackupAlertDeliveryException($"{options.Host}:{_port}: {e.Message}", isTransient: true, e);
        }
    }

    private MimeMessage CreateMessage(BackupAlert alert)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(options.From!));
        foreach (var to in options.To)
        {
            message.To.Add(MailboxAddress.Parse(to));
        }

        message.Subject = string.IsNullOrWhiteSpace(options.SubjectPrefix) ? alert.Title : $"{options.SubjectPrefix} {alert.Title}";
        message.Date = alert.EndTime;
        message.Headers.Add("X-Backup-Alert-Id", alert.Id);
        message.Body = new TextPart("plain") { Text = alert.ToText() };
        return message;
    }

    private async Task<string> ReadPasswordAsync(CancellationToken cancellationToken)
    {
        string? password;
        if (!string.IsNullOrWhiteSpace(options.PasswordFile))
        {
            try
            {
                password = await Backup.Core.Crypto.SecretFile.ReadAsync(options.PasswordFile, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                throw new BackupAlertDeliveryException($"{settingPath}:PasswordFile: cannot read '{options.PasswordFile}' ({e.GetType().Name}).", isTransient: false, e);
            }
        }
        else
        {
            password = Environment.GetEnvironmentVariable(options.PasswordEnvironmentVariable ?? string.Empty);
        }

        return string.IsNullOrEmpty(password)
            ? throw new BackupAlertDeliveryException($"{settingPath}: the SMTP password is empty or not set (PasswordFile or PasswordEnvironmentVariable).", isTransient: false)
            : password;
    }

    private static SecureSocketOptions SocketOptions(EmailSecurity security) => security switch
    {
        EmailSecurity.None => SecureSocketOptions.None,
        EmailSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
        EmailSecurity.Auto => SecureSocketOptions.Auto,
        _ => SecureSocketOptions.StartTls,
    };
}
