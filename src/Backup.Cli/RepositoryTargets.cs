using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Providers.Azure;
using Backup.Providers.S3;
using Backup.Providers.Sftp;

namespace Backup.Cli;

/// <summary>
/// Turns a repository location into a storage target. The one place that knows the kinds of location: a local
/// directory (a path or <c>file://</c>), <c>sftp://user@host[:port]/path</c>, <c>s3://bucket[/prefix]</c> and
/// <c>azure://container[/prefix]</c>. Remote settings and secrets come only from the environment (or files it names),
/// never from arguments, and no message here ever contains one. Remote targets are wrapped in <see cref="RetryingTarget"/>.
/// </summary>
internal static class RepositoryTargets
{
    public const string RepositoryVariable = "BACKUP_REPOSITORY";

    /// <summary>Octal permissions for new objects of local and SFTP repositories (default 600; 640 or 660 for a group).</summary>
    public const string FileModeVariable = "BACKUP_FILE_MODE";

    public const string SftpHostKeyVariable = "BACKUP_SFTP_HOST_KEY";
    public const string SftpKeyFileVariable = "BACKUP_SFTP_KEY_FILE";
    public const string SftpKeyPassphraseVariable = "BACKUP_SFTP_KEY_PASSPHRASE";
    public const string SftpPasswordVariable = "BACKUP_SFTP_PASSWORD";

    public const string S3EndpointVariable = "BACKUP_S3_ENDPOINT";
    public const string S3RegionVariable = "BACKUP_S3_REGION";
    public const string S3PathStyleVariable = "BACKUP_S3_PATH_STYLE";
    public const string AwsAccessKeyVariable = "AWS_ACCESS_KEY_ID";
    public const string AwsSecretKeyVariable = "AWS_SECRET_ACCESS_KEY";
    public const string AwsSessionTokenVariable = "AWS_SESSION_TOKEN";

    public const string AzureConnectionStringVariable = "AZURE_STORAGE_CONNECTION_STRING";

    /// <summary>The location from --repo or $BACKUP_REPOSITORY.</summary>
    public static string ResolveLocation(CommandContext context)
    {
        var location = context.Repo;
        if (string.IsNullOrWhiteSpace(location))
        {
            location = context.Console.GetEnvironmentVariable(RepositoryVariable);
        }

        return string.IsNullOrWhiteSpace(location)
            ? throw new CliUsageException($"No repository given: pass --repo LOCATION or set {RepositoryVariable}.")
            : location;
    }

    /// <summary>The target at <paramref name="location"/>, with remote settings from the process environment.</summary>
    public static IBackupTarget Create(string location, bool create) => Create(location, create, Environment.GetEnvironmentVariable);

    /// <summary>The target at <paramref name="location"/>.</summary>
    /// <param name="location">A local directory path, or an sftp://, s3:// or azure:// URL.</param>
    /// <param name="create">Whether the location may be created (init); otherwise a missing local directory is <see cref="RepositoryNotFoundException"/>.</param>
    /// <param name="environment">Reads an environment variable (remote settings and secrets).</param>
    /// <param name="wrap">Decorates the storage target itself, inside the retry layer (request counting); none when null.</param>
    /// <param name="allowInsecureHttp">Accept an http:// S3 endpoint on another machine (--allow-insecure-http).</param>
    /// <param name="warn">Told when an insecure setting is used anyway.</param>
    public static IBackupTarget Create(
        string location, bool create, Func<string, string?> environment, Func<IBackupTarget, IBackupTarget>? wrap = null, bool allowInsecureHttp = false, Action<string>? warn = null)
    {
        wrap ??= static target => target;
        var separator = location.IndexOf("://", StringComparison.Ordinal);
        var scheme = separator > 0 ? location[..separator].ToLowerInvariant() : null;
        var rest = separator > 0 ? location[(separator + 3)..] : location;
        return scheme switch
        {
            null or "file" => wrap(CreateLocal(location, create, ObjectPermissions(environment))),
            "sftp" => new RetryingTarget(wrap(CreateSftp(rest, environment))),
            "s3" => new RetryingTarget(wrap(CreateS3(rest, environment, allowInsecureHttp, warn))),
            "azure" => new RetryingTarget(wrap(CreateAzure(rest, environment))),
            _ => throw new CliUsageException(
                $"Repository location uses '{scheme}://', which is not supported; give a local directory or an sftp://, s3:// or azure:// URL."),
        };
    }

