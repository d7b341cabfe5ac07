using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backup.Providers.PostgreSql;

/// <summary>Adds PostgreSQL databases as named sources of hosted backup jobs (<c>"Source": "orders-db"</c>).</summary>
public static class PostgreSqlBackupBuilderExtensions
{
    /// <summary>
    /// Adds the PostgreSQL source <paramref name="name"/> bound from <paramref name="section"/> (e.g.
    /// <c>configuration.GetSection("Backup:Sources:orders-db")</c>), validated at start-up with messages naming the setting.
    /// </summary>
    public static BackupBuilder AddPostgreSqlSource(this BackupBuilder builder, string name, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return builder.AddPostgreSqlSource(name, options =>
        {
            section.Bind(options);
            options.SectionPath = (section as IConfigurationSection)?.Path;
        });
    }

    /// <summary>Adds the PostgreSQL source <paramref name="name"/> configured in code, validated at start-up.</summary>
    public static BackupBuilder AddPostgreSqlSource(this BackupBuilder builder, string name, Action<PostgreSqlJobSourceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<PostgreSqlJobSourceOptions>(name).Configure(configure).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<PostgreSqlJobSourceOptions>>(new PostgreSqlJobSourceOptionsValidator(name));
        return builder.AddSource(name, sp => new PostgreSqlJobSource(
            name,
            sp.GetRequiredService<IOptionsMonitor<PostgreSqlJobSourceOptions>>().Get(name),
            sp.GetService<ILoggerFactory>()));
    }
}
