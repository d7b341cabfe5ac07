namespace Backup.Extensions.DependencyInjection;

/// <summary>A chat webhook (<c>Backup:Alerts:Chat:N</c>): a short readable message to Slack or Microsoft Teams.</summary>
public sealed class ChatAlertOptions
{
    /// <summary>The webhook URL (it usually contains a token: it is never logged beyond its scheme and host).</summary>
    public Uri? Url { get; set; }

    /// <summary>The message format the webhook accepts.</summary>
    public ChatAlertFormat Format { get; set; } = ChatAlertFormat.Slack;

    /// <summary>Allows an http:// URL to a host other than loopback.</summary>
    public bool AllowInsecureHttp { get; set; }
}

/// <summary>The message format of a chat webhook.</summary>
public enum ChatAlertFormat
{
    /// <summary>A Slack incoming webhook: <c>{"text": "…"}</c> (Mattermost and Rocket.Chat accept it too).</summary>
    Slack = 0,

    /// <summary>
    /// Microsoft Teams: a message with one small Adaptive Card, which a Workflows "post to a channel when a webhook
    /// request is received" flow and a classic incoming webhook both accept.
    /// </summary>
    Teams = 1,
}
