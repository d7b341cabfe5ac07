using System.Buffers;
using System.Text;
using Backup.Core.Buffers;

namespace Backup.Core.Transforms;

/// <summary>
/// Applies transforms in order (compression, then encryption) and wraps the result in an envelope that names the
/// transforms that were applied; decoding reads those names and undoes them in reverse, so a stored object
/// needs no outside configuration to be read.
/// </summary>
/// <remarks>
/// Envelope: version byte (1), count byte n, then n times (length byte, ASCII name) in the order applied, then
/// the payload. The header bytes are part of the associated data every transform sees, so an authenticating
/// transform also protects the list of names.
/// </remarks>
internal sealed class TransformChain
{
    private const byte EnvelopeVersion = 1;
    private readonly IStreamTransform[] _encoders;
    private readonly Dictionary<string, IStreamTransform> _decoders;
    private readonly string? _requiredLast;
    private readonly ArrayPool<byte> _pool;

    /// <summary>Creates a chain.</summary>
    /// <param name="encoders">What new objects go through, in order.</param>
    /// <param name="decoders">Extra transforms that may be named in stored objects (the encoders are always known).</param>
    /// <param name="requireAuthenticatedLast">
    /// When set, decoding refuses any object whose last transform is not authenticated encryption, so stripping
    /// the encryption from a stored object cannot pass it off as plaintext.
    /// </param>
    /// <param name="bufferPool">Where intermediate buffers come from; the shared pool when null.</param>
    public TransformChain(IEnumerable<IStreamTransform> encoders, IEnumerable<IStreamTransform>? decoders = null, bool requireAuthenticatedLast = true, ArrayPool<byte>? bufferPool = null)
    {
        _pool = bufferPool ?? ArrayPool<byte>.Shared;
        _encoders = [.. encoders];
        _decoders = new(StringComparer.Ordinal);
        foreach (var transform in _encoders.Concat(decoders ?? []))
        {
            ValidateName(transform.Name);
            _decoders[transform.Name] = transform;
        }

        var last = _encoders.LastOrDefault();
        if (requireAuthenticatedLast)
        {
            if (last is not { IsAuthenticatedEncryption: true })
            {
                throw new ArgumentException("The last transform must be authenticated encryption when encryption is required.", nameof(encoders));
            }

            _requiredLast = last.Name;
        }
    }

    /// <summary>The transforms new objects go through, in order.</summary>
    public IReadOnlyList<IStreamTransform> Encoders => _encoders;