    /// <summary>The permissions $BACKUP_FILE_MODE names (octal, such as 640), or the private default.</summary>
    private static UnixFileMode ObjectPermissions(Func<string, string?> environment)
    {
        var text = Optional(environment, FileModeVariable);
        if (text is null)
        {
            return UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        int mode;
        try
        {
            mode = Convert.ToInt32(text.Trim(), 8);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
        {
            mode = -1;
        }

        // Read and write only (no execute or special bits), and the owner keeps both.
        if (mode < 0 || (mode & ~0b110_110_110) != 0 || (mode & 0b110_000_000) != 0b110_000_000)
        {
            throw new CliUsageException($"{FileModeVariable} must be octal permissions for new objects that let the owner read and write, such as 600 (the default), 640 (a group may read) or 660 (a group may write); '{text}' is not.");
        }

        return (UnixFileMode)mode;
    }

    private static LocalDirectoryTarget CreateLocal(string location, bool create, UnixFileMode objectPermissions)
    {
        var path = location.StartsWith("file://", StringComparison.OrdinalIgnoreCase) ? new Uri(location).LocalPath : location;
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            throw new ArgumentException($"Repository location '{full}' is a file, not a directory.");
        }

        if (!create && !Directory.Exists(full))
        {
            throw new RepositoryNotFoundException($"local directory '{full}'");
        }

        return new LocalDirectoryTarget(full, objectPermissions);
    }

    /// <summary><c>user@host[:port]/path</c>; a path starting with <c>/~/</c> is relative to the login directory.</summary>
    private static SftpTarget CreateSftp(string rest, Func<string, string?> environment)
    {
        const string form = "sftp://USER@HOST[:PORT]/PATH";
        var at = rest.IndexOf('@', StringComparison.Ordinal);
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (at <= 0 || (slash >= 0 && slash < at))
        {
            throw new CliUsageException($"An SFTP repository needs a user name: {form}.");
        }

        // Never echo the user info: it may hold a password someone put there by mistake.
        if (rest[..at].Contains(':', StringComparison.Ordinal))
        {
            throw new CliUsageException($"Do not put a password in an SFTP repository URL; set {SftpPasswordVariable} or {SftpKeyFileVariable} instead.");
        }

        Uri uri;
        try
        {
            uri = new Uri("sftp://" + rest, UriKind.Absolute);
        }
        catch (UriFormatException)
        {
            throw new CliUsageException($"The SFTP repository URL is not valid; the form is {form}.");
        }

        var user = Uri.UnescapeDataString(uri.UserInfo);
        var host = uri.IdnHost;
        var path = Uri.UnescapeDataString(uri.AbsolutePath);
        if (string.IsNullOrEmpty(host) || path.Length <= 1)
        {
            throw new CliUsageException($"An SFTP repository needs a host and a path: {form}.");
        }

        if (path.StartsWith("/~/", StringComparison.Ordinal))
        {
            path = path[3..];
        }

        var hostKey = Required(environment, SftpHostKeyVariable, "the server's host key fingerprint ('SHA256:...', as 'ssh-keygen -lf' prints it)");
        var keyFile = Optional(environment, SftpKeyFileVariable);
        var password = Optional(environment, SftpPasswordVariable);
        if (keyFile is null && password is null)
        {
            throw new CliUsageException($"An SFTP repository needs a login: set {SftpKeyFileVariable} (a private key file) or {SftpPasswordVariable}.");
        }

        if (keyFile is not null && !File.Exists(keyFile))
        {
            throw new CliUsageException($"The private key file named by {SftpKeyFileVariable} ('{keyFile}') does not exist.");
        }

        var options = new SftpTargetOptions
        {
            Host = host,
            Port = uri.Port > 0 ? uri.Port : 22,
            Username = user,
            RootPath = path,
            HostKeyFingerprint = hostKey.Trim(),
            Password = keyFile is null ? password : null,
            PrivateKey = keyFile is null ? null : SftpPrivateKey.FromFile(Path.GetFullPath(keyFile), Optional(environment, SftpKeyPassphraseVariable)),
            ObjectPermissions = ObjectPermissions(environment),
        };
        Validate(options.Validate, $"the host key comes from {SftpHostKeyVariable}");
        return new SftpTarget(options);
    }

    /// <summary><c>bucket[/prefix]</c>.</summary>
    private static S3Target CreateS3(string rest, Func<string, string?> environment, bool allowInsecureHttp, Action<string>? warn)
    {
        var (bucket, prefix) = SplitContainer(rest, "s3://BUCKET[/PREFIX]", "bucket");
        Uri? endpoint = null;
        if (Optional(environment, S3EndpointVariable) is { } endpointText)
        {
            if (!Uri.TryCreate(endpointText, UriKind.Absolute, out endpoint) || (endpoint.Scheme != Uri.UriSchemeHttps && endpoint.Scheme != Uri.UriSchemeHttp))
            {
                throw new CliUsageException($"{S3EndpointVariable} must be an http:// or https:// URL.");
            }
        }

        var pathStyle = Optional(environment, S3PathStyleVariable) switch
        {
            null => false,
            var text when text.Equals("true", StringComparison.OrdinalIgnoreCase) || text == "1" => true,
            var text when text.Equals("false", StringComparison.OrdinalIgnoreCase) || text == "0" => false,
            _ => throw new CliUsageException($"{S3PathStyleVariable} must be 'true' or 'false'."),
        };

        var accessKey = Required(environment, AwsAccessKeyVariable, "the S3 access key id");
        var secretKey = Required(environment, AwsSecretKeyVariable, "the S3 secret access key");
        var options = new S3TargetOptions
        {
            Endpoint = endpoint,
            Region = Optional(environment, S3RegionVariable) ?? Optional(environment, "AWS_REGION") ?? Optional(environment, "AWS_DEFAULT_REGION") ?? "us-east-1",
            Bucket = bucket,
            Prefix = prefix,
            ForcePathStyle = pathStyle,
            Credentials = new S3Credentials(accessKey, secretKey, Optional(environment, AwsSessionTokenVariable)),
            AllowInsecureHttp = allowInsecureHttp,
        };
        if (options.IsInsecureRemoteHttp && !allowInsecureHttp)
        {
            throw new CliUsageException(
                $"{S3EndpointVariable} is plain http:// to another machine ({endpoint!.Host}): anyone on the network path can read and alter the requests. " +
                "Use https://, or pass --allow-insecure-http if the network is trusted.");
        }

        if (options.IsInsecureRemoteHttp)
        {
            warn?.Invoke($"{S3EndpointVariable} is plain http:// to {endpoint!.Host}: requests can be read and altered on the way (--allow-insecure-http).");
        }

        Validate(options.Validate, hint: null);
        return new S3Target(options);
    }

    /// <summary><c>container[/prefix]</c>.</summary>
    private static AzureBlobTarget CreateAzure(string rest, Func<string, string?> environment)
    {
        var (container, prefix) = SplitContainer(rest, "azure://CONTAINER[/PREFIX]", "container");
        var connectionString = Required(environment, AzureConnectionStringVariable, "the storage account's connection string");
        var options = new AzureBlobTargetOptions { ConnectionString = connectionString, Container = container, Prefix = prefix };
        try
        {
            return new AzureBlobTarget(options);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException)
        {
            // The parser's message may quote the connection string: say only which variable is wrong.
            throw new CliUsageException($"{AzureConnectionStringVariable} is not a valid storage connection string.");
        }
    }

    private static (string Container, string Prefix) SplitContainer(string rest, string form, string what)
    {
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var container = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? string.Empty : rest[(slash + 1)..].Trim('/');
        if (string.IsNullOrWhiteSpace(container) || container.Contains('@', StringComparison.Ordinal) || container.Contains(':', StringComparison.Ordinal))
        {
            throw new CliUsageException($"The repository URL needs a {what}: {form}.");
        }

        return (container, prefix);
    }

    private static string Required(Func<string, string?> environment, string variable, string what) =>
        Optional(environment, variable) ?? throw new CliUsageException($"{variable} is not set: it must hold {what} for this repository.");

    private static string? Optional(Func<string, string?> environment, string variable) =>
        environment(variable) is { } value && !string.IsNullOrWhiteSpace(value) ? value : null;

    /// <summary>Runs a provider's option validation, turning its <see cref="ArgumentException"/> into a usage error.</summary>
    /// <remarks>The providers' messages name the setting, never its value.</remarks>
    private static void Validate(Action validate, string? hint)
    {
        try
        {
            validate();
        }
        catch (ArgumentException ex)
        {
            throw new CliUsageException(hint is null ? $"Invalid repository settings: {ex.Message}" : $"Invalid repository settings: {ex.Message} ({hint})");
        }
    }
}
