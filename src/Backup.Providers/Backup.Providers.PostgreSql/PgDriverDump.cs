using System.Text;
using Backup.Core.Snapshots;
using Backup.Core;

namespace Backup.Providers.PostgreSql;

/// <summary>
/// A driver-only or parallel dump directory, checked before the restore creates anything: the manifest parses and
/// names every table and sequence, every table it lists (that the restore loads) has its file in <c>tables/</c>, and
/// the schema files are there. A snapshot altered or damaged in any of these ways fails with a
/// <see cref="DatabaseRestoreException"/> naming the file, and leaves no half-restored database behind.
/// </summary>
internal sealed class PgDriverDump
{
    public const string ManifestFile = "manifest.json";
    public const string TablesDirectory = "tables";
    public const string PreDataFile = "pre-data.sql";
    public const string PostDataFile = "post-data.sql";
    public const string SchemaFile = "schema.dump";

    private PgDriverDump(DumpDirectory directory, DriverManifest manifest, Dictionary<string, TreeNode> tableFiles, IReadOnlyList<DriverTable> selected)
    {
        Directory = directory;
        Manifest = manifest;
        TableFiles = tableFiles;
        Selected = selected;
    }

    /// <summary>The dump's directory.</summary>
    public DumpDirectory Directory { get; }

    /// <summary>The manifest, with every entry named.</summary>
    public DriverManifest Manifest { get; }

    /// <summary>The tables the restore loads (all, or those a selective restore asked for), in manifest order.</summary>
    public IReadOnlyList<DriverTable> Selected { get; }

    /// <summary>The file of each table in <see cref="Selected"/>, by <see cref="DriverTable.File"/>.</summary>
    public Dictionary<string, TreeNode> TableFiles { get; }

    /// <summary>
    /// Reads and checks the dump at <paramref name="path"/>; a parallel one has the schema archive, a driver-only one
    /// the two schema scripts. <paramref name="tables"/> (table names) selects the tables to load; empty: all.
    /// </summary>
    /// <exception cref="DatabaseRestoreException">The dump lacks a file, or its manifest is damaged.</exception>
    public static async Task<PgDriverDump> OpenAsync(BackupRepository repository, TreeNode node, string path, bool parallel, IReadOnlyCollection<string> tables, CancellationToken cancellationToken)
    {
        var directory = await DumpDirectory.OpenAsync(repository, node, path, cancellationToken).ConfigureAwait(false);
        var manifest = Check(await directory.ReadJsonAsync(ManifestFile, PgManifestJson.Default.DriverManifest, cancellationToken).ConfigureAwait(false), $"{path}/{ManifestFile}");
        if (parallel)
        {
            directory.File(SchemaFile, "the schema archive");
        }
        else
        {
            directory.File(PreDataFile, "the schema script run before the rows");
            directory.File(PostDataFile, "the schema script run after the rows");
        }

        var tableDirectory = await directory.DirectoryAsync(TablesDirectory, cancellationToken).ConfigureAwait(false);
        var picked = tables.Count == 0 ? null : PgTableSelection.Match(tables, manifest.Tables, t => (t.Schema, t.Name));
        var selected = picked is null ? manifest.Tables : [.. manifest.Tables.Where(picked.Contains)];
        var files = new Dictionary<string, TreeNode>(StringComparer.Ordinal);
        foreach (var table in selected)
        {
            files[table.File] = tableDirectory.File(table.File, $"the rows of table {table.Schema}.{table.Name}, which the manifest lists");
        }

        return new PgDriverDump(directory, manifest, files, selected);
    }

    /// <summary>A schema script's text.</summary>
    public async Task<string> ReadScriptAsync(string name, CancellationToken cancellationToken) =>
        Encoding.UTF8.GetString((await Directory.ReadAsync(name, cancellationToken).ConfigureAwait(false)).Span);

    /// <summary>
    /// What the restore relies on in a manifest from a snapshot: JSON leaves out what it does not hold, so a crafted
    /// one may lack a list or a name; and two tables sharing a file would load the same rows into both.
    /// </summary>
    private static DriverManifest Check(DriverManifest manifest, string path)
    {
        if (manifest.Tables is null || manifest.Sequences is null)
        {
            throw DumpDirectory.Damaged($"'{path}' has no list of tables or of sequences");
        }

        var files = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in manifest.Tables)
        {
            if (table?.Schema is null || table.Name is null || table.File is null)
            {
                throw DumpDirectory.Damaged($"'{path}' lists a table without a schema, name or file");
            }

            if (!files.Add(table.File))
            {
                throw DumpDirectory.Damaged($"'{path}' gives two tables the file {table.File}");
            }
        }

        if (manifest.Sequences.Any(s => s?.Schema is null || s.Name is null))
        {
            throw DumpDirectory.Damaged($"'{path}' lists a sequence without a schema or name");
        }

        if (manifest.PopulatedViews?.Any(v => v?.Schema is null || v.Name is null) == true)
        {
            throw DumpDirectory.Damaged($"'{path}' lists a materialized view without a schema or name");
        }

        return manifest;
    }
}
