using System.Text.Json;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// The webhook body, version 1 (docs/alerts.md documents it; fields are only ever added). Written by hand so the
/// field names and order are fixed and no reflection is needed.
/// </summary>
internal static class AlertJson
{
    public const int Version = 1;

    public static byte[] Write(BackupAlert alert)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("version", Version);
            json.WriteString("id", alert.Id);
            json.WriteString("job", alert.JobName);
            json.WriteString("outcome", alert.Outcome.ToString());
            json.WriteString("jobOutcome", alert.JobOutcome.ToString());
            json.WriteString("host", alert.Host);
            json.WriteString("startTime", alert.StartTime.ToUniversalTime());
            json.WriteString("endTime", alert.EndTime.ToUniversalTime());
            json.WriteNumber("durationSeconds", Math.Round(alert.Duration.TotalSeconds, 3));
            WriteNullable(json, "snapshot", alert.SnapshotId);
            WriteNullable(json, "files", alert.Files);
            WriteNullable(json, "bytesStored", alert.BytesStored);
            json.WriteNumber("problems", alert.Problems);
            WriteNullable(json, "error", alert.Error);
            if (alert.VerificationSucceeded is { } verified)
            {
                json.WriteStartObject("verification");
                json.WriteBoolean("succeeded", verified);
                WriteNullable(json, "message", alert.Verification);
                json.WriteEndObject();
            }
            else
            {
                json.WriteNull("verification");
            }

            json.WriteStartArray("failedCopies");
            foreach (var copy in alert.FailedCopies)
            {
                json.WriteStringValue(copy);
            }

            json.WriteEndArray();
            json.WriteNumber("suppressed", alert.Suppressed);
            json.WriteString("title", alert.Title);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, long? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
