namespace Backup.Core.Storage.Locations;

/// <summary>
/// Turns a <see cref="RepositoryLocation"/> and its settings into a storage target: the one place that does, for the
/// backup tool and the hosting layer alike. Local directories are built in; S3, Azure and SFTP come from their
/// provider packages (<c>S3TargetProvider</c>, <c>AzureTargetProvider</c>, <c>SftpTargetProvider</c>).
/// </summary>
public sealed class TargetResolver
{
    // Where the well-known providers live, for the message about a scheme nobody registered.
    private static readonly (string Scheme, string Package)[] KnownPackages =
        [("s3", "Backup.Providers.S3"), ("azure", "Backup.Providers.Azure"), ("sftp", "Backup.Providers.Sftp")];

    private readonly Dictionary<string, ITargetProvider> _providers = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _order = [];

    /// <summary>A resolver for local directories and the schemes of <paramref name="providers"/> (a later provider of the same scheme wins).</summary>
    public TargetResolver(IEnumerable<ITargetProvider> providers)
    {
        ArgumentNullException.ThrowIfNull(providers);
        Add(new LocalDirectoryTargetProvider());
        foreach (var provider in providers)
        {
            Add(provider ?? throw new ArgumentException("A target provider is null.", nameof(providers)));
        }
    }

    /// <summary>The schemes that can be resolved, "file" first, in the order they were registered.</summary>
    public IReadOnlyList<string> Schemes => _order;

    /// <summary>The provider of <paramref name="location"/>'s scheme.</summary>
    /// <exception cref="TargetConfigurationException">No provider is registered for it; the message lists those that are and says which package provides s3, azure and sftp.</exception>
    public ITargetProvider GetProvider(RepositoryLocation location)
    {
        ArgumentNullException.ThrowIfNull(location);
        return _providers.TryGetValue(location.Scheme, out var provider)
            ? provider
            : throw new TargetConfigurationException(DescribeUnknownScheme(location.Scheme));
    }

    /// <summary>
    /// A new target at <paramref name="location"/>, with settings read through <paramref name="lookup"/>, decorated
    /// by <see cref="TargetCreateOptions.Wrap"/>, given <see cref="TargetCreateOptions.RequestTimeout"/> when remote,
    /// limited by <see cref="TargetCreateOptions.Bandwidth"/> and, when remote and <see cref="TargetCreateOptions.Retry"/>,
    /// wrapped in a <see cref="RetryingTarget"/> that owns it. The caller owns the result and disposes it.
    /// </summary>
    /// <param name="location">Where the repository is.</param>
    /// <param name="lookup">A setting's value, or null when it is not set (<see cref="TargetSetting.ReadEnvironment"/> is the backup tool's rule).</param>
    /// <param name="options">How to create and wrap it; defaults when null.</param>
    /// <exception cref="TargetConfigurationException">The scheme has no provider, or a setting is missing or wrong.</exception>
    /// <exception cref="ArgumentException">A bandwidth limit is out of range, or the request timeout is not positive.</exception>
    /// <exception cref="Backup.Core.Repository.RepositoryNotFoundException">A local directory does not exist and <see cref="TargetCreateOptions.CreateIfMissing"/> is false.</exception>
    public IBackupTarget Create(RepositoryLocation location, Func<TargetSetting, string?> lookup, TargetCreateOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        options ??= new TargetCreateOptions();
        options.Bandwidth?.Validate();
        if (options.RequestTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(TargetCreateOptions.RequestTimeout)} must be positive (was {options.RequestTimeout}); null waits as long as the storage's client library does.");
        }

        var provider = GetProvider(location);
        var target = provider.Create(location, new TargetSettings(provider.Settings, lookup), options);
        if (options.Wrap is { } wrap)
        {
            target = wrap(target);
        }

        if (!location.IsLocal && options.RequestTimeout is { } timeout)
        {
            target = new RequestDeadlineTarget(target, timeout, options.TimeProvider, ownsInner: true);
        }

        if (options.Bandwidth is { IsLimited: true } bandwidth)
        {
            target = new BandwidthLimitedTarget(target, bandwidth, options.TimeProvider, ownsInner: true);
        }

        return options.Retry && !location.IsLocal ? new RetryingTarget(target, timeProvider: options.TimeProvider, ownsInner: true) : target;
    }

    private void Add(ITargetProvider provider)
    {
        var scheme = provider.Scheme;
        if (string.IsNullOrWhiteSpace(scheme) || scheme.Contains("://", StringComparison.Ordinal))
        {
            throw new ArgumentException($"A target provider ({provider.GetType().Name}) has no valid scheme; give it such as \"s3\", without \"://\".", nameof(provider));
        }

        if (!_providers.ContainsKey(scheme))
        {
            _order.Add(scheme.ToLowerInvariant());
        }

        _providers[scheme] = provider;
    }

    private string DescribeUnknownScheme(string scheme)
    {
        var remote = _order.Where(s => s != RepositoryLocation.FileScheme).Select(s => s + "://").ToList();
        var accepted = remote.Count switch
        {
            0 => "a local directory",
            1 => $"a local directory or an {remote[0]} URL",
            _ => $"a local directory or an {string.Join(", ", remote.Take(remote.Count - 1))} or {remote[^1]} URL",
        };
        var missing = KnownPackages.Where(p => !_providers.ContainsKey(p.Scheme)).Select(p => $"{p.Scheme}:// is in {p.Package}").ToList();
        var where = missing.Count == 0 ? string.Empty : $" ({string.Join(", ", missing)}: register its target provider to use it)";
        return $"Repository location uses '{scheme}://', which no registered target provider handles; give {accepted}{where}.";
    }
}
