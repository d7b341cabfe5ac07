namespace Backup.Core.Transforms;

/// <summary>Ready-made <see cref="ITransformProvider"/>s.</summary>
public static class TransformProviders
{
    /// <summary>
    /// A provider for a transform that needs no per-repository state: every repository uses <paramref name="transform"/>
    /// and records no parameters. The instance is shared, so repositories never dispose it; the caller does.
    /// </summary>
    public static ITransformProvider Fixed(IStreamTransform transform)
    {
        ArgumentNullException.ThrowIfNull(transform);
        return new FixedTransformProvider(transform);
    }

    private sealed class FixedTransformProvider(IStreamTransform transform) : ITransformProvider
    {
        public string Name => transform.Name;

        public ValueTask<TransformSetup> CreateAsync(TransformProviderContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new TransformSetup { Transform = new SharedTransform(transform) });

        public ValueTask<IStreamTransform> OpenAsync(TransformProviderContext context, string? parameters, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IStreamTransform>(new SharedTransform(transform));
    }

    /// <summary>Hides the shared instance's <see cref="IDisposable"/> from the repository, which disposes the transforms it was given.</summary>
    private sealed class SharedTransform(IStreamTransform inner) : IStreamTransform
    {
        public string Name => inner.Name;

        public bool IsAuthenticatedEncryption => inner.IsAuthenticatedEncryption;

        public bool TryEncode(ReadOnlySpan<byte> input, System.Buffers.IBufferWriter<byte> output, in TransformContext context) => inner.TryEncode(input, output, context);

        public void Decode(ReadOnlySpan<byte> input, System.Buffers.IBufferWriter<byte> output, in TransformContext context) => inner.Decode(input, output, context);
    }
}
