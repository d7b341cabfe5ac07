// The code docs/extending.md quotes: each example compiles here, and ExtendingExamplesTests runs it end to end.
using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Compression;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Core.Storage;
using Backup.Core.Transforms;

namespace Backup.Core.Tests.Docs;

// <source>
/// <summary>A source whose files are in memory: what an export from an API or a database table might look like.</summary>
public sealed class InMemoryFilesSource(IReadOnlyDictionary<string, byte[]> files) : IBackupSource
{
    public string Kind => "in-memory";

    public IReadOnlyList<string> Paths => ["in-memory"];

    public async IAsyncEnumerable<SourceEntry> ReadEntriesAsync(SourceContext context, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask;
        foreach (var (name, content) in files.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new SourceEntry
            {
                Path = name, // relative, '/'-separated; a directory would come before its contents
                Metadata = new TreeNode { Name = name, Type = NodeType.File, Mode = 0b110_100_100, Size = content.Length },
                OpenContentAsync = _ => ValueTask.FromResult(PipeReader.Create(new MemoryStream(content, writable: false))),
            };
        }
    }
}
// </source>

// <target>
/// <summary>A target that keeps objects in a dictionary: the shape of an adapter for any object store.</summary>
public sealed class DictionaryTarget : IBackupTarget
{
    private readonly ConcurrentDictionary<string, (byte[] Content, DateTimeOffset Stored)> _objects = new(StringComparer.Ordinal);

    public string Description => "a dictionary";

    public Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        _objects[key] = (content.ToArray(), DateTimeOffset.UtcNow); // atomic: readers see the old or the new object
        return Task.CompletedTask;
    }

    public ValueTask<int> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var content = Find(key);
        if (offset >= content.Length)
        {
            return ValueTask.FromResult(0); // at or past the end: nothing to read, not an error
        }

        var available = content.AsSpan((int)offset);
        var count = Math.Min(available.Length, destination.Length);
        available[..count].CopyTo(destination.Span);
        return ValueTask.FromResult(count);
    }

    public async IAsyncEnumerable<BackupObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask;
        foreach (var (key, value) in _objects.Where(o => o.Key.StartsWith(prefix, StringComparison.Ordinal)))
        {
            yield return Describe(key, value);
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        _objects.TryRemove(key, out _);
        return Task.CompletedTask;
    }

    public Task<BackupObjectInfo?> StatAsync(string key, CancellationToken cancellationToken = default) =>
        Task.FromResult(_objects.TryGetValue(key, out var value) ? Describe(key, value) : null);

    private static BackupObjectInfo Describe(string key, (byte[] Content, DateTimeOffset Stored) value) =>
        new() { Key = key, Length = value.Content.Length, LastModified = value.Stored };

    private byte[] Find(string key) =>
        _objects.TryGetValue(key, out var value) ? value.Content : throw new BackupObjectNotFoundException(key, Description);
}
// </target>

// <transform>
/// <summary>Brotli compression as a user transform; declines when its output would not be smaller.</summary>
public sealed class BrotliTransform : IStreamTransform
{
    public string Name => "brotli"; // recorded in every object it encodes: never reuse it for another encoding

    public bool IsAuthenticatedEncryption => false;

    public bool TryEncode(ReadOnlySpan<byte> input, IBufferWriter<byte> output, in TransformContext context)
    {
        if (input.Length < 64)
        {
            return false;
        }

        var destination = output.GetSpan(BrotliEncoder.GetMaxCompressedLength(input.Length));
        if (!BrotliEncoder.TryCompress(input, destination, out var written, quality: 4, window: 22) || written >= input.Length)
        {
            return false; // nothing was advanced, so nothing was written
        }

        output.Advance(written);
        return true;
    }

    public void Decode(ReadOnlySpan<byte> input, IBufferWriter<byte> output, in TransformContext context)
    {
        using var decoder = new BrotliDecoder();
        var total = 0L;
        while (true)
        {
            var status = decoder.Decompress(input, output.GetSpan(64 * 1024), out var consumed, out var written);
            input = input[consumed..];
            total += written;
            if (total > context.MaxDecodedLength)
            {
                // Stored data is untrusted: never decode more than the caller allows.
                throw new InvalidDataException($"The brotli stream decodes to more than the {context.MaxDecodedLength} bytes allowed.");
            }

            output.Advance(written);
            switch (status)
            {
                case OperationStatus.Done:
                    return;
                case OperationStatus.DestinationTooSmall:
                    continue;
                default:
                    throw new InvalidDataException("The brotli stream is malformed or truncated.");
            }
        }
    }
}
// </transform>
