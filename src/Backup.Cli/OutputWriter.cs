using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Backup.Cli;

/// <summary>
/// Writes results to stdout: JSON with --json, aligned tables and lines otherwise, nothing but JSON and data with
/// --quiet. Every human line and cell goes through <see cref="TerminalText.Escape"/> here, so a stored name can never
/// steer the terminal whichever command prints it; JSON is written exactly (its own escaping covers control characters).
/// </summary>
internal sealed class OutputWriter(CliConsole console, bool json, bool quiet)
{
    public bool IsJson => json;

    /// <summary>Writes <paramref name="value"/> as JSON (only with --json).</summary>
    public async Task WriteJsonAsync<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        await console.Out.WriteLineAsync(JsonSerializer.Serialize(value, typeInfo)).ConfigureAwait(false);
        await console.Out.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>A human message: suppressed by --quiet and --json.</summary>
    public async Task InfoAsync(string line)
    {
        if (!json && !quiet)
        {
            await console.Out.WriteLineAsync(TerminalText.Escape(line)).ConfigureAwait(false);
        }
    }

    /// <summary>A line of requested data (a listing): suppressed only by --json.</summary>
    public async Task LineAsync(string line)
    {
        if (!json)
        {
            await console.Out.WriteLineAsync(TerminalText.Escape(line)).ConfigureAwait(false);
        }
    }

    /// <summary>A warning on stderr (always shown).</summary>
    public Task WarnAsync(string message) => ErrorAsync($"warning: {message}");

    /// <summary>A warning written at once, for code that cannot wait (building a storage target).</summary>
    public void Warn(string message) => console.Error.WriteLine(TerminalText.Escape($"backup: warning: {message}"));

    /// <summary>A line on stderr, prefixed "backup: " (always shown): a problem with one entry, a failure.</summary>
    public Task ErrorAsync(string message) => console.Error.WriteLineAsync(TerminalText.Escape($"backup: {message}"));

    /// <summary>Writes rows as a table with a header, columns padded to their widest cell.</summary>
    public async Task TableAsync(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        if (json)
        {
            return;
        }

        var all = new List<IReadOnlyList<string>> { headers };
        all.AddRange(rows.Select(row => (IReadOnlyList<string>)[.. row.Select(TerminalText.Escape)]));
        var widths = new int[headers.Count];
        foreach (var row in all)
        {
            for (var i = 0; i < widths.Length; i++)
            {
                widths[i] = Math.Max(widths[i], i < row.Count ? row[i].Length : 0);
            }
        }

        var text = new StringBuilder();
        foreach (var row in all)
        {
            for (var i = 0; i < widths.Length; i++)
            {
                var cell = i < row.Count ? row[i] : string.Empty;
                text.Append(i == widths.Length - 1 ? cell : cell.PadRight(widths[i] + 2));
            }

            text.Append('\n');
            if (ReferenceEquals(row, headers))
            {
                text.Append(new string('-', widths.Sum() + 2 * (widths.Length - 1))).Append('\n');
            }
        }

        await console.Out.WriteAsync(text.ToString()).ConfigureAwait(false);
    }
}
