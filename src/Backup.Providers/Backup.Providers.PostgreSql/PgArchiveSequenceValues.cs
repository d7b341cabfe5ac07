using System.Text;

namespace Backup.Providers.PostgreSql;

/// <summary>
/// The SEQUENCE SET entries of a custom-format archive (<c>pg_dump -Fc</c>), read from its table of contents as the
/// archive streams past. Written to a pipe, an archive holds its whole table of contents, each entry's statement (a
/// sequence's setval among them), before any data; reading stops there and the data only passes by. What is held at
/// once is the entry being read, never the archive.
/// </summary>
/// <remarks>
/// The layout is pg_dump's (pg_backup_archiver.c ReadHead and ReadToc, pg_backup_custom.c _ReadExtraToc): an integer
/// is a sign byte and then <c>intSize</c> bytes, least significant first; a string is its length as an integer (-1:
/// null) and then its bytes. Versions 1.12 to 1.16 are read (pg_dump 9.0 to 18); another version, or anything out of
/// place, sets <see cref="PgDumpSequenceValues.Problem"/> and no value is taken.
/// </remarks>
internal sealed class PgArchiveSequenceValues : PgDumpSequenceValues
{
    private const int FormatCustom = 1;
    private const int OldestVersion = (1 << 16) | (12 << 8);
    private const int NewestVersion = (1 << 16) | (16 << 8) | 255;

    // An entry larger than this (a function body of hundreds of megabytes) is not held for the sake of a checksum.
    private const int LargestEntry = 64 << 20;

    private byte[] _pending = new byte[64 * 1024];
    private int _pendingLength;
    private Stage _stage = Stage.Header;
    private int _version;
    private int _intSize;
    private int _offsetSize;
    private long _entriesLeft;
    private int _readAgainAt;

    private enum Stage
    {
        Header,
        Entries,
        Done,
    }

    /// <summary>
    /// Bytes of the table of contents read so far, counting again the bytes of an entry read again because it had not
    /// all arrived: at most a few times the table's size, however the output is cut.
    /// </summary>
    internal long BytesRead { get; private set; }

    /// <inheritdoc />
    public override void Observe(ReadOnlySpan<byte> chunk)
    {
        if (_stage == Stage.Done)
        {
            return;
        }

        if (_pendingLength + chunk.Length > LargestEntry)
        {
            // What is held may complete the entry without this chunk (it is read only once enough more has come).
            ReadPending();
            if (_stage == Stage.Done)
            {
                return;
            }

            if (_pendingLength + chunk.Length > LargestEntry)
            {
                Fail($"an entry of its table of contents is larger than {LargestEntry >> 20} MiB");
                return;
            }
        }

        if (_pendingLength + chunk.Length > _pending.Length)
        {
            Array.Resize(ref _pending, Math.Max(_pending.Length * 2, _pendingLength + chunk.Length));
        }

        chunk.CopyTo(_pending.AsSpan(_pendingLength));
        _pendingLength += chunk.Length;
        if (_pendingLength >= _readAgainAt)
        {
            ReadPending();
        }
    }

    /// <inheritdoc />
    public override void Complete()
    {
        if (_stage != Stage.Done)
        {
            ReadPending();
        }

        if (_stage != Stage.Done)
        {
            Fail("it ended inside its table of contents");
        }
    }

    /// <summary>Reads the entries held; an entry not all there is kept for when it may be.</summary>
    private void ReadPending()
    {
        var consumed = 0;
        while (_stage != Stage.Done)
        {
            var reader = new Reader(_pending.AsSpan(consumed, _pendingLength - consumed), _intSize);
            var complete = _stage == Stage.Header ? ReadHeader(ref reader) : ReadEntry(ref reader);
            BytesRead += reader.Position;
            if (reader.Failed)
            {
                Fail("its table of contents holds a length out of range");
                break;
            }

            if (!complete)
            {
                break;
            }

            consumed += reader.Position;
        }

        if (_stage == Stage.Done)
        {
            // The data that follows only passes by.
            _pending = [];
            _pendingLength = 0;
            return;
        }

        if (consumed > 0)
        {
            _pending.AsSpan(consumed, _pendingLength - consumed).CopyTo(_pending);
            _pendingLength -= consumed;
        }

        // An entry is read from its start each time: read again once its held bytes have doubled, not at every chunk,
        // so that an entry of millions of small fields (a hostile server's dependencies) arriving in pipe-sized chunks
        // is read a few times over, not once per chunk (quadratic: minutes of a backup's CPU for one entry).
        _readAgainAt = 2 * _pendingLength;
    }

    private void Fail(string problem)
    {
        Problem ??= $"the archive could not be read for its sequence values: {problem}";
        _stage = Stage.Done;
        _pending = [];
        _pendingLength = 0;
    }

