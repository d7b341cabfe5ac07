using System.Text;

namespace Backup.DisasterRecovery;

/// <summary>
/// The end of a step's output, bounded: a chatty command or a large response body keeps only its last characters, so
/// a stored drill result stays small. Thread-safe, as a process writes standard output and error concurrently.
/// </summary>
internal sealed class OutputTail(int capacity = OutputTail.DefaultCapacity)
{
    /// <summary>The characters kept by default (a few kilobytes, enough for an error message and its context).</summary>
    public const int DefaultCapacity = 4096;

    private readonly StringBuilder _text = new();
    private readonly Lock _gate = new();
    private bool _truncated;

    /// <summary>Appends one line.</summary>
    public void AppendLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _text.Append(line).Append('\n');
            Trim();
        }
    }

    /// <summary>Appends text as it came.</summary>
    public void Append(string text)
    {
        lock (_gate)
        {
            _text.Append(text);
            Trim();
        }
    }

    /// <summary>The kept text ("…" first when the beginning was dropped), or null when there was none.</summary>
    public override string? ToString()
    {
        lock (_gate)
        {
            var text = _text.ToString().TrimEnd('\n');
            return text.Length == 0 ? null : _truncated ? "…" + text : text;
        }
    }

    private void Trim()
    {
        if (_text.Length > capacity)
        {
            _text.Remove(0, _text.Length - capacity);
            _truncated = true;
        }
    }
}
