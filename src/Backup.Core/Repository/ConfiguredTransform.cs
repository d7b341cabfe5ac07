namespace Backup.Core.Repository;

/// <summary>A user transform recorded in the repository config: the provider's name and the parameters it stored.</summary>
public sealed class ConfiguredTransform
{
    /// <summary>The transform's name (<see cref="Transforms.ITransformProvider.Name"/>).</summary>
    public required string Name { get; init; }

    /// <summary>What the provider recorded at creation (a wrapped data key, a key ID); null when nothing.</summary>
    public string? Parameters { get; init; }
}
