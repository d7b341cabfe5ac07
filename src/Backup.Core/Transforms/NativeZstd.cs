using System.Runtime.InteropServices;

namespace Backup.Core.Transforms;

/// <summary>
/// The system's libzstd, when the machine has it: about twice as fast as the managed port at the same level,
/// and byte-compatible with it (both write standard zstd frames), so either can read what the other wrote.
/// </summary>
internal sealed unsafe class NativeZstd
{
    private readonly delegate* unmanaged<nint> _createCCtx;
    private readonly delegate* unmanaged<nint, nuint> _freeCCtx;
    private readonly delegate* unmanaged<nint, byte*, nuint, byte*, nuint, int, nuint> _compressCCtx;
    private readonly delegate* unmanaged<nint> _createDCtx;
    private readonly delegate* unmanaged<nint, nuint> _freeDCtx;
    private readonly delegate* unmanaged<nint, byte*, nuint, byte*, nuint, nuint> _decompressDCtx;
    private readonly delegate* unmanaged<nuint, uint> _isError;

    private NativeZstd(nint library)
    {
        _createCCtx = (delegate* unmanaged<nint>)NativeLibrary.GetExport(library, "ZSTD_createCCtx");
        _freeCCtx = (delegate* unmanaged<nint, nuint>)NativeLibrary.GetExport(library, "ZSTD_freeCCtx");
        _compressCCtx = (delegate* unmanaged<nint, byte*, nuint, byte*, nuint, int, nuint>)NativeLibrary.GetExport(library, "ZSTD_compressCCtx");
        _createDCtx = (delegate* unmanaged<nint>)NativeLibrary.GetExport(library, "ZSTD_createDCtx");
        _freeDCtx = (delegate* unmanaged<nint, nuint>)NativeLibrary.GetExport(library, "ZSTD_freeDCtx");
        _decompressDCtx = (delegate* unmanaged<nint, byte*, nuint, byte*, nuint, nuint>)NativeLibrary.GetExport(library, "ZSTD_decompressDCtx");
        _isError = (delegate* unmanaged<nuint, uint>)NativeLibrary.GetExport(library, "ZSTD_isError");
    }

    /// <summary>Loads libzstd, or returns null when the machine has none (then the managed port is used).</summary>
    public static NativeZstd? TryLoad()
    {
        var windows = OperatingSystem.IsWindows();
        var searchPath = SearchPathFor(windows);
        foreach (var name in CandidateNames(windows))
        {
            var loaded = searchPath is { } path
                ? NativeLibrary.TryLoad(name, typeof(NativeZstd).Assembly, path, out var library)
                : NativeLibrary.TryLoad(name, out library);
            if (loaded)
            {
                try
                {
                    return new NativeZstd(library);
                }
                catch (EntryPointNotFoundException)
                {
                    return null;
                }
            }
        }

        return null;
    }

    /// <summary>The file names libzstd goes by on this kind of system.</summary>
    internal static IReadOnlyList<string> CandidateNames(bool windows) =>
        windows ? ["libzstd.dll", "zstd.dll"] : ["libzstd.so.1", "libzstd.so", "libzstd.1.dylib", "libzstd.dylib"];

    /// <summary>
    /// Where Windows may look for the library: next to this assembly, the application and System32 only. A bare
    /// name given to LoadLibrary is also looked up in the current directory and on PATH, where anyone who can write
    /// a file (a downloaded archive being backed up, a user-writable PATH entry) would plant a zstd.dll that runs
    /// in the backup's process. Null elsewhere: the dynamic loader's own search (ld.so's cache and system
    /// directories, dyld's) never includes the current directory.
    /// </summary>
    internal static DllImportSearchPath? SearchPathFor(bool windows) =>
        windows ? DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.ApplicationDirectory | DllImportSearchPath.System32 : null;

    public nint CreateCompressionContext() => _createCCtx();

    public void FreeCompressionContext(nint context) => _freeCCtx(context);

    public nint CreateDecompressionContext() => _createDCtx();

    public void FreeDecompressionContext(nint context) => _freeDCtx(context);

    /// <summary>Compresses into <paramref name="destination"/>; returns the size, or -1 when it does not fit or fails.</summary>
    public int Compress(nint context, ReadOnlySpan<byte> source, Span<byte> destination, int level)
    {
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            var result = _compressCCtx(context, dst, (nuint)destination.Length, src, (nuint)source.Length, level);
            return _isError(result) != 0 ? -1 : (int)result;
        }
    }

    /// <summary>Decompresses into <paramref name="destination"/>; returns the size, or -1 when the frame is invalid.</summary>
    public int Decompress(nint context, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            var result = _decompressDCtx(context, dst, (nuint)destination.Length, src, (nuint)source.Length);
            return _isError(result) != 0 ? -1 : (int)result;
        }
    }
}
