using Backup.Core.Storage.Locations;

namespace Backup.Providers;

/// <summary>Splits the address of an object-store location, <c>container[/prefix]</c>, shared by the S3 and Azure providers.</summary>
internal static class TargetLocations
{
    /// <summary>The container (bucket) and the prefix without slashes at either end.</summary>
    /// <exception cref="TargetConfigurationException">There is no container, or it looks like user info or a port.</exception>
    public static (string Container, string Prefix) Split(RepositoryLocation location, string form, string what)
    {
        var rest = location.Address;
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var container = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? string.Empty : rest[(slash + 1)..].Trim('/');
        if (string.IsNullOrWhiteSpace(container) || container.Contains('@', StringComparison.Ordinal) || container.Contains(':', StringComparison.Ordinal))
        {
            throw new TargetConfigurationException($"The repository URL needs a {what}: {form}.");
        }

        return (container, prefix);
    }

    /// <summary>Runs a provider's option validation, whose messages name the option, never its value, as a configuration error.</summary>
    public static void Validate(Action validate, string? hint = null)
    {
        try
        {
            validate();
        }
        catch (ArgumentException ex) when (ex is not TargetConfigurationException)
        {
            throw new TargetConfigurationException(hint is null ? $"Invalid repository settings: {ex.Message}" : $"Invalid repository settings: {ex.Message} ({hint})", ex.ParamName, ex);
        }
    }
}
