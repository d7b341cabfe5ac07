using System.Buffers;

namespace Backup.Core.Transforms;

/// <summary>
/// A named, reversible transform over the bytes of one stored object (a chunk, an index, a snapshot):
/// compression, encryption, or anything a user plugs in (an envelope key from a KMS, say).
/// Transforms compose in a <see cref="TransformChain"/>, and every stored object records the names of the
/// transforms that made it, so reading needs no outside configuration.
/// </summary>
/// <remarks>Implementations must be safe to call from several threads at once.</remarks>
public interface IStreamTransform
{
    /// <summary>
    /// The name recorded in stored objects: 1 to 32 printable ASCII characters, never reused for a different
    /// encoding (so "zstd" always means zstd, whatever the level).
    /// </summary>
    string Name { get; }

    /// <summary>Whether this transform authenticates what it encodes (tampering makes <see cref="Decode"/> throw).</summary>
    bool IsAuthenticatedEncryption { get; }

    /// <summary>
    /// Encodes <paramref name="input"/> into <paramref name="output"/>, or declines by returning
    /// <see langword="false"/> without writing (a compressor whose output would not be smaller, for instance);
    /// a declined transform is not recorded.
    /// </summary>
    bool TryEncode(ReadOnlySpan<byte> input, IBufferWriter<byte> output, in TransformContext context);

    /// <summary>Reverses <see cref="TryEncode"/>. Throws <see cref="InvalidDataException"/> when the input is not valid.</summary>
    void Decode(ReadOnlySpan<byte> input, IBufferWriter<byte> output, in TransformContext context);
}
