using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core;

namespace Backup.Providers;

/// <summary>
/// A directory of a database dump in a snapshot (a driver-only or parallel dump: a manifest, scripts, table files),
/// read as untrusted input: whoever can write to the repository's storage, or add snapshots, may have altered it.
/// A missing, duplicated or wrong-kind entry, a manifest that does not parse, or a file too large to hold in memory is
/// a <see cref="DatabaseRestoreException"/> that names the file and the dump, never a lookup failure or an
/// out-of-memory crash.
/// </summary>
internal sealed class DumpDirectory
{
    /// <summary>
    /// The most a restore reads of one file into memory (a manifest, a schema script): far more than any real one
    /// holds, and little enough that a forged size cannot exhaust the restoring host.
    /// </summary>
    public const long MaxInMemoryBytes = 256L * 1024 * 1024;

    private readonly BackupRepository _repository;
    private readonly Dictionary<string, TreeNode> _entries;

    private DumpDirectory(BackupRepository repository, string path, Dictionary<string, TreeNode> entries)
    {
        _repository = repository;
        Path = path;
        _entries = entries;
    }

    /// <summary>The directory's path in the snapshot, as messages name it (<c>app</c>, <c>app/tables</c>).</summary>
    public string Path { get; }

    /// <summary>The entries by name.</summary>
    public IReadOnlyDictionary<string, TreeNode> Entries => _entries;

    /// <summary>Lists the directory <paramref name="node"/>, found at <paramref name="path"/> in a snapshot.</summary>
    /// <exception cref="DatabaseRestoreException">The node is not a directory, or two of its entries share a name.</exception>
    public static async Task<DumpDirectory> OpenAsync(BackupRepository repository, TreeNode node, string path, CancellationToken cancellationToken)
    {
        if (node.Type != NodeType.Directory || node.Subtree is null)
        {
            throw Damaged($"The dump '{path}' is not a directory, as its snapshot's format says it is");
        }

        var entries = new Dictionary<string, TreeNode>(StringComparer.Ordinal);
        foreach (var child in await SnapshotFiles.ChildrenAsync(repository, node, cancellationToken).ConfigureAwait(false))
        {
            // A backup writes each name once: a second entry of a name would make which one is restored a guess.
            if (!entries.TryAdd(child.Name, child))
            {
                throw Damaged($"The dump directory '{path}' holds two entries named '{child.Name}'");
            }
        }

        return new DumpDirectory(repository, path, entries);
    }

    /// <summary>The file <paramref name="name"/>; <paramref name="role"/> (optional) says what it holds, for the message.</summary>
    /// <exception cref="DatabaseRestoreException">There is no such entry, or it is not a file.</exception>
    public TreeNode File(string name, string? role = null)
    {
        var node = _entries.GetValueOrDefault(name) ?? throw Damaged($"The dump directory '{Path}' has no {name}{(role is null ? string.Empty : $" ({role})")}");
        return node.Type == NodeType.File ? node : throw Damaged($"'{Path}/{name}'{(role is null ? string.Empty : $" ({role})")} is not a file");
    }

    /// <summary>The subdirectory <paramref name="name"/>, listed.</summary>
    /// <exception cref="DatabaseRestoreException">There is no such entry, it is not a directory, or it holds two entries of one name.</exception>
    public Task<DumpDirectory> DirectoryAsync(string name, CancellationToken cancellationToken)
    {
        var node = _entries.GetValueOrDefault(name) ?? throw Damaged($"The dump directory '{Path}' has no {name}/ directory");
        return OpenAsync(_repository, node, $"{Path}/{name}", cancellationToken);
    }

    /// <summary>The whole content of the file <paramref name="name"/>, at most <see cref="MaxInMemoryBytes"/>.</summary>
    /// <exception cref="DatabaseRestoreException">The file is missing, too large, or its content is not as long as its entry says.</exception>
    public Task<ReadOnlyMemory<byte>> ReadAsync(string name, CancellationToken cancellationToken) =>
        ReadAsync(_repository, File(name), $"'{Path}/{name}'", cancellationToken);

    /// <summary>
    /// The file <paramref name="name"/> as JSON of <paramref name="type"/>; its entries still need the caller's
    /// checks (a crafted manifest may leave out any of them).
    /// </summary>
    /// <exception cref="DatabaseRestoreException">The file is missing, too large, empty (<c>null</c>) or not JSON of that shape.</exception>
    public async Task<T> ReadJsonAsync<T>(string name, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        var content = await ReadAsync(name, cancellationToken).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize(content.Span, type) ?? throw Damaged($"'{Path}/{name}' is empty (null)");
        }
        catch (JsonException ex)
        {
            throw Damaged($"'{Path}/{name}' is damaged: it is not the JSON a backup writes ({ex.Message})", ex);
        }
    }

    /// <summary>
    /// The whole content of the file <paramref name="node"/> (<paramref name="what"/> names it in messages): refused
    /// before reading when its entry says it is larger than <see cref="MaxInMemoryBytes"/>, and stopped as soon as
    /// the content runs past the size its entry records (memory follows the content, not the recorded size).
    /// </summary>
    /// <exception cref="DatabaseRestoreException">The file is too large, or its content is not as long as its entry says.</exception>
    public static async Task<ReadOnlyMemory<byte>> ReadAsync(BackupRepository repository, TreeNode node, string what, CancellationToken cancellationToken)
    {
        if (node.Size is < 0 or > MaxInMemoryBytes)
        {
            throw Damaged($"{what} is {node.Size:N0} bytes by its entry, more than the {MaxInMemoryBytes:N0} a restore reads into memory, so it was not read");
        }

        var buffer = new ArrayBufferWriter<byte>((int)Math.Clamp(node.Size, 1, 1 << 20));
        await repository.Content.CopyToAsync(node.Content ?? [], (chunk, _) =>
        {
            if (chunk.Length > node.Size - buffer.WrittenCount)
            {
                throw Damaged($"{what} holds more than the {node.Size:N0} bytes its entry records");
            }

            buffer.Write(chunk.Span);
            return ValueTask.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);
        return buffer.WrittenCount == node.Size
            ? buffer.WrittenMemory
            : throw Damaged($"{what} holds {buffer.WrittenCount:N0} bytes, not the {node.Size:N0} its entry records");
    }

    /// <summary>A restore refused because the snapshot's dump is not what a backup writes; <paramref name="problem"/> says what is wrong.</summary>
    public static DatabaseRestoreException Damaged(string problem, Exception? innerException = null) =>
        new($"{problem}: the snapshot is damaged or was altered. Restore from another snapshot, and check the repository (its data too).", innerException);
}
