using System.Text;

namespace Backup.Providers.PostgreSql;

/// <summary>
/// The SEQUENCE SET entries of a plain SQL dump (<c>pg_dump -Fp</c>), read line by line as the script streams past:
/// a header <c>-- Name: NAME; Type: SEQUENCE SET; Schema: SCHEMA; Owner: OWNER</c>, then the entry's setval statement.
/// </summary>
/// <remarks>
/// The script is the table's rows too, and a row may read like a header. Rows are skipped (from a <c>COPY … FROM
/// stdin;</c> line to its <c>\.</c>, which no row can be: COPY's text form escapes a backslash), and a sequence set
/// more than once, in whatever text, gets no value here (its checksum stays the one measured at the pin), so text in a
/// database never chooses the checksum recorded for one of its sequences. Only the start of a line longer than <see cref="LongestLine"/> is
/// held: no header, statement or COPY line is that long.
/// </remarks>
internal sealed class PgScriptSequenceValues : PgDumpSequenceValues
{
    private const int LongestLine = 64 * 1024;
    private const string HeaderPrefix = "-- Name: ";
    private const string SequenceSetType = "; Type: SEQUENCE SET; Schema: ";
    private const string OwnerSeparator = "; Owner: ";

    private readonly byte[] _line = new byte[LongestLine];
    private int _lineLength;
    private bool _lineTooLong;
    private bool _inRows;
    private (string Schema, string Name)? _header;

    /// <inheritdoc />
    public override void Observe(ReadOnlySpan<byte> chunk)
    {
        while (!chunk.IsEmpty)
        {
            var newline = chunk.IndexOf((byte)'\n');
            var part = newline < 0 ? chunk : chunk[..newline];
            if (!_lineTooLong && _lineLength + part.Length <= LongestLine)
            {
                part.CopyTo(_line.AsSpan(_lineLength));
                _lineLength += part.Length;
            }
            else
            {
                _lineTooLong = true;
            }

            if (newline < 0)
            {
                return;
            }

            if (!_lineTooLong)
            {
                Line(_line.AsSpan(0, _lineLength));
            }
            else if (!_inRows)
            {
                // A statement, not a setval: the header before it (if any) is not a sequence's.
                _header = null;
            }

            _lineLength = 0;
            _lineTooLong = false;
            chunk = chunk[(newline + 1)..];
        }
    }

    /// <inheritdoc />
    public override void Complete()
    {
        // A script read to its end has nothing pending worth a problem: a last line without a newline is no entry's.
    }

    private void Line(ReadOnlySpan<byte> bytes)
    {
        if (bytes.EndsWith("\r"u8))
        {
            bytes = bytes[..^1];
        }

        if (_inRows)
        {
            _inRows = !bytes.SequenceEqual("\\."u8);
            return;
        }

        if (bytes.StartsWith("COPY "u8) && bytes.EndsWith(" FROM stdin;"u8))
        {
            _inRows = true;
            _header = null;
            return;
        }

        if (bytes.StartsWith("--"u8))
        {
            if (bytes.StartsWith("-- Name: "u8))
            {
                _header = SequenceSetHeader(Encoding.UTF8.GetString(bytes));
            }

            return;
        }

        if (bytes.IsEmpty || _header is not { } header)
        {
            return;
        }

        Add(header.Schema, header.Name, Encoding.UTF8.GetString(bytes));
        _header = null;
    }

    /// <summary>The sequence a SEQUENCE SET header names; null for any other header.</summary>
    private static (string Schema, string Name)? SequenceSetHeader(string line)
    {
        var typeAt = line.IndexOf(SequenceSetType, StringComparison.Ordinal);
        var ownerAt = line.LastIndexOf(OwnerSeparator, StringComparison.Ordinal);
        if (typeAt < HeaderPrefix.Length || ownerAt < typeAt + SequenceSetType.Length)
        {
            return null;
        }

        return (line[(typeAt + SequenceSetType.Length)..ownerAt], line[HeaderPrefix.Length..typeAt]);
    }
}
