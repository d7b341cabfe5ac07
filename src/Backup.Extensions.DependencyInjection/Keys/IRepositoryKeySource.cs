using Backup.Core.Crypto;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// Where a repository's password or key file comes from. Implementations never log the secret and never put
/// it in an exception message; errors name where the secret was looked for, not what it is.
/// </summary>
public interface IRepositoryKeySource
{
    /// <summary>A short description for logs and errors ("environment variable BACKUP_PASSWORD"); never the secret.</summary>
    string Description { get; }

    /// <summary>Reads the credentials. The caller disposes them (which wipes the secret from memory).</summary>
    /// <exception cref="RepositoryKeyUnavailableException">The secret is not there.</exception>
    ValueTask<RepositoryCredentials> GetCredentialsAsync(CancellationToken cancellationToken = default);
}

/// <summary>A key source could not produce the secret; the message says where it looked, never the secret.</summary>
public sealed class RepositoryKeyUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RepositoryKeyUnavailableException(string message, Exception? innerException = null) : base(message, innerException) { }

    /// <summary>Creates the exception.</summary>
    public RepositoryKeyUnavailableException() { }

    /// <summary>Creates the exception.</summary>
    public RepositoryKeyUnavailableException(string message) : base(message) { }
}

/// <summary>Reads the password from an environment variable.</summary>
public sealed class EnvironmentVariableKeySource : IRepositoryKeySource
{
    private readonly string _variable;

    /// <summary>Reads <paramref name="variable"/>.</summary>
    public EnvironmentVariableKeySource(string variable)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(variable);
        _variable = variable;
    }

    /// <inheritdoc/>
    public string Description => EnvironmentVariableName.Describe(_variable);

    /// <inheritdoc/>
    public ValueTask<RepositoryCredentials> GetCredentialsAsync(CancellationToken cancellationToken = default)
    {
        var value = Environment.GetEnvironmentVariable(_variable);
        return string.IsNullOrEmpty(value)
            ? throw new RepositoryKeyUnavailableException($"The {Description} is not set or empty.")
            : ValueTask.FromResult(RepositoryCredentials.FromPassword(value));
    }
}

/// <summary>Reads a password (the first line, without its line ending, as <see cref="SecretFile"/> reads it everywhere) or a key file from disk (e.g. a mounted Kubernetes or Docker secret).</summary>
public sealed class FileKeySource : IRepositoryKeySource
{
    private readonly string _path;
    private readonly bool _isKeyFile;

    /// <summary>Reads <paramref name="path"/>; as raw key-file bytes when <paramref name="isKeyFile"/>, else as a password.</summary>
    public FileKeySource(string path, bool isKeyFile = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _path = path;
        _isKeyFile = isKeyFile;
    }

    /// <inheritdoc/>
    public string Description => _isKeyFile ? $"key file '{_path}'" : $"password file '{_path}'";

    /// <inheritdoc/>
    public async ValueTask<RepositoryCredentials> GetCredentialsAsync(CancellationToken cancellationToken = default)
    {
        if (!_isKeyFile)
        {
            try
            {
                // The first line, as the backup tool reads its password files.
                return RepositoryCredentials.FromPassword(await SecretFile.ReadAsync(_path, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception e) when (e is FileNotFoundException or UnauthorizedAccessException or InvalidDataException)
            {
                // SecretFile's own messages name the file and say what to do (not found, denied, empty); prefixed, they said the file twice.
                throw new RepositoryKeyUnavailableException(e.Message, e);
            }
            catch (IOException e)
            {
                throw new RepositoryKeyUnavailableException($"Cannot read the {Description}: {e.Message}", e);
            }
        }

        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(_path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // .NET's message names the path again ("Could not find file '…'"): said once, with what to do.
            throw new RepositoryKeyUnavailableException($"Key file '{Path.GetFullPath(_path)}' does not exist: give the path of the key file. A file named by a configuration or a plan may have been on a machine that is gone: bring it from where it is kept, or give its path where it is now.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The inner exception is about the file (denied, unreadable), never its content.
            throw new RepositoryKeyUnavailableException($"Cannot read the {Description}: {e.Message}", e);
        }

        try
        {
            return RepositoryCredentials.FromKeyFile(bytes);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes);
        }
    }
}

/// <summary>Reads the password from a configuration value (fed by user secrets, a key vault provider, …).</summary>
public sealed class ConfigurationKeySource : IRepositoryKeySource
{
    private readonly Microsoft.Extensions.Configuration.IConfiguration _configuration;
    private readonly string _key;

    /// <summary>Reads <paramref name="key"/> from <paramref name="configuration"/> each time (so a rotated secret is picked up).</summary>
    public ConfigurationKeySource(Microsoft.Extensions.Configuration.IConfiguration configuration, string key)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        _configuration = configuration;
        _key = key;
    }

    /// <inheritdoc/>
    public string Description => $"configuration value '{_key}'";

    /// <inheritdoc/>
    public ValueTask<RepositoryCredentials> GetCredentialsAsync(CancellationToken cancellationToken = default)
    {
        var value = _configuration[_key];
        return string.IsNullOrEmpty(value)
            ? throw new RepositoryKeyUnavailableException($"The {Description} is not set or empty.")
            : ValueTask.FromResult(RepositoryCredentials.FromPassword(value));
    }
}

/// <summary>Gets the credentials from a delegate: the adapter for a vault, KMS or HSM client.</summary>
public sealed class DelegateKeySource : IRepositoryKeySource
{
    private readonly Func<CancellationToken, ValueTask<RepositoryCredentials>> _get;

    /// <summary>Calls <paramref name="get"/> whenever the repository is opened.</summary>
    public DelegateKeySource(string description, Func<CancellationToken, ValueTask<RepositoryCredentials>> get)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        ArgumentNullException.ThrowIfNull(get);
        Description = description;
        _get = get;
    }

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public ValueTask<RepositoryCredentials> GetCredentialsAsync(CancellationToken cancellationToken = default) => _get(cancellationToken);
}
