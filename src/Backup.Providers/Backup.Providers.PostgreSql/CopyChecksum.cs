using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;

namespace Backup.Providers.PostgreSql;

/// <summary>
/// A table's row count and checksum taken from its binary COPY stream as it passes, so a backup needs no second
/// read of the table: every tuple (its field count, field lengths and field bytes, exactly as COPY sends them) is
/// hashed with XXH64 and the hashes are summed modulo 2^64. The sum does not depend on row order, keeps duplicates,
/// and costs one pass over bytes that are read anyway. The verifier takes the same from the restored table.
/// </summary>
/// <remarks>
/// The binary form of a value is its type's send function: the same value gives the same bytes on any server of
/// the same major version, and a restore through binary COPY gives back the same values. Types whose binary form
/// carries an object id (arrays and records of user-defined types) would differ between a database and its
/// restore, so tables with such columns are measured as SQL text instead (see <see cref="CopyChecksums"/>).
/// </remarks>
internal sealed class CopyChecksum
{
    /// <summary>The kind recorded in a snapshot's metadata for checksums taken this way.</summary>
    public const string Kind = "copy-binary-xxh64-sum";

    private static ReadOnlySpan<byte> Signature => [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', 0x0A, 0xFF, 0x0D, 0x0A, 0x00];

    private readonly XxHash64 _row = new();
    private State _state = State.Header;
    private int _need = 19; // signature (11), flags (4), header extension length (4)
    private readonly byte[] _small = new byte[19];
    private int _have;
    private int _fieldsLeft;
    private ulong _sum;

    private enum State
    {
        Header,
        HeaderExtension,
        FieldCount,
        FieldLength,
        FieldData,
        Done,
    }

    /// <summary>Rows seen.</summary>
    public long Rows { get; private set; }

    /// <summary>Whether the stream's trailer was seen (a complete COPY).</summary>
    public bool Complete => _state == State.Done;

    /// <summary>The checksum as recorded: 16 hex digits.</summary>
    public string Value => _sum.ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>Takes the next bytes of the stream.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a binary COPY stream.</exception>
    public void Append(ReadOnlySpan<byte> data)
    {
        var rowStart = 0;
        var i = 0;
        while (i < data.Length)
        {
            switch (_state)
            {
                case State.FieldData:
                {
                    var take = Math.Min(_need, data.Length - i);
                    i += take;
                    _need -= take;
                    if (_need == 0)
                    {
                        NextField(data, ref rowStart, i);
                    }

                    break;
                }

                case State.Done:
                    throw new InvalidDataException("binary COPY stream: data after the trailer");
                default:
                {
                    // Fixed-size parts (header, counts, lengths) may straddle two reads: gather them first.
                    var take = Math.Min(_need - _have, data.Length - i);
                    data.Slice(i, take).CopyTo(_small.AsSpan(_have));
                    _have += take;
                    i += take;
                    if (_have == _need)
                    {
                        _have = 0;
                        Parsed(data, ref rowStart, i);
                    }

                    break;
                }
            }
        }

        // The part of a row this read ends in the middle of (empty when it ended on a row boundary).
        if (_state is State.FieldCount or State.FieldLength or State.FieldData && _fieldsLeft >= 0)
        {
            _row.Append(data[rowStart..]);
        }
    }

    private void Parsed(ReadOnlySpan<byte> data, ref int rowStart, int end)
    {
        switch (_state)
        {
            case State.Header:
                if (!_small.AsSpan(0, 11).SequenceEqual(Signature))
                {
                    throw new InvalidDataException("binary COPY stream: bad signature");
                }

                var extension = BinaryPrimitives.ReadInt32BigEndian(_small.AsSpan(15));
                _state = extension > 0 ? State.HeaderExtension : State.FieldCount;
                _need = extension > 0 ? extension : 2;
                if (extension > _small.Length)
                {
                    // Never sent by current servers; skip it without buffering.
                    _state = State.FieldData;
                    _need = extension;
                    _fieldsLeft = -1;
                }

                rowStart = end;
                break;
            case State.HeaderExtension:
                _state = State.FieldCount;
                _need = 2;
                rowStart = end;
                break;
            case State.FieldCount:
                var count = BinaryPrimitives.ReadInt16BigEndian(_small);
                if (count == -1)
                {
                    _state = State.Done;
                    _need = 0;
                    rowStart = end;
                    return;
                }

                if (count < 0)
                {
                    throw new InvalidDataException("binary COPY stream: negative field count");
                }

                _fieldsLeft = count;
                NextLengthOrRowEnd(data, ref rowStart, end);
                break;
            case State.FieldLength:
                var length = BinaryPrimitives.ReadInt32BigEndian(_small);
                _fieldsLeft--;
                if (length > 0)
                {
                    _state = State.FieldData;
                    _need = length;
                }
                else
                {
                    // NULL (-1) or empty: no data bytes follow.
                    NextLengthOrRowEnd(data, ref rowStart, end);
                }

                break;
        }
    }

    private void NextField(ReadOnlySpan<byte> data, ref int rowStart, int end)
    {
        if (_fieldsLeft < 0)
        {
            // The end of a skipped header extension.
            _row.Reset();
            _state = State.FieldCount;
            _need = 2;
            rowStart = end;
            return;
        }

        NextLengthOrRowEnd(data, ref rowStart, end);
    }

    private void NextLengthOrRowEnd(ReadOnlySpan<byte> data, ref int rowStart, int end)
    {
        if (_fieldsLeft > 0)
        {
            _state = State.FieldLength;
            _need = 4;
            return;
        }

        _row.Append(data[rowStart..end]);
        _sum += _row.Digest();
        _row.Reset();
        Rows++;
        rowStart = end;
        _state = State.FieldCount;
        _need = 2;
    }
}