    /// <summary>The header and the entry count; false when more bytes are needed.</summary>
    private bool ReadHeader(ref Reader reader)
    {
        // "PGDMP", version (major, minor, revision), int size, offset size, format.
        if (!reader.TryTake(11, out var head))
        {
            return false;
        }

        if (!head[..5].SequenceEqual("PGDMP"u8))
        {
            Fail("it does not start as a pg_dump archive does");
            return true;
        }

        _version = (head[5] << 16) | (head[6] << 8) | head[7];
        _intSize = head[8];
        _offsetSize = head[9];
        if (_version is < OldestVersion or > NewestVersion || head[10] != FormatCustom || _intSize is < 4 or > 8 || _offsetSize is < 4 or > 8)
        {
            Fail($"archive version {head[5]}.{head[6]}.{head[7]} (format {head[10]}, integers of {_intSize} bytes) is not one this code reads");
            return true;
        }

        reader.IntSize = _intSize;
        // Compression: an algorithm byte since 1.15, a level before.
        var compressionRead = _version >= ((1 << 16) | (15 << 8)) ? reader.TryTake(1, out _) : reader.TrySkipInt();
        // Creation time (seven integers), database name, server and pg_dump versions, entry count.
        if (!compressionRead || !reader.TrySkipInts(7) || !reader.TrySkipStrings(3) || !reader.TryReadInt(out _entriesLeft))
        {
            return false;
        }

        _stage = _entriesLeft > 0 ? Stage.Entries : Stage.Done;
        return true;
    }

    /// <summary>One entry of the table of contents; false when more bytes are needed.</summary>
    private bool ReadEntry(ref Reader reader)
    {
        // Dump id, had-dumper, table oid, oid, tag, description, section, definition.
        if (!reader.TrySkipInts(2) || !reader.TrySkipStrings(2)
            || !reader.TryReadString(out var tag) || !reader.TryReadString(out var description)
            || !reader.TrySkipInt())
        {
            return false;
        }

        var isSequenceSet = description == "SEQUENCE SET";
        string? definition = null;
        if (!(isSequenceSet ? reader.TryReadString(out definition) : reader.TrySkipStrings(1)))
        {
            return false;
        }

        // Drop statement, copy statement, namespace, tablespace, table access method (1.14), relkind (1.16), owner, "with oids".
        if (!reader.TrySkipStrings(2) || !reader.TryReadString(out var schema) || !reader.TrySkipStrings(1)
            || (_version >= ((1 << 16) | (14 << 8)) && !reader.TrySkipStrings(1))
            || (_version >= ((1 << 16) | (16 << 8)) && !reader.TrySkipInt())
            || !reader.TrySkipStrings(2))
        {
            return false;
        }

        // Dependencies: strings up to a null one.
        while (true)
        {
            if (!reader.TryReadLength(out var length))
            {
                return false;
            }

            if (length < 0)
            {
                break;
            }

            if (!reader.TryTake(length, out _))
            {
                return false;
            }
        }

        // The custom format's data offset: a flag byte and the offset.
        if (!reader.TryTake(1 + _offsetSize, out _))
        {
            return false;
        }

        if (isSequenceSet && tag is not null && schema is not null && definition is not null)
        {
            Add(schema, tag, definition);
        }

        if (--_entriesLeft == 0)
        {
            _stage = Stage.Done;
        }

        return true;
    }

    /// <summary>Reads pg_dump's integers and strings from bytes that may end part-way through an entry.</summary>
    private ref struct Reader(ReadOnlySpan<byte> bytes, int intSize)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;

        /// <summary>The archive's integer size (the header says; until then, unknown).</summary>
        public int IntSize { get; set; } = intSize;

        public int Position { get; private set; }

        /// <summary>A length out of range was read: the bytes are not what this code expects.</summary>
        public bool Failed { get; private set; }

        public bool TryTake(long count, out ReadOnlySpan<byte> taken)
        {
            if (count > _bytes.Length - Position)
            {
                taken = default;
                return false;
            }

            taken = _bytes.Slice(Position, (int)count);
            Position += (int)count;
            return true;
        }

        public bool TryReadInt(out long value)
        {
            value = 0;
            if (!TryTake(1 + IntSize, out var bytes))
            {
                return false;
            }

            for (var i = IntSize; i >= 1; i--)
            {
                value = (value << 8) | bytes[i];
            }

            if (bytes[0] != 0)
            {
                value = -value;
            }

            return true;
        }

        public bool TrySkipInt() => TryReadInt(out _);

        public bool TrySkipInts(int count)
        {
            for (var i = 0; i < count; i++)
            {
                if (!TrySkipInt())
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>A string's length (-1: null); one out of range fails the reader.</summary>
        public bool TryReadLength(out long length)
        {
            if (!TryReadInt(out length))
            {
                return false;
            }

            if (length < -1 || length > LargestEntry)
            {
                Failed = true;
                length = -1;
            }

            return true;
        }

        public bool TryReadString(out string? value)
        {
            value = null;
            if (!TryReadLength(out var length))
            {
                return false;
            }

            if (length < 0)
            {
                return true;
            }

            if (!TryTake(length, out var bytes))
            {
                return false;
            }

            value = Encoding.UTF8.GetString(bytes);
            return true;
        }

        public bool TrySkipStrings(int count)
        {
            for (var i = 0; i < count; i++)
            {
                if (!TryReadLength(out var length) || (length > 0 && !TryTake(length, out _)))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
