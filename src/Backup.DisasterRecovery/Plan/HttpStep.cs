namespace Backup.DisasterRecovery;

/// <summary>
/// Calls an HTTP endpoint and fails on an unexpected status. A drill calls <see cref="DrillUrl"/> (a test endpoint)
/// and skips the step when there is none.
/// </summary>
public sealed class HttpStep
{
    /// <summary>The method (default POST).</summary>
    public string Method { get; set; } = "POST";

    /// <summary>The endpoint a recovery calls. Required.</summary>
    public Uri? Url { get; set; }

    /// <summary>The endpoint a drill calls instead.</summary>
    public Uri? DrillUrl { get; set; }

    /// <summary>The request body (sent as UTF-8); null: none.</summary>
    public string? Body { get; set; }

    /// <summary>The body's content type (default application/json when there is a body).</summary>
    public string? ContentType { get; set; }

    /// <summary>Headers that are not secret.</summary>
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Headers whose values are secret, by name: where each value comes from, "env:NAME" or "file:PATH" (its first line).</summary>
    public Dictionary<string, string> SecretHeaders { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The statuses that mean success (default: any 2xx).</summary>
    public List<int> ExpectStatus { get; } = [];
}
