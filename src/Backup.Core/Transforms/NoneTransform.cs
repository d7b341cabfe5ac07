using System.Buffers;

namespace Backup.Core.Transforms;

/// <summary>No compression: always declines, so objects pass through unchanged and nothing is recorded for it.</summary>
internal sealed class NoneTransform : IStreamTransform
{
    /// <summary>The name used in configuration.</summary>
    public const string TransformName = "none";

    /// <inheritdoc />
    public string Name => TransformName;

    /// <inheritdoc />
    public bool IsAuthenticatedEncryption => false;

    /// <inheritdoc />
    public bool TryEncode(ReadOnlySpan<byte> input, IBufferWriter<byte> output, in TransformContext context) => false;

    /// <inheritdoc />
    public void Decode(ReadOnlySpan<byte> input, IBufferWriter<byte> output, in TransformContext context) => output.Write(input);
}
