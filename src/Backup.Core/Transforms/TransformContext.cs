namespace Backup.Core.Transforms;

/// <summary>What a transform may bind to or must respect while it encodes or decodes one object.</summary>
/// <param name="AssociatedData">
/// Bytes that identify the object (its ID and the header naming its transforms). An authenticating transform
/// binds its output to them, so a stored object cannot be swapped for another.
/// </param>
/// <param name="MaxDecodedLength">The most bytes a decoder may produce; more means the object is malformed.</param>
public readonly record struct TransformContext(ReadOnlyMemory<byte> AssociatedData, int MaxDecodedLength)
{
    /// <summary>
    /// The object's content asked to be encoded for speed (<see cref="Sources.SourceEntry.PreferFastCompression"/>): a
    /// compressor may use a faster setting. Decoding ignores it.
    /// </summary>
    public bool PreferSpeed { get; init; }
}
