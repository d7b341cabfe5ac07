using System.Text;
using System.Text.Json;

namespace Backup.Extensions.DependencyInjection;

/// <summary>Posts a short readable message to a Slack incoming webhook or a Microsoft Teams webhook.</summary>
internal sealed class ChatAlertChannel(HttpClient client, ChatAlertOptions options) : IBackupAlertChannel
{
    private readonly Uri _url = options.Url!;

    public string Name { get; } = $"{options.Format.ToString().ToLowerInvariant()} {AlertUrl.Redact(options.Url!)}";

    public Task SendAsync(BackupAlert alert, CancellationToken cancellationToken) =>
        AlertHttpPost.SendAsync(client, _url, options.Format == ChatAlertFormat.Teams ? Teams(alert) : Slack(alert), null, cancellationToken);

    /// <summary><c>{"text": "…"}</c>: a bold title and one fact per line, in Slack's mrkdwn.</summary>
    internal static byte[] Slack(BackupAlert alert)
    {
        var text = new StringBuilder();
        text.Append(Icon(alert.Outcome)).Append(" *").Append(SlackEscape(alert.Title)).Append('*');
        foreach (var (name, value) in alert.Facts)
        {
            text.Append('\n').Append(name).Append(": ").Append(SlackEscape(value));
        }

        return Write(json => json.WriteString("text", text.ToString()));
    }

    /// <summary>
    /// A message with one Adaptive Card (version 1.4: a title and a fact set), the shape a Teams Workflows webhook
    /// flow posts as it is and a classic incoming webhook also renders.
    /// </summary>
    internal static byte[] Teams(BackupAlert alert) => Write(json =>
    {
        json.WriteString("type", "message");
        json.WriteStartArray("attachments");
        json.WriteStartObject();
        json.WriteString("contentType", "application/vnd.microsoft.card.adaptive");
        json.WriteNull("contentUrl");
        json.WriteStartObject("content");
        json.WriteString("$schema", "http://adaptivecards.io/schemas/adaptive-card.json");
        json.WriteString("type", "AdaptiveCard");
        json.WriteString("version", "1.4");
        json.WriteStartArray("body");
        json.WriteStartObject();
        json.WriteString("type", "TextBlock");
        json.WriteString("text", alert.Title);
        json.WriteString("weight", "Bolder");
        json.WriteString("size", "Medium");
        json.WriteString("color", alert.Outcome is BackupAlertOutcome.Succeeded or BackupAlertOutcome.Recovered ? "Good" : alert.Outcome == BackupAlertOutcome.Failed ? "Attention" : "Warning");
        json.WriteBoolean("wrap", true);
        json.WriteEndObject();
        json.WriteStartObject();
        json.WriteString("type", "FactSet");
        json.WriteStartArray("facts");
        foreach (var (name, value) in alert.Facts)
        {
            json.WriteStartObject();
            json.WriteString("title", name);
            json.WriteString("value", value);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndArray();
    });

    private static string Icon(BackupAlertOutcome outcome) => outcome switch
    {
        BackupAlertOutcome.Failed => ":red_circle:",
        BackupAlertOutcome.Succeeded or BackupAlertOutcome.Recovered => ":large_green_circle:",
        _ => ":large_yellow_circle:",
    };

    // Slack reads &, < and > as markup; everything else is literal.
    private static string SlackEscape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private static byte[] Write(Action<Utf8JsonWriter> content)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            content(json);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
