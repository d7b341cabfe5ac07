namespace Backup.Core.Repository;

/// <summary>A user transform the repository records could not be set up for it; <see cref="TransformName"/> says which.</summary>
public class RepositoryTransformException : RepositoryException
{
    /// <summary>Creates the exception.</summary>
    public RepositoryTransformException(string transformName, string message, Exception? innerException = null)
        : base(message, innerException) => TransformName = transformName;

    /// <summary>The name of the transform.</summary>
    public string TransformName { get; }
}
