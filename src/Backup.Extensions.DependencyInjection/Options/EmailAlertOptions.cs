namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// Email alerts over SMTP (<c>Backup:Alerts:Email</c>); sent by the Backup.Providers.Smtp package
/// (<c>AddEmailAlerts()</c>), which must be registered when this section is set.
/// </summary>
public sealed class EmailAlertOptions
{
    /// <summary>The SMTP server's host name.</summary>
    public string? Host { get; set; }

    /// <summary>The SMTP port; 0 (the default) means 465 for <see cref="EmailSecurity.SslOnConnect"/>, else 587.</summary>
    public int Port { get; set; }

    /// <summary>How the connection is secured (default <see cref="EmailSecurity.StartTls"/>).</summary>
    public EmailSecurity Security { get; set; } = EmailSecurity.StartTls;

    /// <summary>The sender address, e.g. <c>"Backup &lt;backup@example.com&gt;"</c> or <c>backup@example.com</c>.</summary>
    public string? From { get; set; }

    /// <summary>The recipients (at least one).</summary>
    public List<string> To { get; set; } = [];

    /// <summary>The SMTP user name; without one no authentication is attempted.</summary>
    public string? UserName { get; set; }

    /// <summary>A file holding the SMTP password (with <see cref="UserName"/>).</summary>
    public string? PasswordFile { get; set; }

    /// <summary>An environment variable holding the SMTP password (with <see cref="UserName"/>).</summary>
    public string? PasswordEnvironmentVariable { get; set; }

    /// <summary>The subject's prefix (default <c>[backup]</c>).</summary>
    public string SubjectPrefix { get; set; } = "[backup]";
}

/// <summary>How an SMTP connection is secured.</summary>
public enum EmailSecurity
{
    /// <summary>Plain text (only for a relay on the same host or network you trust).</summary>
    None = 0,

    /// <summary>Upgrade with STARTTLS, which the server must offer (port 587).</summary>
    StartTls = 1,

    /// <summary>TLS from the first byte (port 465).</summary>
    SslOnConnect = 2,

    /// <summary>TLS on port 465, else STARTTLS when the server offers it, else plain text.</summary>
    Auto = 3,
}
