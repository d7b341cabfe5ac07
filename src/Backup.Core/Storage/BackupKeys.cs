namespace Backup.Core.Storage;

/// <summary>Checks object keys before they reach a target, so no key can address anything outside the repository.</summary>
public static class BackupKeys
{
    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="key"/> is a relative, '/'-separated key without empty, '.' or '..' segments.</summary>
    public static void Validate(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (key[0] == '/' || key.Contains('\\', StringComparison.Ordinal) || key.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"Object key '{key}' must be relative and use '/' separators only.", nameof(key));
        }

        foreach (var segment in key.Split('/'))
        {
            if (segment.Length == 0 || segment == "." || segment == "..")
            {
                throw new ArgumentException($"Object key '{key}' has an empty, '.' or '..' segment.", nameof(key));
            }
        }
    }

    /// <summary>Like <see cref="Validate"/> but for list prefixes, which may be empty or end with '/'.</summary>
    public static void ValidatePrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var trimmed = prefix.TrimEnd('/');
        if (trimmed.Length > 0)
        {
            Validate(trimmed);
        }
    }

    /// <summary>
    /// An object name or other text read from storage, safe to print in a message: control characters become escapes,
    /// and one longer than 200 characters is cut.
    /// </summary>
    /// <param name="key">The text; null prints as empty.</param>
    /// <returns>The printable form.</returns>
    public static string Printable(string? key)
    {
        const int Longest = 200;
        key ??= string.Empty;
        var text = new System.Text.StringBuilder(Math.Min(key.Length, Longest) + 8);
        foreach (var c in key.Length > Longest ? key[..Longest] : key)
        {
            text.Append(char.IsControl(c) || char.IsSurrogate(c) ? $"\\u{(int)c:x4}" : c);
        }

        return key.Length > Longest ? text.Append('…').ToString() : text.ToString();
    }
}
