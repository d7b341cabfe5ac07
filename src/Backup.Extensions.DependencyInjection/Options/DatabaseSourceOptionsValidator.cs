using Backup.Providers;
using Microsoft.Extensions.Options;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// Validates the database sources of <see cref="BackupHostingOptions.Sources"/> and the restore drills of the jobs
/// that back them up; every message starts with the path of the setting to fix (<c>Backup:Sources:shop-db:Engine</c>)
/// and none quotes a connection string.
/// </summary>
internal sealed class DatabaseSourceOptionsValidator(IEnumerable<IDatabaseEngine> engines, IEnumerable<NamedBackupSource> namedSources) : IValidateOptions<BackupHostingOptions>
{
    // The engines this SDK ships, for the hint on how to register one that is configured but not registered.
    private static readonly Dictionary<string, (string Type, string Package)> KnownEngines = new(StringComparer.OrdinalIgnoreCase)
    {
        ["postgres"] = ("PostgreSqlEngine", "Backup.Providers.PostgreSql"),
        ["mysql"] = ("MySqlEngine", "Backup.Providers.MySql"),
        ["sqlite"] = ("SqliteEngine", "Backup.Providers.Sqlite"),
    };

    private readonly IReadOnlyList<IDatabaseEngine> _engines = [.. engines];
    private readonly HashSet<string> _codeSources = new(namedSources.Select(s => s.Name), StringComparer.OrdinalIgnoreCase);

    public ValidateOptionsResult Validate(string? name, BackupHostingOptions options)
    {
        var errors = new List<string>();
        var root = options.SectionPath;
        foreach (var (sourceName, source) in options.Sources)
        {
            ValidateSource($"{root}:Sources:{sourceName}", sourceName, source, errors);
        }

        foreach (var (jobName, job) in options.Jobs)
        {
            ValidateJob($"{root}:Jobs:{jobName}", job, options, errors);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private void ValidateSource(string path, string sourceName, BackupDatabaseSourceOptions source, List<string> errors)
    {
        if (_codeSources.Contains(sourceName))
        {
            errors.Add($"{path}: a source called '{sourceName}' is also added in code with AddSource; give one of them another name.");
        }

        if (!string.IsNullOrWhiteSpace(source.PasswordEnvironmentVariable) && !string.IsNullOrWhiteSpace(source.PasswordFile))
        {
            errors.Add($"{path}: set only one of PasswordFile and PasswordEnvironmentVariable.");
        }

        if (EnvironmentVariableName.Check($"{path}:PasswordEnvironmentVariable", source.PasswordEnvironmentVariable) is { } badName)
        {
            errors.Add(badName);
        }

        // 1.0 had only PostgreSQL sources; on a host that registers other engines too, a source without Engine is as
        // likely a new one that forgot it (a MariaDB connection string would otherwise be tried as PostgreSQL).
        if (source.EngineFromRelease1 && _engines.Any(e => !string.Equals(e.Name, source.Engine, StringComparison.OrdinalIgnoreCase)))
        {
            errors.Add($"{path}:Engine: {UnknownEngine(null)} (Release 1.0 took a source without Engine as a PostgreSQL one; with other engines registered, it must be named.)");
            return;
        }

        if (DatabaseSources.Find(_engines, source.Engine) is not { } engine)
        {
            // A host without the PostgreSQL engine is not one 1.0's reading of a source without Engine was meant for.
            errors.Add(source.EngineFromRelease1
                ? $"{path}:Engine: {UnknownEngine(null)} (Release 1.0 took a source without Engine as a PostgreSQL one, and no PostgreSQL engine is registered.)"
                : $"{path}:Engine: {UnknownEngine(source.Engine)}");
            return;
        }

        var before = errors.Count;
        if (engine.Location == DatabaseLocation.File)
        {
            ValidateFileSource(path, engine, source, errors);
        }
        else
        {
            ValidateServerSource(path, engine, source, errors);
        }

        if (source.DriverOnly && !engine.SupportsDriverOnly)
        {
            errors.Add($"{path}:DriverOnly: does not apply to a {engine.DisplayName} source.");
        }

        if (source.AllDatabases && !engine.SupportsAllDatabases)
        {
            errors.Add($"{path}:AllDatabases: does not apply to a {engine.DisplayName} source.");
        }

        if (errors.Count == before)
        {
            ValidateWithEngine(path, engine, source, errors);
        }
    }

    private string UnknownEngine(string? configured)
    {
        var registered = _engines.Count == 0 ? "none" : string.Join(", ", _engines.Select(e => e.Name).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal));
        var (type, package) = configured is not null && KnownEngines.TryGetValue(configured.Trim(), out var known) ? known : KnownEngines["mysql"];
        var what = string.IsNullOrWhiteSpace(configured)
            ? "is required: the name of a registered database engine"
            : $"'{configured}' is not a registered database engine";
        return $"{what} (registered: {registered}). Engines are registered in code, e.g. AddDatabaseEngine(new {type}()) from package {package}.";
    }

    private static void ValidateServerSource(string path, IDatabaseEngine engine, BackupDatabaseSourceOptions source, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(source.ConnectionString))
        {
            errors.Add($"{path}:ConnectionString: is required for a {engine.DisplayName} source (without the password: set PasswordFile or PasswordEnvironmentVariable).");
        }

        if (!string.IsNullOrWhiteSpace(source.File))
        {
            errors.Add($"{path}:File: does not apply to a {engine.DisplayName} source, which is reached through ConnectionString.");
        }
    }

