using System.Buffers;
using ZstdSharp;

namespace Backup.Core.Transforms;

/// <summary>
/// zstd compression. Uses the system's libzstd when present (about twice as fast) and the managed
/// ZstdSharp.Port otherwise; both write standard zstd frames. Declines when the result would not be smaller.
/// </summary>
internal sealed class ZstdTransform : IStreamTransform, IDisposable
{
    /// <summary>The name recorded in stored objects.</summary>
    public const string TransformName = "zstd";

    private readonly ThreadLocal<Compressor> _compressors;
    private readonly ThreadLocal<Compressor> _smallCompressors;
    private readonly ThreadLocal<Compressor> _fastCompressors;
    private readonly ThreadLocal<Decompressor> _decompressors = new(() => new Decompressor(), trackAllValues: true);
    private readonly NativeZstd? _native;
    private readonly ThreadLocal<nint>? _nativeCompressors;
    private readonly ThreadLocal<nint>? _nativeDecompressors;

    /// <summary>Compresses at <paramref name="level"/> (1 to 19; 3 is zstd's default).</summary>
    /// <param name="level">The compression level.</param>
    /// <param name="preferNative">Use the system's libzstd when it can be loaded.</param>
    public ZstdTransform(int level = 3, bool preferNative = true)
    {
        if (level < 1 || level > 19)
        {
            throw new ArgumentOutOfRangeException(nameof(level), level, "zstd level must be between 1 and 19.");
        }

        Level = level;
        SmallInputLevel = Math.Max(level, MinimumSmallInputLevel);
        FastLevel = level <= MaxSpeedLevel ? 1 : level;
        _compressors = new(() => new Compressor(level), trackAllValues: true);
        _smallCompressors = new(() => new Compressor(SmallInputLevel), trackAllValues: true);
        _fastCompressors = new(() => new Compressor(FastLevel), trackAllValues: true);
        _native = preferNative ? NativeZstd.TryLoad() : null;
        if (_native is { } native)
        {
            _nativeCompressors = new(native.CreateCompressionContext, trackAllValues: true);
            _nativeDecompressors = new(native.CreateDecompressionContext, trackAllValues: true);
        }
    }

    /// <summary>The compression level.</summary>
    public int Level { get; }

    /// <summary>
    /// The level for inputs of at most <see cref="SmallInputLimit"/> bytes: <see cref="Level"/>, but at least
    /// <see cref="MinimumSmallInputLevel"/>. Such inputs (small files, trees, snapshots) each pay a fixed cost per blob
    /// much larger than their compression at these levels, and store a fixed overhead each, so a few more percent saved
    /// on them is worth the little time. The level is not recorded: any zstd frame decodes the same.
    /// </summary>
    public int SmallInputLevel { get; }

    /// <summary>
    /// The level for inputs over <see cref="SmallInputLimit"/> whose writer prefers speed
    /// (<see cref="TransformContext.PreferSpeed"/>: database dumps): 1 when <see cref="Level"/> is at most
    /// <see cref="MaxSpeedLevel"/>, otherwise <see cref="Level"/> (a repository set to a higher level chose size over
    /// speed). On machine-made text level 1 stores about what levels 2 and 3 do for a third less CPU than level 2,
    /// where on binaries it stores 7% more for no less CPU (docs/chunking.md), hence only on request.
    /// </summary>
    public int FastLevel { get; }

    /// <summary>
    /// The highest of the levels chosen for speed: 2, the default of new repositories, and 3, zstd's own default, which
    /// plain "zstd" and repositories made before level 2 became the default have. Higher levels were chosen for size.
    /// </summary>
    public const int MaxSpeedLevel = 3;

    /// <summary>Inputs up to this many bytes are compressed at <see cref="SmallInputLevel"/>.</summary>
    public const int SmallInputLimit = 16 * 1024;

    /// <summary>The least level used for small inputs.</summary>
    public const int MinimumSmallInputLevel = 5;

    /// <summary>Whether the system's libzstd is in use.</summary>
    public bool IsNative => _native is not null;

    /// <inheritdoc />
    public string Name => TransformName;

    /// <inheritdoc />
    public bool IsAuthenticatedEncryption => false;

    /// <inheritdoc />
    public bool TryEncode(ReadOnlySpan<byte> input, IBufferWriter<byte> output, in TransformContext context)
    {
        if (input.Length < 64)
        {
            return false;
        }

        var bound = Compressor.GetCompressBound(input.Length);
        var destination = output.GetSpan(bound);
        var small = input.Length <= SmallInputLimit;
        var fast = !small && context.PreferSpeed && FastLevel != Level;
        var written = _native is { } native
            ? native.Compress(_nativeCompressors!.Value, input, destination[..bound], small ? SmallInputLevel : fast ? FastLevel : Level)
            : (small ? _smallCompressors : fast ? _fastCompressors : _compressors).Value!.Wrap(input, destination);
        if (written < 0 || written >= input.Length)
        {
            return false;
        }

        output.Advance(written);
        return true;
    }

    /// <inheritdoc />
    public void Decode(ReadOnlySpan<byte> input, IBufferWriter<byte> output, in TransformContext context)
    {
        ulong size;
        try
        {
            size = Decompressor.GetDecompressedSize(input);
        }
        catch (ZstdException ex)
        {
            throw new InvalidDataException("The zstd frame is malformed.", ex);
        }

        if (size > (ulong)context.MaxDecodedLength)
        {
            throw new InvalidDataException($"The zstd frame claims {size} bytes, more than the {context.MaxDecodedLength} allowed.");
        }

        var destination = output.GetSpan((int)size);
        int written;
        try
        {
            written = _native is { } native
                ? native.Decompress(_nativeDecompressors!.Value, input, destination[..(int)size])
                : _decompressors.Value!.Unwrap(input, destination[..(int)size]);
        }
        catch (ZstdException ex)
        {
            throw new InvalidDataException("The zstd frame is malformed.", ex);
        }

        if (written < 0 || (ulong)written != size)
        {
            throw new InvalidDataException($"The zstd frame decoded to {written} bytes, not the {size} it claims.");
        }

        output.Advance(written);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var compressor in _compressors.Values)
        {
            compressor.Dispose();
        }

        foreach (var compressor in _smallCompressors.Values.Concat(_fastCompressors.Values))
        {
            compressor.Dispose();
        }

        foreach (var decompressor in _decompressors.Values)
        {
            decompressor.Dispose();
        }

        _compressors.Dispose();
        _smallCompressors.Dispose();
        _fastCompressors.Dispose();
        _decompressors.Dispose();
        if (_native is { } native)
        {
            foreach (var context in _nativeCompressors!.Values)
            {
                native.FreeCompressionContext(context);
            }

            foreach (var context in _nativeDecompressors!.Values)
            {
                native.FreeDecompressionContext(context);
            }

            _nativeCompressors.Dispose();
            _nativeDecompressors.Dispose();
        }
    }
}
