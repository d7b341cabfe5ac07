using System.Buffers;
using System.IO.Compression;

namespace Backup.Core.Transforms;

/// <summary>gzip compression (System.IO.Compression). Declines when the result would not be smaller than the input.</summary>
internal sealed class GzipTransform : IStreamTransform
{
    /// <summary>The name recorded in stored objects.</summary>
    public const string TransformName = "gzip";

    /// <summary>Compresses at <paramref name="level"/>.</summary>
    public GzipTransform(CompressionLevel level = CompressionLevel.Fastest) => Level = level;

    /// <summary>The compression level.</summary>
    public CompressionLevel Level { get; }

    /// <inheritdoc />
    public string Name => TransformName;

    /// <inheritdoc />
    public bool IsAuthenticatedEncryption => false;

    /// <inheritdoc />
    public bool TryEncode(ReadOnlySpan<byte> input, IBufferWriter<byte> output, in TransformContext context)
    {
        if (input.Length < 64)
        {
            return false;
        }

        using var buffer = new MemoryStream(input.Length / 2);
        using (var gzip = new GZipStream(buffer, Level, leaveOpen: true))
        {
            gzip.Write(input);
        }

        if (buffer.Length >= input.Length)
        {
            return false;
        }

        output.Write(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        return true;
    }

    /// <inheritdoc />
    public void Decode(ReadOnlySpan<byte> input, IBufferWriter<byte> output, in TransformContext context)
    {
        try
        {
            unsafe
            {
                fixed (byte* pointer = input)
                {
                    using var source = new UnmanagedMemoryStream(pointer, input.Length);
                    using var gzip = new GZipStream(source, CompressionMode.Decompress);
                    var total = 0;
                    while (true)
                    {
                        var span = output.GetSpan(64 * 1024);
                        var read = gzip.Read(span);
                        if (read == 0)
                        {
                            break;
                        }

                        total += read;
                        if (total > context.MaxDecodedLength)
                        {
                            throw new InvalidDataException($"The gzip stream decodes to more than the {context.MaxDecodedLength} bytes allowed.");
                        }

                        output.Advance(read);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is not InvalidDataException)
        {
            throw new InvalidDataException("The gzip stream is malformed.", ex);
        }
    }
}
