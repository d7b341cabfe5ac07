namespace Backup.Core.Transforms;

/// <summary>What <see cref="ITransformProvider.CreateAsync"/> made for a new repository.</summary>
public sealed class TransformSetup
{
    /// <summary>The transform; its <see cref="IStreamTransform.Name"/> must be the provider's name.</summary>
    public required IStreamTransform Transform { get; init; }

    /// <summary>What to record in the repository config and hand back to <see cref="ITransformProvider.OpenAsync"/>; no secret in clear.</summary>
    public string? Parameters { get; init; }
}
