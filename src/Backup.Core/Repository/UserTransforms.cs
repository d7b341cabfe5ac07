using System.Buffers;
using Backup.Core.Transforms;

namespace Backup.Core.Repository;

/// <summary>
/// The one place a repository's transform chain is built: compression, then the user transforms its config records
/// (made by the registered <see cref="ITransformProvider"/>s), then AES-256-GCM under the master key.
/// </summary>
internal static class UserTransforms
{
    /// <summary>The format version of a config that records user transforms: older readers, which would ignore the field, refuse it.</summary>
    public const int ConfigVersion = 2;

    private static readonly string[] BuiltInNames = [ZstdTransform.TransformName, GzipTransform.TransformName, NoneTransform.TransformName, AesGcmTransform.TransformName];

    /// <summary>Builds the chain; with no user transforms it is exactly the chain every repository had before them.</summary>
    public static TransformChain BuildChain(IStreamTransform compression, IReadOnlyList<IStreamTransform> user, AesGcmTransform encryption, ArrayPool<byte> pool) =>
        new([compression, .. user, encryption], [new ZstdTransform(), new GzipTransform(), new NoneTransform()], bufferPool: pool);

    /// <summary>Throws <see cref="ArgumentException"/> unless the names are valid, distinct and not built in.</summary>
    public static void Validate(IReadOnlyList<ITransformProvider> providers, string setting)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var provider in providers)
        {
            var name = provider?.Name;
            if (string.IsNullOrEmpty(name) || name.Length > 32 || name.Any(c => c < 0x21 || c > 0x7e))
            {
                throw new ArgumentException($"{setting}: transform name '{name}' must be 1 to 32 printable ASCII characters.");
            }

            if (BuiltInNames.Contains(name, StringComparer.Ordinal))
            {
                throw new ArgumentException($"{setting}: '{name}' is a built-in transform name; give the transform a name of its own.");
            }

            if (!seen.Add(name))
            {
                throw new ArgumentException($"{setting}: transform '{name}' is registered twice.");
            }
        }
    }

    /// <summary>Creates the user transforms of a new repository and what its config records about them.</summary>
    public static async Task<(IStreamTransform[] Transforms, ConfiguredTransform[] Configured)> CreateAsync(IReadOnlyList<ITransformProvider> providers, TransformProviderContext context, CancellationToken cancellationToken)
    {
        var transforms = new List<IStreamTransform>(providers.Count);
        var configured = new ConfiguredTransform[providers.Count];
        try
        {
            for (var i = 0; i < providers.Count; i++)
            {
                var setup = await providers[i].CreateAsync(context, cancellationToken).ConfigureAwait(false);
                transforms.Add(Checked(providers[i].Name, setup.Transform, context.TargetDescription));
                configured[i] = new ConfiguredTransform { Name = providers[i].Name, Parameters = setup.Parameters };
            }
        }
        catch
        {
            Dispose(transforms);
            throw;
        }

        return (transforms.ToArray(), configured);
    }

    /// <summary>Opens the user transforms <paramref name="config"/> records, with the providers registered for them.</summary>
    /// <exception cref="TransformNotRegisteredException">The config names a transform no provider is registered for.</exception>
    /// <exception cref="RepositoryTransformException">A provider could not open its transform from the recorded parameters.</exception>
    public static async Task<IStreamTransform[]> OpenAsync(RepositoryConfig config, IReadOnlyList<ITransformProvider> providers, string targetDescription, CancellationToken cancellationToken)
    {
        if (config.Transforms is not { Count: > 0 } recorded)
        {
            return [];
        }

        // All missing names are checked before any provider runs (a KMS call), so a misconfiguration fails fast.
        var chosen = new ITransformProvider[recorded.Count];
        for (var i = 0; i < recorded.Count; i++)
        {
            chosen[i] = providers.FirstOrDefault(p => string.Equals(p.Name, recorded[i].Name, StringComparison.Ordinal))
                ?? throw new TransformNotRegisteredException(recorded[i].Name, targetDescription);
        }

        var context = new TransformProviderContext { RepositoryId = config.Id, TargetDescription = targetDescription };
        var transforms = new List<IStreamTransform>(recorded.Count);
        try
        {
            for (var i = 0; i < recorded.Count; i++)
            {
                IStreamTransform transform;
                try
                {
                    transform = await chosen[i].OpenAsync(context, recorded[i].Parameters, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException and not RepositoryException)
                {
                    throw new RepositoryTransformException(recorded[i].Name, $"Transform '{recorded[i].Name}' of the repository in {targetDescription} could not be opened from the parameters the repository recorded: {ex.Message}", ex);
                }

                transforms.Add(Checked(recorded[i].Name, transform, targetDescription));
            }
        }
        catch
        {
            Dispose(transforms);
            throw;
        }

        return [.. transforms];
    }

    /// <summary>Disposes the transforms a repository was given.</summary>
    public static void Dispose(IEnumerable<IStreamTransform> transforms)
    {
        foreach (var transform in transforms)
        {
            (transform as IDisposable)?.Dispose();
        }
    }

    private static IStreamTransform Checked(string name, IStreamTransform? transform, string targetDescription)
    {
        if (transform is null || !string.Equals(transform.Name, name, StringComparison.Ordinal))
        {
            (transform as IDisposable)?.Dispose();
            throw new RepositoryTransformException(name, $"The provider of transform '{name}' for the repository in {targetDescription} returned {(transform is null ? "no transform" : $"a transform named '{transform.Name}'")}; it must return one named '{name}'.");
        }

        return transform;
    }
}
