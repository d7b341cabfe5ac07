using System.Buffers;
using Backup.Core.Buffers;
using Backup.Core.Repository;
using Backup.Core.Repository.Blobs;

namespace Backup.Core.Maintenance;

/// <summary>
/// Writes new packs from blobs that are already encoded (copied verbatim out of other packs). A stored blob is a
/// self-contained envelope whose authentication is bound to its blob ID, not to its pack or offset, so moving it
/// needs no decryption or re-compression; only the new pack's header is encoded.
/// </summary>
internal sealed class PackRewriter : IDisposable
{
    private readonly BackupRepository _repository;
    private readonly PooledBufferWriter _buffer;
    private readonly List<PackHeaderEntry> _entries = [];

    public PackRewriter(BackupRepository repository)
    {
        _repository = repository;
        _buffer = new PooledBufferWriter(repository.Config.PackSize + (repository.Config.PackSize / 4));
    }

    /// <summary>The packs written so far, with their blobs, for the new index.</summary>
    public List<(BlobId Pack, List<PackHeaderEntry> Entries, long Size)> Written { get; } = [];

    /// <summary>Bytes uploaded.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Appends one stored blob; uploads the pack when it reaches the repository's pack size.</summary>
    public async Task AddAsync(BlobId id, BlobType type, ReadOnlyMemory<byte> stored, uint rawLength, CancellationToken cancellationToken)
    {
        _entries.Add(new PackHeaderEntry(id, type, (uint)_buffer.WrittenCount, (uint)stored.Length, rawLength));
        _buffer.Write(stored.Span);
        if (_buffer.WrittenCount >= _repository.Config.PackSize)
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Uploads the pack being filled, if any.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_entries.Count == 0)
        {
            return;
        }

        _buffer.Write(PackFormat.EncodeHeaderAndTrailer(_entries, _repository.Blobs.Chain));
        var id = BlobId.Sha256(_buffer.WrittenSpan);
        await _repository.Blobs.PutPackAsync(id, _buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        Written.Add((id, [.. _entries], _buffer.WrittenCount));
        BytesWritten += _buffer.WrittenCount;
        _entries.Clear();
        _buffer.Reset();
    }

    public void Dispose() => _buffer.Dispose();
}
