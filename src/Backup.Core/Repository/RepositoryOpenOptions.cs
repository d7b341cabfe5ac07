using Backup.Core.Transforms;

namespace Backup.Core.Repository;

/// <summary>Settings for opening an existing repository.</summary>
public sealed class RepositoryOpenOptions
{
    /// <summary>
    /// The user transforms that may be needed: those the repository's config names are opened, the others are
    /// ignored (so one list can serve several repositories). A repository that names a transform not in this list
    /// refuses to open with <see cref="TransformNotRegisteredException"/>.
    /// </summary>
    public IReadOnlyList<ITransformProvider> Transforms { get; init; } = [];
}
