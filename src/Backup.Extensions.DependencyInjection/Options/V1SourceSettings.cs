using Microsoft.Extensions.Configuration;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// Reads the <c>Backup:Sources</c> entries release 1.0 documented, which configured <c>AddPostgreSqlSource</c> of
/// Backup.Providers.PostgreSql: no <c>Engine</c> (every 1.0 source was PostgreSQL), <c>"Method": "DriverOnly"</c> or
/// <c>"PgDump"</c> instead of <c>DriverOnly</c>, and <c>"Format": "Custom"</c>. They keep their meaning, with a
/// deprecation warning that says what to write instead; a value 1.0 accepted that has no equivalent is an error that
/// says so.
/// </summary>
internal sealed class V1SourceSettings
{
    /// <summary>The engine every 1.0 source was.</summary>
    private const string V1Engine = "postgres";

    private readonly Dictionary<string, bool> _driverOnly = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _withoutEngine = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The paths of the 1.0 keys, kept from the key check and the binder (this class binds them).</summary>
    public HashSet<string> HiddenPaths { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>One deprecation warning per 1.0 setting found, each naming its path and what to write instead.</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>1.0 values that have no equivalent any more.</summary>
    public List<string> Errors { get; } = [];

    /// <summary>Finds the 1.0 settings under <paramref name="backupSection"/>'s <c>Sources</c>.</summary>
    public static V1SourceSettings Read(IConfiguration backupSection)
    {
        var settings = new V1SourceSettings();
        foreach (var source in backupSection.GetSection("Sources").GetChildren())
        {
            settings.ReadSource(source);
        }

        return settings;
    }

    /// <summary>Gives the bound <paramref name="options"/> the meaning the 1.0 settings had.</summary>
    public void Apply(BackupHostingOptions options)
    {
        foreach (var (name, source) in options.Sources)
        {
            if (_withoutEngine.Contains(name) && source.Engine is null)
            {
                source.Engine = V1Engine;
                source.EngineFromRelease1 = true;
            }

            if (_driverOnly.TryGetValue(name, out var driverOnly))
            {
                source.DriverOnly = driverOnly;
            }
        }
    }

    private void ReadSource(IConfigurationSection source)
    {
        var method = source.GetSection("Method");
        var format = source.GetSection("Format");
        var engine = source["Engine"];
        var isV1 = method.Value is not null || format.Value is not null;
        // Without an Engine key, a source with a connection string (1.0 had no file sources) is taken as 1.0 took it;
        // an Engine written but left empty is a mistake of today's form, which the validator reports.
        if (engine is null && (isV1 || source["ConnectionString"] is not null) && source["File"] is null)
        {
            _withoutEngine.Add(source.Key);
            Warnings.Add($"{source.Path}:Engine is not set; the source is taken as a PostgreSQL one, as release 1.0's AddPostgreSqlSource read it. Add \"Engine\": \"{V1Engine}\" (1.0 form, deprecated).");
        }
        else if (isV1 && engine is not null && !string.Equals(engine.Trim(), V1Engine, StringComparison.OrdinalIgnoreCase))
        {
            Errors.Add($"{source.Path}: 'Method' and 'Format' are release 1.0 settings of PostgreSQL sources and do not apply to engine '{engine}'; use \"DriverOnly\": true or false.");
            HiddenPaths.Add(method.Path);
            HiddenPaths.Add(format.Path);
            return;
        }

        if (method.Value is { } methodValue)
        {
            HiddenPaths.Add(method.Path);
            bool? driverOnly = methodValue.Trim().ToUpperInvariant() switch
            {
                "DRIVERONLY" => true,
                "PGDUMP" => false,
                _ => null,
            };
            if (driverOnly is not { } value)
            {
                Errors.Add($"{method.Path}: '{methodValue}' is not a method; release 1.0 knew PgDump and DriverOnly. Write \"DriverOnly\": true or false instead of \"Method\".");
            }
            else if (source["DriverOnly"] is { } explicitValue && (!bool.TryParse(explicitValue, out var explicitDriverOnly) || explicitDriverOnly != value))
            {
                Errors.Add($"{method.Path}: '{methodValue}' contradicts DriverOnly '{explicitValue}'; remove \"Method\" (its 1.0 name).");
            }
            else
            {
                _driverOnly[source.Key] = value;
                Warnings.Add($"{method.Path}: \"Method\": \"{methodValue}\" is the release 1.0 form (deprecated); write \"DriverOnly\": {(value ? "true" : "false")} instead.");
            }
        }

        if (format.Value is { } formatValue)
        {
            HiddenPaths.Add(format.Path);
            if (string.Equals(formatValue.Trim(), "Custom", StringComparison.OrdinalIgnoreCase))
            {
                Warnings.Add($"{format.Path}: \"Format\": \"{formatValue}\" is the release 1.0 form (deprecated) of what every PostgreSQL source writes (pg_dump's custom format); remove it.");
            }
            else
            {
                Errors.Add($"{format.Path}: '{formatValue}' is not available for hosted sources any more (they write pg_dump's custom format, which restores selectively and in parallel); remove \"Format\".");
            }
        }
    }
}
