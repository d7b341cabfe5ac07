using Microsoft.Win32.SafeHandles;

namespace Backup.Core.Restore;

/// <summary>
/// A directory of the restore target. On the native path it is held open, and everything in it is created, inspected
/// and changed through that handle by name: a directory swapped for a link while the restore runs is never followed.
/// </summary>
/// <param name="path">Where it is, for messages and the file system abstraction (not used for access on the native path).</param>
/// <param name="handle">The open directory on the native path (O_RDONLY, or O_PATH when it may not be read); null otherwise.</param>
/// <param name="readable">Whether <paramref name="handle"/> is a real descriptor (fchmod and friends work on it), not O_PATH.</param>
internal sealed class TargetDirectory(string path, SafeFileHandle? handle, bool readable) : IDisposable
{
    public string Path => path;

    public SafeFileHandle? Handle => handle;

    public bool Readable => readable;

    /// <summary>The native handle; only called on the native path.</summary>
    public SafeFileHandle Native => handle ?? throw new InvalidOperationException("the target directory has no handle");

    public void Dispose() => handle?.Dispose();
}
