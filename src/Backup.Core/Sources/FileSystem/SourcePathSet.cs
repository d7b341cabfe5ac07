namespace Backup.Core.Sources.FileSystem;

/// <summary>
/// The backed-up paths as a small tree of path components, so several paths share the directories leading to
/// them and come out merged and sorted: /a/b and /a/c yield "a" once, then "a/b", then "a/c".
/// </summary>
internal sealed class SourcePathSet
{
    private SourcePathSet(string name, string absolutePath)
    {
        Name = name;
        AbsolutePath = absolutePath;
    }

    /// <summary>This component's name ("" for the root).</summary>
    public string Name { get; }

    /// <summary>This component's absolute path ("/" for the root).</summary>
    public string AbsolutePath { get; }

    /// <summary>Whether this path was given to back up (then everything below it is read, and it has no <see cref="Children"/>).</summary>
    public bool Selected { get; private set; }

    /// <summary>Components below this one, sorted ordinal.</summary>
    public SortedDictionary<string, SourcePathSet> Children { get; } = new(StringComparer.Ordinal);

    /// <summary>Builds the tree of <paramref name="absolutePaths"/> (normalised, without trailing '/').</summary>
    public static SourcePathSet Build(IEnumerable<string> absolutePaths)
    {
        var root = new SourcePathSet(string.Empty, "/");
        // Shorter paths first, so a path below one already selected is recognised as covered.
        foreach (var path in absolutePaths.OrderBy(p => p.Length))
        {
            var node = root;
            foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                if (node.Selected)
                {
                    break;
                }

                if (!node.Children.TryGetValue(part, out var child))
                {
                    child = new SourcePathSet(part, node.AbsolutePath == "/" ? "/" + part : node.AbsolutePath + "/" + part);
                    node.Children.Add(part, child);
                }

                node = child;
            }

            if (!node.Selected)
            {
                node.Selected = true;
                node.Children.Clear();
            }
        }

        return root;
    }
}
