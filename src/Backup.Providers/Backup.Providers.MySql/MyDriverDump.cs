using Backup.Core.Snapshots;
using Backup.Core;

namespace Backup.Providers.MySql;

/// <summary>
/// A driver-only or parallel dump directory, checked before the restore creates the target database: the manifest
/// parses and names every object with its statement, and the rows are there — one data.sql, or in tables/ one file
/// per table the manifest lists and no other. A snapshot altered or damaged in any of these ways fails with a
/// <see cref="DatabaseRestoreException"/> naming the file, and leaves no half-restored database behind.
/// </summary>
internal sealed class MyDriverDump
{
    private MyDriverDump(string path, MyDriverManifest manifest, TreeNode? data, IReadOnlyList<(TreeNode File, string Table)> tableFiles)
    {
        Path = path;
        Manifest = manifest;
        Data = data;
        TableFiles = tableFiles;
    }

    /// <summary>Where the dump is in its snapshot, for messages.</summary>
    public string Path { get; }

    /// <summary>The manifest, with every entry named.</summary>
    public MyDriverManifest Manifest { get; }

    /// <summary>A driver-only dump's data.sql; null for a parallel dump.</summary>
    public TreeNode? Data { get; }

    /// <summary>A parallel dump's table files, each with the table whose rows it holds; empty for a driver-only dump.</summary>
    public IReadOnlyList<(TreeNode File, string Table)> TableFiles { get; }

    /// <summary>Reads and checks the dump at <paramref name="path"/>.</summary>
    /// <exception cref="DatabaseRestoreException">The dump lacks a file, holds one it should not, or its manifest is damaged.</exception>
    public static async Task<MyDriverDump> OpenAsync(BackupRepository repository, TreeNode node, string path, CancellationToken cancellationToken)
    {
        var directory = await DumpDirectory.OpenAsync(repository, node, path, cancellationToken).ConfigureAwait(false);
        if (!directory.Entries.ContainsKey(MyDriverManifest.DataFileName) && !directory.Entries.ContainsKey(MyDriverManifest.TablesDirectoryName))
        {
            throw DumpDirectory.Damaged($"The dump directory '{path}' has neither {MyDriverManifest.DataFileName} nor {MyDriverManifest.TablesDirectoryName}/, so no rows");
        }

        var manifest = Check(await directory.ReadJsonAsync(MyDriverManifest.FileName, MyManifestJson.Default.MyDriverManifest, cancellationToken).ConfigureAwait(false), $"{path}/{MyDriverManifest.FileName}");
        if (directory.Entries.ContainsKey(MyDriverManifest.DataFileName))
        {
            return new MyDriverDump(path, manifest, directory.File(MyDriverManifest.DataFileName, "the rows"), []);
        }

        var tables = await directory.DirectoryAsync(MyDriverManifest.TablesDirectoryName, cancellationToken).ConfigureAwait(false);
        var files = new List<(TreeNode, string)>(manifest.Tables.Count);
        var expected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in manifest.Tables)
        {
            var name = MyDriverManifest.TableFileName(table.Name);
            if (!expected.Add(name))
            {
                throw DumpDirectory.Damaged($"'{path}/{MyDriverManifest.FileName}' lists table '{table.Name}' twice");
            }

            files.Add((tables.File(name, $"the rows of table '{table.Name}', which the manifest lists"), table.Name));
        }

        // A file no table owns would still run its statements (rows for some table): a backup never writes one.
        if (tables.Entries.Keys.FirstOrDefault(name => !expected.Contains(name)) is { } stray)
        {
            throw DumpDirectory.Damaged($"'{tables.Path}/{stray}' belongs to no table of the manifest");
        }

        return new MyDriverDump(path, manifest, null, files);
    }

    /// <summary>What the restore relies on in a manifest from a snapshot: JSON leaves out what it does not hold, so a crafted one may lack a list, a name or a statement.</summary>
    private static MyDriverManifest Check(MyDriverManifest manifest, string path)
    {
        IReadOnlyList<MyDriverObject>?[] lists = [manifest.Tables, manifest.Routines, manifest.Views, manifest.Triggers, manifest.Events];
        if (lists.Any(list => list is null))
        {
            throw DumpDirectory.Damaged($"'{path}' lacks one of its lists (tables, routines, views, triggers, events)");
        }

        if (lists.SelectMany(list => list!).Any(item => item?.Name is null || item.Create is null))
        {
            throw DumpDirectory.Damaged($"'{path}' lists an object without a name or a statement");
        }

        return manifest;
    }
}
