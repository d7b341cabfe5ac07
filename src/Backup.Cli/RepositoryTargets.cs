using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core.Storage.Locations;
using Backup.Providers.Azure;
using Backup.Providers.S3;
using Backup.Providers.Sftp;

namespace Backup.Cli;

/// <summary>
/// The tool's side of turning a repository location into a storage target: the library's <see cref="TargetResolver"/>
/// (the same one a host uses) with the SFTP, S3 and Azure providers, each setting read from the environment variable
/// the provider names (BACKUP_S3_ENDPOINT, AWS_SECRET_ACCESS_KEY, BACKUP_FILE_MODE…), never from arguments. Remote
/// targets are wrapped in <see cref="RetryingTarget"/>; the library's configuration errors become usage errors.
/// </summary>
internal static class RepositoryTargets
{
    public const string RepositoryVariable = "BACKUP_REPOSITORY";

    /// <summary>The S3 and Azure providers' RetentionLock setting, which --retention-lock overrides.</summary>
    public const string RetentionLockVariable = "BACKUP_RETENTION_LOCK";

    /// <summary>Local directories and the three remote providers the tool ships with.</summary>
    private static readonly ITargetProvider[] Providers = [new SftpTargetProvider(), new S3TargetProvider(), new AzureTargetProvider()];

    private static readonly TargetResolver Resolver = new(Providers);

    /// <summary>The remote providers, for services configured from a plan (<c>backup dr</c>).</summary>
    public static IReadOnlyList<ITargetProvider> TargetProviders => Providers;

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

    /// <summary>
    /// BACKUP_REQUEST_TIMEOUT: seconds a remote request may take before its bytes are counted (default 30), or "off" to
    /// wait as long as the storage's client library does; the escape hatch for a link slower than the deadline allows for.
    /// </summary>
    private static TimeSpan? RequestTimeout(Func<string, string?> environment)
    {
        var value = environment(RequestTimeoutVariable)?.Trim();
        if (string.IsNullOrEmpty(value))
        {
            return new TargetCreateOptions().RequestTimeout;
        }

        if (value.Equals("off", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : throw new CliUsageException($"{RequestTimeoutVariable} must be a number of seconds, such as 120, or 'off' (it is '{value}').");
    }

    private const string RequestTimeoutVariable = "BACKUP_REQUEST_TIMEOUT";

    /// <summary>The target at <paramref name="location"/>, with remote settings from the process environment.</summary>
    public static IBackupTarget Create(string location, bool create) => Create(location, create, Environment.GetEnvironmentVariable);

    /// <summary>The target at <paramref name="location"/>, made by the library's <see cref="TargetResolver"/>.</summary>
    /// <param name="location">A local directory path, or an sftp://, s3:// or azure:// URL.</param>
    /// <param name="create">Whether the location may be created (init); otherwise a missing local directory is <see cref="RepositoryNotFoundException"/>.</param>
    /// <param name="environment">Reads an environment variable: each provider setting comes from the variable it names.</param>
    /// <param name="wrap">Decorates the storage target itself, inside the retry layer (request counting); none when null.</param>
    /// <param name="allowInsecureHttp">Accept an http:// S3 or Azure blob endpoint on another machine (--allow-insecure-http).</param>
    /// <param name="warn">Told when an insecure setting is used anyway.</param>
    /// <param name="retentionLockGiven">--retention-lock was given: refused for a target that cannot lock objects.</param>
    /// <param name="bandwidth">--limit-upload and --limit-download, applied inside the retry layer; none when null.</param>
    /// <exception cref="CliUsageException">The location or a setting is missing or wrong (the library's message, with the tool's advice).</exception>
    public static IBackupTarget Create(
        string location, bool create, Func<string, string?> environment, Func<IBackupTarget, IBackupTarget>? wrap = null, bool allowInsecureHttp = false, Action<string>? warn = null,
        bool retentionLockGiven = false, BandwidthLimitOptions? bandwidth = null)
    {
        try
        {
            var parsed = RepositoryLocation.Parse(location);
            if (retentionLockGiven && !Providers.Any(p => p.Scheme == parsed.Scheme && p.Settings.Any(s => s.EnvironmentVariable == RetentionLockVariable)))
            {
                throw new CliUsageException($"--retention-lock needs an s3:// or azure:// repository (S3 Object Lock, Azure immutability policies); '{parsed.Scheme}' storage cannot lock objects. For a local or SFTP repository protect it on the server (see the documentation on append-only setups).");
            }

            return Resolver.Create(
                parsed,
                setting => setting.ReadEnvironment(environment),
                new TargetCreateOptions
                {
                    CreateIfMissing = create, Wrap = wrap, AllowInsecureHttp = allowInsecureHttp, Warn = warn, Bandwidth = bandwidth,
                    RequestTimeout = RequestTimeout(environment),
                });
        }
        catch (InsecureTransportException ex)
        {
            throw new CliUsageException(ex.Message + " Pass --allow-insecure-http to allow it.");
        }
        catch (TargetConfigurationException ex) when (retentionLockGiven && ex.Setting == "RetentionLock")
        {
            // The value came from --retention-lock, which overrides the variable the provider's message names: an
            // operator told about BACKUP_RETENTION_LOCK would look for a variable that is not set.
            throw new CliUsageException(ex.Message.Replace($"RetentionLock ({RetentionLockVariable})", "--retention-lock", StringComparison.Ordinal));
        }
        catch (TargetConfigurationException ex)
        {
            throw new CliUsageException(ex.Message);
        }
    }
}
