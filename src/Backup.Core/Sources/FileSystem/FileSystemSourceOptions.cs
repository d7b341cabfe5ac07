namespace Backup.Core.Sources.FileSystem;

/// <summary>How a <see cref="FileSystemSource"/> reads the file system.</summary>
public sealed record FileSystemSourceOptions
{
    /// <summary>
    /// Gitignore-style patterns of what to leave out, matched against each path relative to the backed-up path
    /// it lies under (see <see cref="ExcludeMatcher"/>).
    /// </summary>
    public IReadOnlyList<string> Excludes { get; init; } = [];

    /// <summary>Stays on the device of each backed-up path: mount points below it are recorded, but not their contents.</summary>
    public bool OneFileSystem { get; init; }

    /// <summary>Backs up what symlinks point to instead of the links themselves (loops are reported and skipped).</summary>
    public bool FollowSymlinks { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first exclude pattern that cannot be compiled and what is wrong with it.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Excludes);
        _ = new ExcludeMatcher(Excludes);
    }
}
