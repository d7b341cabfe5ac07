namespace Backup.Core.Transforms;

/// <summary>The repository a <see cref="ITransformProvider"/> makes a transform for.</summary>
public sealed class TransformProviderContext
{
    /// <summary>The repository's ID (from its config): bind a wrapped key to it, as a KMS encryption context for instance.</summary>
    public required string RepositoryId { get; init; }

    /// <summary>Where the repository is, for messages.</summary>
    public required string TargetDescription { get; init; }
}
