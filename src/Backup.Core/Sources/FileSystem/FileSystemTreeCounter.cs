using System.IO.Abstractions;
using Backup.Core.Snapshots;

namespace Backup.Core.Sources.FileSystem;

/// <summary>
/// Counts the regular files and bytes a <see cref="FileSystemSource"/> would back up, by a second walk of the same
/// paths under the same rules (excludes, one file system, followed symlinks, loop detection), reading metadata only:
/// no content, no extended attributes, no sorting. What cannot be read is skipped silently, since the backup's own
/// walk reports it.
/// </summary>
internal sealed class FileSystemTreeCounter(IFileSystem fileSystem, FileMetadataReader metadata, ExcludeMatcher excludes, FileSystemSourceOptions options)
{
    private static readonly EnumerationOptions ListAll = new()
    {
        AttributesToSkip = 0,
        IgnoreInaccessible = true,
        RecurseSubdirectories = false,
        ReturnSpecialDirectories = false,
        MatchType = MatchType.Simple,
    };

    /// <summary>The files and bytes under <paramref name="paths"/> (the source's normalised absolute paths).</summary>
    public SourceTotals Count(IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        long files = 0, bytes = 0;
        foreach (var selected in Selected(SourcePathSet.Build(paths)))
        {
            CountSelected(selected, ref files, ref bytes, cancellationToken);
        }

        return new SourceTotals(files, bytes);
    }

    private static IEnumerable<string> Selected(SourcePathSet node) =>
        node.Selected ? [node.AbsolutePath] : node.Children.Values.SelectMany(Selected);

    private void CountSelected(string absolute, ref long files, ref long bytes, CancellationToken cancellationToken)
    {
        var top = absolute == "/"
            ? metadata.Read("/", string.Empty, follow: true, out _)
            : metadata.Read(absolute, absolute[(absolute.LastIndexOf('/') + 1)..], options.FollowSymlinks, out _);
        if (top is null)
        {
            return;
        }

        if (top.Type == NodeType.File)
        {
            files++;
            bytes += top.Size;
            return;
        }

        if (top.Type != NodeType.Directory || ListNames(absolute) is not { } names)
        {
            return;
        }

        var stack = new Stack<Frame>();
        var ancestors = new HashSet<(ulong, ulong)> { (top.Device, top.Inode) };
        stack.Push(new Frame(absolute, string.Empty, names, 0, (top.Device, top.Inode)));
        while (stack.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var frame = stack.Pop();
            if (frame.Next == frame.Names.Count)
            {
                ancestors.Remove(frame.Identity);
                continue;
            }

            stack.Push(frame with { Next = frame.Next + 1 });
            var name = frame.Names[frame.Next];
            var childAbsolute = frame.Absolute == "/" ? "/" + name : frame.Absolute + "/" + name;
            var childUnderRoot = frame.UnderRoot.Length == 0 ? name : frame.UnderRoot + "/" + name;
            var child = metadata.Read(childAbsolute, name, options.FollowSymlinks, out _);
            if (child is null || (!excludes.IsEmpty && excludes.IsExcluded(childUnderRoot, child.Type == NodeType.Directory)))
            {
                continue;
            }

            if (child.Type == NodeType.File)
            {
                files++;
                bytes += child.Size;
                continue;
            }

            if (child.Type != NodeType.Directory || (options.OneFileSystem && child.Device != top.Device))
            {
                continue;
            }

            var identity = (child.Device, child.Inode);
            var known = child.Inode != 0;
            if ((known && ancestors.Contains(identity)) || ListNames(childAbsolute) is not { } childNames)
            {
                continue;
            }

            stack.Push(new Frame(childAbsolute, childUnderRoot, childNames, 0, known ? identity : (0, 0)));
            if (known)
            {
                ancestors.Add(identity);
            }
        }
    }

    private List<string>? ListNames(string absolute)
    {
        try
        {
            var names = new List<string>();
            foreach (var path in fileSystem.Directory.EnumerateFileSystemEntries(absolute, "*", ListAll))
            {
                names.Add(fileSystem.Path.GetFileName(path));
            }

            return names;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A directory being counted: its paths, its names and the index of the next one.</summary>
    private readonly record struct Frame(string Absolute, string UnderRoot, List<string> Names, int Next, (ulong, ulong) Identity);
}