    /// <summary>Encodes <paramref name="data"/> into a new envelope, binding it to <paramref name="objectId"/>.</summary>
    public byte[] Encode(ReadOnlySpan<byte> data, ReadOnlySpan<byte> objectId)
    {
        using var output = new PooledBufferWriter(data.Length + 128, _pool);
        EncodeTo(data, objectId, output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Encodes <paramref name="data"/> into a new envelope written to <paramref name="destination"/>.</summary>
    public void EncodeTo(ReadOnlySpan<byte> data, ReadOnlySpan<byte> objectId, IBufferWriter<byte> destination) =>
        EncodeTo(data, objectId, destination, scratch: null);

    /// <summary>The room an intermediate buffer needs for <paramref name="length"/> bytes that do not shrink.</summary>
    internal static int IntermediateRoom(int length) => length + (length / 128) + 1024;

    private static long IntermediateRoom(long length) => length + (length / 128) + 1024;

    /// <summary>
    /// Encodes <paramref name="data"/> into <paramref name="destination"/>, using <paramref name="scratch"/> (which the
    /// caller keeps and reuses) for the first intermediate result instead of renting one per call.
    /// </summary>
    internal void EncodeTo(ReadOnlySpan<byte> data, ReadOnlySpan<byte> objectId, IBufferWriter<byte> destination, PooledBufferWriter? scratch, bool preferSpeed = false)
    {
        // Intermediate buffers are needed only for transforms that do not write to the destination (encryption, last,
        // does), with room for data that does not shrink: usually one, and never one that must grow.
        PooledBufferWriter? first = scratch, second = null;
        try
        {
            var room = IntermediateRoom(data.Length);
            PooledBufferWriter? current = null;
            var applied = new List<string>(_encoders.Length);
            ReadOnlySpan<byte> input = data;
            for (var i = 0; i < _encoders.Length; i++)
            {
                var encoder = _encoders[i];

                // Each transform is bound to the names applied so far and its own, exactly what the header will say.
                applied.Add(encoder.Name);
                var aad = AssociatedData(objectId, HeaderFor(applied));
                if (i == _encoders.Length - 1 && encoder.IsAuthenticatedEncryption)
                {
                    // Encryption always applies, so the header is known before it runs and it can write straight
                    // into the destination: one copy of every blob fewer on the hot path.
                    destination.Write(HeaderFor(applied));
                    if (!encoder.TryEncode(input, destination, new TransformContext(aad, int.MaxValue) { PreferSpeed = preferSpeed }))
                    {
                        throw new InvalidOperationException($"Authenticated encryption '{encoder.Name}' declined to encode; it must always apply.");
                    }

                    return;
                }

                // Output goes to the intermediate buffer that does not hold the input.
                var next = current is not null && ReferenceEquals(current, first)
                    ? second ??= new PooledBufferWriter(room, _pool)
                    : first ??= new PooledBufferWriter(room, _pool);
                next.Reset();
                if (encoder.TryEncode(input, next, new TransformContext(aad, int.MaxValue) { PreferSpeed = preferSpeed }))
                {
                    current = next;
                    input = current.WrittenSpan;
                }
                else
                {
                    applied.RemoveAt(applied.Count - 1);
                }
            }

            destination.Write(HeaderFor(applied));
            destination.Write(input);
        }
        finally
        {
            if (scratch is null)
            {
                first?.Dispose(); // rented here; a scratch buffer stays the caller's
            }

            second?.Dispose();
        }
    }

    /// <summary>Decodes an envelope made by <see cref="Encode"/> for the same <paramref name="objectId"/>.</summary>
    /// <exception cref="InvalidDataException">The object is malformed, altered, names an unknown transform, or is not encrypted when it must be.</exception>
    public byte[] Decode(ReadOnlySpan<byte> stored, ReadOnlySpan<byte> objectId, int maxDecodedLength = int.MaxValue)
    {
        using var output = new PooledBufferWriter(stored.Length * 2, _pool);
        DecodeTo(stored, objectId, output, maxDecodedLength);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Decodes an envelope into <paramref name="destination"/>.</summary>
    /// <exception cref="InvalidDataException">The object is malformed, altered, names an unknown transform, or is not encrypted when it must be.</exception>
    public void DecodeTo(ReadOnlySpan<byte> stored, ReadOnlySpan<byte> objectId, IBufferWriter<byte> destination, int maxDecodedLength = int.MaxValue)
    {
        var names = ReadHeader(stored, out var headerLength);
        if (_requiredLast is not null && (names.Count == 0 || names[^1] != _requiredLast))
        {
            throw new InvalidDataException($"The object is not protected by '{_requiredLast}' (its transforms: [{string.Join(", ", names)}]); it was not written by this repository or has been tampered with.");
        }

        var transforms = new IStreamTransform[names.Count];
        for (var i = 0; i < names.Count; i++)
        {
            if (!_decoders.TryGetValue(names[i], out transforms[i]!))
            {
                throw new InvalidDataException($"The object was written with transform '{names[i]}', which is not registered; register it to read this object.");
            }
        }

        ReadOnlySpan<byte> input = stored[headerLength..];
        if (transforms.Length == 0)
        {
            destination.Write(input);
            return;
        }

        // Decryption, undone first, never grows its input and writes all of it: usually the one intermediate buffer.
        // Only the last decoder's output is the object itself; what an inner layer decodes to is still encoded by the
        // layers below it (an envelope transform's ciphertext of incompressible data is a little longer than the
        // data), so inner layers get the room a buffer of data that did not shrink needs.
        PooledBufferWriter? first = null, second = null;
        var innerMaxDecodedLength = (int)Math.Min(int.MaxValue, IntermediateRoom((long)maxDecodedLength));
        var decryptsFirst = transforms[^1].IsAuthenticatedEncryption;
        try
        {
            var inputInFirst = false;
            for (var i = transforms.Length - 1; i > 0; i--)
            {
                // Output goes to the intermediate buffer that does not hold the input.
                var next = inputInFirst
                    ? second ??= new PooledBufferWriter(input.Length * 2, _pool)
                    : first ??= new PooledBufferWriter(input.Length, _pool, willFill: decryptsFirst);
                next.Reset();
                transforms[i].Decode(input, next, new TransformContext(AssociatedData(objectId, HeaderFor(names.Take(i + 1))), innerMaxDecodedLength));
                input = next.WrittenSpan;
                inputInFirst = next == first;
            }

            transforms[0].Decode(input, destination, new TransformContext(AssociatedData(objectId, HeaderFor(names.Take(1))), maxDecodedLength));
        }
        finally
        {
            first?.Dispose();
            second?.Dispose();
        }
    }

    /// <summary>Reads the names of the transforms recorded in a stored object.</summary>
    public static IReadOnlyList<string> ReadTransformNames(ReadOnlySpan<byte> stored) => ReadHeader(stored, out _);

    private static List<string> ReadHeader(ReadOnlySpan<byte> stored, out int headerLength)
    {
        if (stored.Length < 2 || stored[0] != EnvelopeVersion)
        {
            throw new InvalidDataException(stored.Length < 2 ? "The object is too short to be an envelope." : $"The object has envelope version {stored[0]}; this reader knows version {EnvelopeVersion}.");
        }

        var count = stored[1];
        var names = new List<string>(count);
        var position = 2;
        for (var i = 0; i < count; i++)
        {
            if (position >= stored.Length || position + 1 + stored[position] > stored.Length)
            {
                throw new InvalidDataException("The object's transform header is truncated.");
            }

            names.Add(Encoding.ASCII.GetString(stored.Slice(position + 1, stored[position])));
            position += 1 + stored[position];
        }

        headerLength = position;
        return names;
    }

    private static byte[] HeaderFor(IEnumerable<string> names)
    {
        var list = names.ToList();
        var header = new List<byte>(2 + list.Sum(n => n.Length + 1)) { EnvelopeVersion, (byte)list.Count };
        foreach (var name in list)
        {
            header.Add((byte)name.Length);
            header.AddRange(Encoding.ASCII.GetBytes(name));
        }

        return [.. header];
    }

    private static byte[] AssociatedData(ReadOnlySpan<byte> objectId, byte[] header)
    {
        var aad = new byte[objectId.Length + header.Length];
        objectId.CopyTo(aad);
        header.CopyTo(aad.AsSpan(objectId.Length));
        return aad;
    }

    private static void ValidateName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 32 || name.Any(c => c < 0x21 || c > 0x7e))
        {
            throw new ArgumentException($"Transform name '{name}' must be 1 to 32 printable ASCII characters.");
        }
    }
}
