namespace Backup.Core.Storage.Locations;

/// <summary>
/// One setting a <see cref="ITargetProvider"/> reads (an endpoint, a region, a credential): its name in configuration
/// (<c>Backup:Repositories:NAME:Settings:NAME</c>) and the environment variable the backup tool reads it from.
/// </summary>
public sealed class TargetSetting
{
    /// <summary>Declares a setting.</summary>
    /// <param name="name">The name in configuration, such as "Endpoint".</param>
    /// <param name="environmentVariable">The environment variable it is read from when configuration does not set it, or null.</param>
    /// <param name="description">What the value is, completing "it must hold …" (such as "the S3 secret access key").</param>
    /// <param name="isSecret">Whether the value is a secret (a password, a key): never logged or put in a message.</param>
    /// <param name="isRequired">Whether every location of the provider needs it.</param>
    /// <param name="fallbackEnvironmentVariables">Further environment variables tried in order after <paramref name="environmentVariable"/>.</param>
    public TargetSetting(string name, string? environmentVariable, string description, bool isSecret = false, bool isRequired = false, IReadOnlyList<string>? fallbackEnvironmentVariables = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        Name = name;
        EnvironmentVariable = environmentVariable;
        Description = description;
        IsSecret = isSecret;
        IsRequired = isRequired;
        FallbackEnvironmentVariables = fallbackEnvironmentVariables ?? [];
    }

    /// <summary>The name in configuration, such as "Endpoint" (compared without regard to case).</summary>
    public string Name { get; }

    /// <summary>The environment variable it is read from, such as "BACKUP_S3_ENDPOINT", or null.</summary>
    public string? EnvironmentVariable { get; }

    /// <summary>Further environment variables tried in order after <see cref="EnvironmentVariable"/> (AWS_REGION after BACKUP_S3_REGION).</summary>
    public IReadOnlyList<string> FallbackEnvironmentVariables { get; }

    /// <summary>What the value is ("the S3 secret access key").</summary>
    public string Description { get; }

    /// <summary>Whether the value is a secret: never logged or put in a message.</summary>
    public bool IsSecret { get; }

    /// <summary>Whether every location of the provider needs it (checked before the target is created, e.g. at host start-up).</summary>
    public bool IsRequired { get; }

    /// <summary>The value from the first of its environment variables that is set and not blank, or null.</summary>
    /// <param name="environment">Reads an environment variable (<see cref="Environment.GetEnvironmentVariable(string)"/>, or a test's map).</param>
    public string? ReadEnvironment(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (EnvironmentVariable is not null && environment(EnvironmentVariable) is { } value && !string.IsNullOrWhiteSpace(value))
        {
            return value;
        }

        foreach (var variable in FallbackEnvironmentVariables)
        {
            if (environment(variable) is { } fallback && !string.IsNullOrWhiteSpace(fallback))
            {
                return fallback;
            }
        }

        return null;
    }

    /// <summary>The name with its environment variable, for messages: "SecretAccessKey (AWS_SECRET_ACCESS_KEY)".</summary>
    public override string ToString() => EnvironmentVariable is null ? Name : $"{Name} ({EnvironmentVariable})";
}