    private static void ValidateFileSource(string path, IDatabaseEngine engine, BackupDatabaseSourceOptions source, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(source.File))
        {
            errors.Add($"{path}:File: is required for a {engine.DisplayName} source (the database file).");
        }

        foreach (var (setting, value) in new[] { ("ConnectionString", source.ConnectionString), ("PasswordFile", source.PasswordFile), ("PasswordEnvironmentVariable", source.PasswordEnvironmentVariable), ("ClientToolsDirectory", source.ClientToolsDirectory) })
        {
            if (!string.IsNullOrWhiteSpace(value))
            {
                errors.Add($"{path}:{setting}: does not apply to a {engine.DisplayName} source, which is the file named by File.");
            }
        }
    }

    /// <summary>The engine's own checks of the settings, as a run would make them (the password is not read here).</summary>
    private static void ValidateWithEngine(string path, IDatabaseEngine engine, BackupDatabaseSourceOptions source, List<string> errors)
    {
        try
        {
            var created = engine.CreateSource(DatabaseSources.BackupSettings(engine, source, password: null, loggers: null));

            // Nothing was prepared, so there is nothing to wait for; a source that still had work to do finishes it on its own.
            _ = created.DisposeAsync().AsTask();
        }
        catch (ArgumentException e)
        {
            // The engines' messages never quote a connection string; the path names the setting instead of the parameter.
            var setting = e.ParamName switch
            {
                "ConnectionString" or "Location" or "DatabasePath" => engine.Location == DatabaseLocation.File ? "File" : "ConnectionString",
                { } parameter when typeof(BackupDatabaseSourceOptions).GetProperty(parameter) is not null => parameter,
                _ => null,
            };
            errors.Add(setting is null ? $"{path}: {StripParamName(e)}" : $"{path}:{setting}: {StripParamName(e)}");
        }
    }

    private void ValidateJob(string path, BackupJobOptions job, BackupHostingOptions options, List<string> errors)
    {
        if (job.Verification is not { } verification)
        {
            return;
        }

        var drillPath = $"{path}:Verification";
        if (!string.IsNullOrWhiteSpace(verification.ScratchPasswordFile) && !string.IsNullOrWhiteSpace(verification.ScratchPasswordEnvironmentVariable))
        {
            errors.Add($"{drillPath}: set only one of ScratchPasswordFile and ScratchPasswordEnvironmentVariable.");
        }

        if (EnvironmentVariableName.Check($"{drillPath}:ScratchPasswordEnvironmentVariable", verification.ScratchPasswordEnvironmentVariable) is { } badName)
        {
            errors.Add(badName);
        }

        var isDatabaseJob = job.SourceFactory is null && job.Source is { } sourceName && !_codeSources.Contains(sourceName) && options.Sources.ContainsKey(sourceName);
        if (!isDatabaseJob)
        {
            if (!string.IsNullOrWhiteSpace(verification.ScratchConnectionString))
            {
                errors.Add($"{drillPath}:ScratchConnectionString: applies only to a job whose Source is a database source of {options.SectionPath}:Sources.");
            }

            return;
        }

        var source = options.Sources[job.Source!];
        if (DatabaseSources.Find(_engines, source.Engine) is not { } engine)
        {
            return; // reported with the source
        }

        if (engine.Location == DatabaseLocation.File)
        {
            if (!string.IsNullOrWhiteSpace(verification.ScratchConnectionString))
            {
                errors.Add($"{drillPath}:ScratchConnectionString: does not apply to a {engine.DisplayName} source; its drill restores into a scratch file in ScratchDirectory.");
            }
        }
        else if (verification.RestoreDrill && string.IsNullOrWhiteSpace(verification.ScratchConnectionString))
        {
            errors.Add($"{drillPath}:ScratchConnectionString: is required for a restore drill of the {engine.DisplayName} source '{job.Source}': a server where a scratch database may be created and dropped (its password from ScratchPasswordFile or ScratchPasswordEnvironmentVariable).");
        }
        else if (!string.IsNullOrWhiteSpace(verification.ScratchConnectionString))
        {
            try
            {
                _ = engine.HasPassword(verification.ScratchConnectionString);
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                // The driver's message may quote the string (and a password in it): name only the kind of error.
                errors.Add($"{drillPath}:ScratchConnectionString: is not a valid {engine.DisplayName} connection string ({e.GetType().Name}).");
            }
        }
    }

    // ArgumentException appends " (Parameter 'x')"; the path already names the setting.
    private static string StripParamName(ArgumentException e)
    {
        var message = e.Message;
        var suffix = e.ParamName is null ? -1 : message.LastIndexOf($" (Parameter '{e.ParamName}')", StringComparison.Ordinal);
        return suffix >= 0 ? message[..suffix] : message;
    }
}
