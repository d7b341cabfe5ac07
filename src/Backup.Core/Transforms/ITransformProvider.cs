namespace Backup.Core.Transforms;

/// <summary>
/// Makes a user transform (an envelope key from a KMS, say) for one repository. Registered by <see cref="Name"/> when a
/// repository is created (<see cref="Repository.RepositoryInitOptions.Transforms"/>) or opened
/// (<see cref="Repository.RepositoryOpenOptions.Transforms"/>); the repository config records the name and the
/// parameters <see cref="CreateAsync"/> returned, and a repository whose config names a provider that is not registered
/// refuses to open (<see cref="Repository.TransformNotRegisteredException"/>).
/// </summary>
/// <remarks>
/// New objects go through compression, then the user transforms in the order they were registered at creation,
/// then the repository's AES-256-GCM, which stays last so every object is still authenticated under the master key.
/// Blob IDs are keyed hashes of the plaintext, taken before any transform, so deduplication is unaffected.
/// </remarks>
public interface ITransformProvider
{
    /// <summary>
    /// The name recorded in the config and in every object the transform encodes: 1 to 32 printable ASCII characters,
    /// not one of the built-in names. Put a version in it ("kms-envelope-v1") and never reuse it for another encoding.
    /// </summary>
    string Name { get; }

    /// <summary>
    /// Creates the transform for a new repository, with the parameters to record in its config (a wrapped data key,
    /// a key ID). The config is plain JSON, authenticated but not encrypted: parameters must hold no secret in clear.
    /// </summary>
    ValueTask<TransformSetup> CreateAsync(TransformProviderContext context, CancellationToken cancellationToken);

    /// <summary>
    /// Re-creates the transform of an existing repository from the parameters <see cref="CreateAsync"/> recorded.
    /// Throws (for instance <see cref="InvalidDataException"/>) when the parameters are of a version or shape it does
    /// not know; the repository then refuses to open with a <see cref="Repository.RepositoryTransformException"/>.
    /// </summary>
    ValueTask<IStreamTransform> OpenAsync(TransformProviderContext context, string? parameters, CancellationToken cancellationToken);
}
