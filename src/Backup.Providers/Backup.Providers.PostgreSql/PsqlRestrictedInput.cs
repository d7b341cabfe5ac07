using System.Text;

namespace Backup.Providers.PostgreSql;

/// <summary>
/// The standard input of a psql that restores a plain dump, with psql's meta-commands switched off: it starts with
/// <c>\restrict KEY</c>, a key drawn for this restore that nothing in the dump can know, so psql refuses every
/// backslash command after it (<c>\!</c> runs a shell command, <c>\o |cmd</c> and <c>\copy … program</c> too,
/// <c>\set ON_ERROR_STOP</c> would let a failure pass, <c>\connect</c> would change the database) and the restore
/// fails on the first one. SQL and COPY data pass unchanged.
/// </summary>
/// <remarks>
/// pg_dump 13.22, 14.19, 15.14, 16.10, 17.6 and later write their own <c>\restrict K</c> after the opening comment
/// block and <c>\unrestrict K</c> at the end; psql refuses to nest them, so that one pair is removed: a
/// <c>\restrict</c> line before any statement, and a line that is exactly <c>\unrestrict</c> with the same key. A
/// dump that removes or changes the pair gains nothing, since the restriction in force is this one. Only lines
/// that start with a backslash, and are at most <see cref="LineLimit"/> bytes long, are looked at, so the dump streams
/// through otherwise untouched.
/// </remarks>
internal sealed class PsqlRestrictedInput(Stream inner, string key) : LineFilterStream(inner)
{
    /// <summary>The longest line starting with a backslash that is looked at; pg_dump's keys are 64 characters.</summary>
    private const int LineLimit = 256;

    private readonly byte[] _preamble = Encoding.ASCII.GetBytes($"\\restrict {key}\n");
    private bool _beforeFirstStatement = true;
    private bool _started;
    private string? _dumpKey;

    protected override void OnLine(ReadOnlySpan<byte> line)
    {
        Start();
        var content = line.EndsWith("\n"u8) ? line[..^1] : line;
        if (content.Length < line.Length && content.Length <= LineLimit && line[0] == (byte)'\\')
        {
            // A whole line that starts with a backslash: all go to psql but the dump's own restrict pair.
            if (Keep(content))
            {
                Emit(line);
            }

            return;
        }

        Seen(line[0]);
        Emit(line);
    }

    protected override void OnLongLine(ReadOnlySpan<byte> start)
    {
        Start();
        Seen(start[0]);
    }

    /// <summary>Writes the preamble even when the dump was empty.</summary>
    protected override void OnEnd() => Start();

    private void Start()
    {
        if (!_started)
        {
            Emit(_preamble);
            _started = true;
        }
    }

    /// <summary>Comments and blank lines may precede pg_dump's own \restrict; anything else is a statement.</summary>
    private void Seen(byte first)
    {
        if (first is not ((byte)'-' or (byte)'\n' or (byte)'\r'))
        {
            _beforeFirstStatement = false;
        }
    }

    /// <summary>Whether a complete line that starts with a backslash goes to psql (all do but the dump's own restrict pair).</summary>
    private bool Keep(ReadOnlySpan<byte> line)
    {
        var text = Encoding.UTF8.GetString(line).TrimEnd('\r');
        if (_beforeFirstStatement && _dumpKey is null && text.StartsWith("\\restrict ", StringComparison.Ordinal) && text.Length > "\\restrict ".Length)
        {
            _dumpKey = text["\\restrict ".Length..].Trim();
            return false;
        }

        _beforeFirstStatement = false;
        return !(_dumpKey is not null && text == "\\unrestrict " + _dumpKey);
    }
}
