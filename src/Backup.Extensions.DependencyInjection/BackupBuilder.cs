using System.Diagnostics.CodeAnalysis;
using Backup.Core.Storage.Locations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Backup.Extensions.DependencyInjection;

/// <summary>Configures the backup services: repositories, jobs, key sources, notifications. Obtained from <c>services.AddBackup(...)</c>.</summary>
public sealed class BackupBuilder
{
    internal BackupBuilder(IServiceCollection services) => Services = services;

    /// <summary>The application's services.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Binds <paramref name="section"/> (conventionally <c>configuration.GetSection("Backup")</c>): Repositories, Jobs,
    /// Scheduler, Heartbeat. Code configuration registered after this call wins over the bound values. Validation at
    /// start-up also reports keys the options do not have (naming the closest known one) and values that do not
    /// convert (naming the accepted format).
    /// </summary>
    public BackupBuilder BindConfiguration(IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        Services.Configure<BackupHostingOptions>(options =>
        {
            if (section is IConfigurationSection s)
            {
                options.SectionPath = s.Path;
            }
        });
        // Checked before binding: unknown keys and values that do not convert are reported at start-up, all at once.
        var binding = new CheckedConfigurationBinding(section);
        Services.AddSingleton<IOptionsChangeTokenSource<BackupHostingOptions>>(new ConfigurationChangeTokenSource<BackupHostingOptions>(Options.DefaultName, section));
        Services.AddSingleton<IConfigureOptions<BackupHostingOptions>>(binding);
        Services.AddSingleton<IValidateOptions<BackupHostingOptions>>(binding);
        Services.AddSingleton<IValidateOptions<BackupHostingOptions>>(sp => new DeprecatedSettingsLog(
            binding, (sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger<DeprecatedSettingsLog>()));
        return this;
    }

    /// <summary>Adds or changes the repository called <paramref name="name"/>.</summary>
    public BackupBuilder AddRepository(string name, Action<BackupRepositoryOptions> configure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure<BackupHostingOptions>(options =>
        {
            if (!options.Repositories.TryGetValue(name, out var repository))
            {
                options.Repositories[name] = repository = new BackupRepositoryOptions();
            }

            configure(repository);
        });
        return this;
    }

    /// <summary>
    /// Registers a target provider, so repositories can have locations of its scheme: <c>AddTargetProvider(new S3TargetProvider())</c>
    /// for <c>s3://</c>, <c>AzureTargetProvider</c> for <c>azure://</c>, <c>SftpTargetProvider</c> for <c>sftp://</c> (each in its
    /// provider package). Local directories need none. A later provider of the same scheme replaces an earlier one.
    /// </summary>
    public BackupBuilder AddTargetProvider(ITargetProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        Services.AddSingleton(provider);
        return this;
    }

    /// <summary>Adds or changes the job called <paramref name="name"/>.</summary>
    public BackupBuilder AddJob(string name, Action<BackupJobOptions> configure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure<BackupHostingOptions>(options =>
        {
            if (!options.Jobs.TryGetValue(name, out var job))
            {
                options.Jobs[name] = job = new BackupJobOptions();
            }

            configure(job);
        });
        return this;
    }

    /// <summary>Changes the scheduler's options (used when <c>AddBackupScheduler</c> is called).</summary>
    public BackupBuilder ConfigureScheduler(Action<BackupSchedulerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure<BackupHostingOptions>(options => configure(options.Scheduler));
        return this;
    }

    /// <summary>Registers the factory that turns job paths into a source (the file-system package does this).</summary>
    public BackupBuilder UsePathSourceFactory<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TFactory>()
        where TFactory : class, IBackupPathSourceFactory
    {
        Services.Replace(ServiceDescriptor.Singleton<IBackupPathSourceFactory, TFactory>());
        return this;
    }

    /// <summary>Registers the factory that turns job paths into a source.</summary>
    public BackupBuilder UsePathSourceFactory(IBackupPathSourceFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.Replace(ServiceDescriptor.Singleton(factory));
        return this;
    }

    /// <summary>
    /// Adds a named source that jobs back up by setting <see cref="BackupJobOptions.Source"/> to <paramref name="name"/>;
    /// <paramref name="create"/> builds the source of each run, which the backup prepares, reads, records the facts of
    /// and disposes of (any <see cref="Core.Sources.IBackupSource"/>: files, a stream, a database, one of your own).
    /// </summary>
    public BackupBuilder AddSource(string name, Func<IServiceProvider, Core.Sources.IBackupSource> create)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(create);
        Services.AddSingleton(new NamedBackupSource(name, create));
        return this;
    }

