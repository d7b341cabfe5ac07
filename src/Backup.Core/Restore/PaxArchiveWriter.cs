using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace Backup.Core.Restore;

/// <summary>
/// Writes a POSIX.1-2001 (PAX) tar archive: each entry is an extended header ('x') carrying its path, times to the
/// nanosecond and whatever does not fit the ustar fields, then the ustar header, then the data padded to 512 bytes.
/// System.Formats.Tar cannot do this (it cuts times to 100 ns and always writes the entry name as 'path', which a GNU
/// sparse entry must not have).
/// </summary>
internal sealed class PaxArchiveWriter(Stream output)
{
    public const int BlockSize = 512;

    // The largest values the octal ustar fields hold: 7 digits for ids and devices, 11 for size and time.
    private const long MaxOctal7 = 0x1F_FFFF;
    private const long MaxOctal11 = 0x1_FFFF_FFFF;
    private static readonly byte[] Zeros = new byte[BlockSize * 2];

    /// <summary>Writes the headers of <paramref name="entry"/>; its <see cref="PaxEntry.Size"/> bytes of data must follow through <see cref="WriteDataAsync"/>, then <see cref="PadAsync"/>.</summary>
    public async Task WriteHeaderAsync(PaxEntry entry, CancellationToken cancellationToken)
    {
        var records = new StringBuilder();
        foreach (var (key, value) in entry.Attributes)
        {
            AppendRecord(records, key, value);
        }

        AppendRecord(records, "path", entry.Name);
        if (entry.LinkName is not null)
        {
            AppendRecord(records, "linkpath", entry.LinkName);
        }

        AppendRecord(records, "mtime", Timestamp(entry.MtimeNs));
        if (entry.CtimeNs != 0)
        {
            AppendRecord(records, "ctime", Timestamp(entry.CtimeNs));
        }

        AppendLargeNumber(records, "size", entry.Size, MaxOctal11);
        AppendLargeNumber(records, "uid", entry.Uid, MaxOctal7);
        AppendLargeNumber(records, "gid", entry.Gid, MaxOctal7);
        AppendLargeNumber(records, "devmajor", entry.DeviceMajor, MaxOctal7);
        AppendLargeNumber(records, "devminor", entry.DeviceMinor, MaxOctal7);

        // Both headers and the records between them go out in one write: a tree of small files is mostly headers.
        var text = records.ToString();
        var extendedLength = Encoding.UTF8.GetByteCount(text);
        var padded = (extendedLength + BlockSize - 1) / BlockSize * BlockSize;
        var headers = new byte[BlockSize + padded + BlockSize];
        var seconds = Math.Max(0, entry.MtimeNs / 1_000_000_000);
        FillHeader(headers.AsSpan(0, BlockSize), "PaxHeaders/" + LastSegment(entry.Name), 'x', 0x1A4, 0, 0, extendedLength, seconds, null, 0, 0);
        Encoding.UTF8.GetBytes(text, headers.AsSpan(BlockSize));
        FillHeader(headers.AsSpan(BlockSize + padded, BlockSize), entry.Name, entry.Type, entry.Mode, entry.Uid, entry.Gid, entry.Size, seconds, entry.LinkName, entry.DeviceMajor, entry.DeviceMinor);
        await output.WriteAsync(headers, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes data of the entry whose header was written last.</summary>
    public ValueTask WriteDataAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => output.WriteAsync(data, cancellationToken);

    /// <summary>Pads data of <paramref name="length"/> bytes to a whole block.</summary>
    public ValueTask PadAsync(long length, CancellationToken cancellationToken)
    {
        var rest = (int)(length % BlockSize);
        return rest == 0 ? ValueTask.CompletedTask : output.WriteAsync(Zeros.AsMemory(0, BlockSize - rest), cancellationToken);
    }

    /// <summary>Ends the archive with two zero blocks.</summary>
    public ValueTask FinishAsync(CancellationToken cancellationToken) => output.WriteAsync(Zeros, cancellationToken);

    /// <summary>Seconds since the epoch with the nanoseconds as a decimal fraction ("1700000000.123456789", "-1.5"), as PAX times are written.</summary>
    public static string Timestamp(long nanoseconds)
    {
        var sign = nanoseconds < 0 ? "-" : string.Empty;
        var magnitude = nanoseconds < 0 ? -(decimal)nanoseconds : nanoseconds;
        var seconds = decimal.Truncate(magnitude / 1_000_000_000);
        var fraction = (long)(magnitude - (seconds * 1_000_000_000));
        return fraction == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{sign}{seconds}")
            : string.Create(CultureInfo.InvariantCulture, $"{sign}{seconds}.{fraction:D9}").TrimEnd('0');
    }

    /// <summary>Appends "length key=value\n", whose length counts its own digits.</summary>
    private static void AppendRecord(StringBuilder records, string key, string value)
    {
        var length = Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value) + 3;
        var digits = length.ToString(CultureInfo.InvariantCulture).Length;
        if ((length + digits).ToString(CultureInfo.InvariantCulture).Length > digits)
        {
            digits++;
        }

        records.Append(CultureInfo.InvariantCulture, $"{length + digits} {key}={value}\n");
    }

    private static void AppendLargeNumber(StringBuilder records, string key, long value, long max)
    {
        if (value > max)
        {
            AppendRecord(records, key, value.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void FillHeader(Span<byte> header, string name, char type, uint mode, long uid, long gid, long size, long mtimeSeconds, string? linkName, long deviceMajor, long deviceMinor)
    {
        WriteText(header.Slice(0, 100), name);
        WriteOctal(header.Slice(100, 8), mode & 0xFFF);
        WriteOctal(header.Slice(108, 8), uid is >= 0 and <= MaxOctal7 ? uid : 0);
        WriteOctal(header.Slice(116, 8), gid is >= 0 and <= MaxOctal7 ? gid : 0);
        WriteOctal(header.Slice(124, 12), size <= MaxOctal11 ? size : 0);
        WriteOctal(header.Slice(136, 12), mtimeSeconds <= MaxOctal11 ? mtimeSeconds : 0);
        header[156] = (byte)type;
        if (linkName is not null)
        {
            WriteText(header.Slice(157, 100), linkName);
        }

        "ustar\0"u8.CopyTo(header.Slice(257, 6));
        "00"u8.CopyTo(header.Slice(263, 2));
        WriteOctal(header.Slice(329, 8), deviceMajor is >= 0 and <= MaxOctal7 ? deviceMajor : 0);
        WriteOctal(header.Slice(337, 8), deviceMinor is >= 0 and <= MaxOctal7 ? deviceMinor : 0);

        // The checksum is the sum of the header's bytes with its own field read as spaces.
        header.Slice(148, 8).Fill((byte)' ');
        var sum = 0;
        foreach (var b in header)
        {
            sum += b;
        }

        WriteOctal(header.Slice(148, 7), sum);
        header[155] = (byte)' ';
    }

    /// <summary>As much of <paramref name="text"/> as fits in whole UTF-8 characters; the PAX record carries it whole.</summary>
    private static void WriteText(Span<byte> field, string text) => Utf8.FromUtf16(text, field, out _, out _);

    /// <summary>Zero-padded octal digits and a NUL, filling the field.</summary>
    private static void WriteOctal(Span<byte> field, long value)
    {
        var digits = field.Length - 1;
        for (var i = digits - 1; i >= 0; i--)
        {
            field[i] = (byte)('0' + (value & 7));
            value >>= 3;
        }

        field[digits] = 0;
    }

    private static string LastSegment(string path)
    {
        var trimmed = path.TrimEnd('/');
        return trimmed[(trimmed.LastIndexOf('/') + 1)..];
    }
}

/// <summary>One entry of a <see cref="PaxArchiveWriter"/>.</summary>
internal sealed record PaxEntry
{
    /// <summary>The path in the archive ('/'-separated, a directory's ending in '/').</summary>
    public required string Name { get; init; }

    /// <summary>The ustar type flag ('0' file, '1' hard link, '2' symlink, '3'/'4' devices, '5' directory, '6' FIFO).</summary>
    public required char Type { get; init; }

    /// <summary>Permission bits.</summary>
    public uint Mode { get; init; }

    /// <summary>Owner.</summary>
    public long Uid { get; init; }

    /// <summary>Group.</summary>
    public long Gid { get; init; }

    /// <summary>The data bytes that follow the header in the archive.</summary>
    public long Size { get; init; }

    /// <summary>Modification time, ns since the epoch.</summary>
    public long MtimeNs { get; init; }

    /// <summary>Status change time, ns since the epoch; 0 when unknown (then not written).</summary>
    public long CtimeNs { get; init; }

    /// <summary>A link's target.</summary>
    public string? LinkName { get; init; }

    /// <summary>A device node's major number.</summary>
    public long DeviceMajor { get; init; }

    /// <summary>A device node's minor number.</summary>
    public long DeviceMinor { get; init; }

    /// <summary>Extended header records written before the standard ones (the GNU sparse keys).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Attributes { get; init; } = [];
}
