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
    public Task TableAsync(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows) =>
        TableAsync(headers, rows.Select(row => (IReadOnlyList<IReadOnlyList<string>>)[.. row.Select(cell => (IReadOnlyList<string>)[cell])]));

    /// <summary>
    /// Writes rows as a table with a header, columns padded to their widest line, where a cell is a list of lines: a
    /// row takes as many lines as its tallest cell, the others blank below their first (a snapshot's paths one per
    /// line, where joined by spaces a path with a space in it could not be told from two). Each line is escaped on its
    /// own, so no line break inside a value can start a line.
    /// </summary>
    public async Task TableAsync(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<IReadOnlyList<string>>> rows)
    {
        if (json)
        {
            return;
        }

        var all = new List<string[][]> { headers.Select(h => new[] { TerminalText.Escape(h) }).ToArray() };
        all.AddRange(rows.Select(row => row.Select(cell => cell.Select(TerminalText.Escape).ToArray()).ToArray()));
        var widths = new int[headers.Count];
        foreach (var row in all)
        {
            for (var i = 0; i < widths.Length && i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Select(line => line.Length).DefaultIfEmpty(0).Max());
            }
        }

        var text = new StringBuilder();
        for (var r = 0; r < all.Count; r++)
        {
            var row = all[r];
            var height = Math.Max(1, row.Select(cell => cell.Length).DefaultIfEmpty(0).Max());
            for (var line = 0; line < height; line++)
            {
                // A continuation line ends after its last cell, with no padding for the blank ones after it.
                var end = line == 0 ? widths.Length : Array.FindLastIndex(row, cell => line < cell.Length) + 1;
                for (var i = 0; i < end; i++)
                {
                    var cell = i < row.Length && line < row[i].Length ? row[i][line] : string.Empty;
                    text.Append(i == end - 1 ? cell : cell.PadRight(widths[i] + 2));
                }

                text.Append('\n');
            }

            if (r == 0)
            {
                text.Append(new string('-', widths.Sum() + 2 * (widths.Length - 1))).Append('\n');
            }
        }

        await console.Out.WriteAsync(text.ToString()).ConfigureAwait(false);
    }
}