    /// <summary>
    /// Registers a database engine (<c>new PostgreSqlEngine()</c>, <c>new MySqlEngine()</c>, <c>new SqliteEngine()</c>
    /// from their provider packages), so that database sources of <c>Backup:Sources</c> can name it in their
    /// <see cref="BackupDatabaseSourceOptions.Engine"/>. An engine whose name is already registered is not added again.
    /// </summary>
    public BackupBuilder AddDatabaseEngine(Providers.IDatabaseEngine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        var registered = Services.Any(d => d.ServiceType == typeof(Providers.IDatabaseEngine) && !d.IsKeyedService
            && d.ImplementationInstance is Providers.IDatabaseEngine known && string.Equals(known.Name, engine.Name, StringComparison.OrdinalIgnoreCase));
        if (!registered)
        {
            Services.AddSingleton(engine);
        }

        return this;
    }

    /// <summary>
    /// Adds (or changes) the database source <paramref name="name"/> of <paramref name="engine"/>, configured in code
    /// after anything bound from <c>Backup:Sources:{name}</c>; a job backs it up with <c>"Source": "{name}"</c>.
    /// Registers the engine too. Validated at start-up like a configured source.
    /// </summary>
    public BackupBuilder AddDatabaseSource(string name, Providers.IDatabaseEngine engine, Action<BackupDatabaseSourceOptions> configure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(configure);
        AddDatabaseEngine(engine);
        var engineName = engine.Name;
        Services.Configure<BackupHostingOptions>(options =>
        {
            if (!options.Sources.TryGetValue(name, out var source))
            {
                options.Sources[name] = source = new BackupDatabaseSourceOptions();
            }

            configure(source);
            source.Engine = engineName;
        });
        return this;
    }

    /// <summary>
    /// Adds (or changes) the database source <paramref name="name"/> of <paramref name="engine"/>, bound from
    /// <paramref name="section"/> (a section shaped like <c>Backup:Sources:{name}</c>; its Engine may be left out).
    /// </summary>
    public BackupBuilder AddDatabaseSource(string name, Providers.IDatabaseEngine engine, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return AddDatabaseSource(name, engine, source => section.Bind(source));
    }

    /// <summary>Adds a notification sink (any number may be added; each gets every event).</summary>
    public BackupBuilder AddNotificationSink<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TSink>()
        where TSink : class, IBackupNotificationSink
    {
        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IBackupNotificationSink, TSink>());
        return this;
    }

    /// <summary>
    /// Adds the heartbeat notifier for jobs with a <see cref="BackupJobOptions.HeartbeatUrl"/>. By default it owns one
    /// HttpClient; pass <paramref name="httpClient"/> to use IHttpClientFactory (e.g. <c>sp => sp.GetRequiredService&lt;IHttpClientFactory&gt;().CreateClient("backup")</c>).
    /// </summary>
    public BackupBuilder AddHeartbeatNotifier(Func<IServiceProvider, HttpClient>? httpClient = null)
    {
        Services.TryAddSingleton<HeartbeatHttpClient>();
        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IBackupNotificationSink, HeartbeatNotifier>(sp => new HeartbeatNotifier(
            httpClient?.Invoke(sp) ?? sp.GetRequiredService<HeartbeatHttpClient>().Client,
            sp.GetRequiredService<IOptions<BackupHostingOptions>>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<HeartbeatNotifier>>())));
        return this;
    }
}

/// <summary>The heartbeat notifier's own HttpClient, disposed with the container.</summary>
internal sealed class HeartbeatHttpClient : IDisposable
{
    public HttpClient Client { get; } = new();

    public void Dispose() => Client.Dispose();
}
