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

    private readonly XxHash64Stream _row = new();
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

    /// <summary>XXH64 (seed 0) over bytes that arrive in pieces.</summary>
    private sealed class XxHash64Stream
    {
        private const ulong P1 = 11400714785074694791UL;
        private const ulong P2 = 14029467366897019727UL;
        private const ulong P3 = 1609587929392839161UL;
        private const ulong P4 = 9650029242287828579UL;
        private const ulong P5 = 2870177450012600261UL;

        private readonly byte[] _buffer = new byte[32];
        private ulong _v1, _v2, _v3, _v4, _total;
        private int _buffered;

        public XxHash64Stream() => Reset();

        public void Reset()
        {
            _v1 = unchecked(P1 + P2);
            _v2 = P2;
            _v3 = 0;
            _v4 = unchecked(0 - P1);
            _total = 0;
            _buffered = 0;
        }

        public void Append(ReadOnlySpan<byte> data)
        {
            _total += (ulong)data.Length;
            if (_buffered > 0)
            {
                var take = Math.Min(32 - _buffered, data.Length);
                data[..take].CopyTo(_buffer.AsSpan(_buffered));
                _buffered += take;
                data = data[take..];
                if (_buffered < 32)
                {
                    return;
                }

                Stripe(_buffer);
                _buffered = 0;
            }

            while (data.Length >= 32)
            {
                Stripe(data);
                data = data[32..];
            }

            data.CopyTo(_buffer);
            _buffered = data.Length;
        }

        public ulong Digest()
        {
            ulong h;
            if (_total >= 32)
            {
                h = BitOperations.RotateLeft(_v1, 1) + BitOperations.RotateLeft(_v2, 7) + BitOperations.RotateLeft(_v3, 12) + BitOperations.RotateLeft(_v4, 18);
                h = Merge(h, _v1);
                h = Merge(h, _v2);
                h = Merge(h, _v3);
                h = Merge(h, _v4);
            }
            else
            {
                h = P5;
            }

            h += _total;
            var rest = _buffer.AsSpan(0, _buffered);
            while (rest.Length >= 8)
            {
                h ^= Round(0, BinaryPrimitives.ReadUInt64LittleEndian(rest));
                h = (BitOperations.RotateLeft(h, 27) * P1) + P4;
                rest = rest[8..];
            }

            if (rest.Length >= 4)
            {
                h ^= BinaryPrimitives.ReadUInt32LittleEndian(rest) * P1;
                h = (BitOperations.RotateLeft(h, 23) * P2) + P3;
                rest = rest[4..];
            }

            foreach (var b in rest)
            {
                h ^= b * P5;
                h = BitOperations.RotateLeft(h, 11) * P1;
            }

            h ^= h >> 33;
            h *= P2;
            h ^= h >> 29;
            h *= P3;
            h ^= h >> 32;
            return h;
        }

        private void Stripe(ReadOnlySpan<byte> stripe)
        {
            _v1 = Round(_v1, BinaryPrimitives.ReadUInt64LittleEndian(stripe));
            _v2 = Round(_v2, BinaryPrimitives.ReadUInt64LittleEndian(stripe[8..]));
            _v3 = Round(_v3, BinaryPrimitives.ReadUInt64LittleEndian(stripe[16..]));
            _v4 = Round(_v4, BinaryPrimitives.ReadUInt64LittleEndian(stripe[24..]));
        }

        private static ulong Round(ulong acc, ulong input) => BitOperations.RotateLeft(acc + (input * P2), 31) * P1;

        private static ulong Merge(ulong acc, ulong value) => ((acc ^ Round(0, value)) * P1) + P4;
    }
}
