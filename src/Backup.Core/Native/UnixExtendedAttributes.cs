using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Backup.Core.Native;

/// <summary>
/// Extended attributes (xattrs) on Linux: every namespace the caller may read (<c>user.*</c>, <c>security.*</c>, and
/// for root <c>trusted.*</c>), POSIX ACLs included (<c>system.posix_acl_access</c>, <c>system.posix_acl_default</c>).
/// Callers check <see cref="UnixNative.IsSupported"/>.
/// </summary>
internal static unsafe partial class UnixExtendedAttributes
{
    private const int NoData = 61; // ENODATA: the attribute went away between listing and reading
    private const int OutOfRange = 34; // ERANGE: it grew between asking for its size and reading it
    private const int NotSupported = 95; // EOPNOTSUPP: the file system has no xattrs

    /// <summary>
    /// Reads every extended attribute of <paramref name="path"/> (of a symlink itself unless <paramref name="follow"/>).
    /// One listxattr call that returns 0 is all a file without attributes costs.
    /// </summary>
    /// <param name="path">The path.</param>
    /// <param name="follow">Whether a final symlink is followed.</param>
    /// <param name="errno">0, or why they could not all be read (a file system without xattrs is not an error).</param>
    /// <returns>The attributes by name, or null when there are none (or none could be read).</returns>
    public static Dictionary<string, byte[]>? Read(string path, bool follow, out int errno)
    {
        errno = 0;
        var size = follow ? listxattr(path, null, 0) : llistxattr(path, null, 0);
        if (size <= 0)
        {
            errno = size == 0 ? 0 : Marshal.GetLastPInvokeError();
            if (errno == NotSupported)
            {
                errno = 0;
            }

            return null;
        }

        byte[] names;
        while (true)
        {
            names = new byte[size];
            fixed (byte* list = names)
            {
                size = follow ? listxattr(path, list, (nuint)names.Length) : llistxattr(path, list, (nuint)names.Length);
            }

            if (size >= 0)
            {
                break;
            }

            errno = Marshal.GetLastPInvokeError();
            if (errno != OutOfRange || (size = follow ? listxattr(path, null, 0) : llistxattr(path, null, 0)) <= 0)
            {
                return null;
            }

            errno = 0;
        }

        Dictionary<string, byte[]>? attributes = null;
        var rest = names.AsSpan(0, (int)size);
        while (rest.Length > 0)
        {
            var end = rest.IndexOf((byte)0);
            var nameBytes = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + 1)..];
            if (nameBytes.IsEmpty)
            {
                continue;
            }

            var name = Encoding.UTF8.GetString(nameBytes);
            var value = ReadValue(path, name, follow, out var valueErrno);
            if (value is null)
            {
                if (valueErrno is not (0 or NoData))
                {
                    errno = valueErrno;
                }

                continue;
            }

            (attributes ??= new Dictionary<string, byte[]>(StringComparer.Ordinal))[name] = value;
        }

        // In name order, so an unchanged file's tree blob is byte for byte the same (and deduplicated) whatever order the file system lists.
        return attributes is { Count: > 1 } ? attributes.OrderBy(a => a.Key, StringComparer.Ordinal).ToDictionary(StringComparer.Ordinal) : attributes;
    }

    /// <summary>
    /// Sets one attribute through an open descriptor (<paramref name="readable"/>) or, for an O_PATH reference, through
    /// <c>/proc/self/fd</c>, which names exactly the referenced file.
    /// </summary>
    /// <returns>0, or the errno.</returns>
    public static int Set(SafeFileHandle handle, bool readable, string name, byte[] value)
    {
        fixed (byte* bytes = value)
        {
            var result = readable
                ? fsetxattr(handle, name, bytes, (nuint)value.Length, 0)
                : setxattr($"/proc/self/fd/{handle.DangerousGetHandle()}", name, bytes, (nuint)value.Length, 0);
            return result == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    private static byte[]? ReadValue(string path, string name, bool follow, out int errno)
    {
        errno = OutOfRange; // it kept growing
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var length = follow ? getxattr(path, name, null, 0) : lgetxattr(path, name, null, 0);
            if (length < 0)
            {
                errno = Marshal.GetLastPInvokeError();
                return null;
            }

            var value = new byte[length];
            fixed (byte* buffer = value)
            {
                length = follow ? getxattr(path, name, buffer, (nuint)value.Length) : lgetxattr(path, name, buffer, (nuint)value.Length);
            }

            if (length >= 0)
            {
                errno = 0;
                return length == value.Length ? value : value[..(int)length];
            }

            errno = Marshal.GetLastPInvokeError();
            if (errno != OutOfRange)
            {
                return null;
            }
        }

        return null;
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint listxattr(string path, byte* list, nuint size);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint llistxattr(string path, byte* list, nuint size);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint getxattr(string path, string name, byte* value, nuint size);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint lgetxattr(string path, string name, byte* value, nuint size);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int fsetxattr(SafeFileHandle fd, string name, byte* value, nuint size, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setxattr(string path, string name, byte* value, nuint size, int flags);
}
