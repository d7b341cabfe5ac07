namespace Backup.Core.Repository;

/// <summary>
/// The repository was created with a user transform that is not registered, so its objects cannot be read: register a
/// provider named <see cref="RepositoryTransformException.TransformName"/> in <see cref="RepositoryOpenOptions.Transforms"/>.
/// </summary>
public sealed class TransformNotRegisteredException : RepositoryTransformException
{
    /// <summary>Creates the exception.</summary>
    public TransformNotRegisteredException(string transformName, string targetDescription)
        : base(transformName, $"The repository in {targetDescription} was created with transform '{transformName}', which is not registered: register a transform provider named '{transformName}' (RepositoryOpenOptions.Transforms) to open it.") { }
}
