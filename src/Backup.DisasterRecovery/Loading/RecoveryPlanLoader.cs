using System.Diagnostics.CodeAnalysis;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;

namespace Backup.DisasterRecovery;

/// <summary>
/// Reads a <see cref="RecoveryPlan"/> from a YAML or JSON file, or from a configuration section of the same shape.
/// Keys are case-insensitive, as in configuration. Everything wrong is reported at once, each problem with its
/// setting's path (and line, in YAML): unknown keys with the closest known name, values that do not convert with the
/// format that does, and secrets written into the plan. Relative paths are resolved against the plan file's directory.
/// Only the file's shape is checked here; whether the plan holds together is <see cref="RecoveryPlanValidator"/>'s job.
/// </summary>
public static class RecoveryPlanLoader
{
    /// <summary>Reads the plan at <paramref name="path"/>: JSON for a .json file, YAML otherwise.</summary>
    /// <exception cref="RecoveryPlanException">The file is missing, unreadable, malformed or holds settings that are wrong.</exception>
    public static async Task<RecoveryPlan> LoadAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = Path.GetFullPath(path);
        if (Directory.Exists(fullPath))
        {
            throw new RecoveryPlanException(path, ["is a directory, not a plan file: give the plan's YAML or JSON file."]);
        }

        string text;
        try
        {
            text = await File.ReadAllTextAsync(fullPath, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new RecoveryPlanException(path, ["no such plan file."]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RecoveryPlanException(path, [$"cannot be read: {e.Message}"]);
        }

        var isJson = string.Equals(Path.GetExtension(fullPath), ".json", StringComparison.OrdinalIgnoreCase);
        return Parse(text, isJson, path, Path.GetDirectoryName(fullPath)!, Path.GetFileNameWithoutExtension(fullPath));
    }

    /// <summary>Reads a plan from text (<paramref name="json"/>: JSON, else YAML), named <paramref name="source"/> in errors.</summary>
    /// <exception cref="RecoveryPlanException">The text is malformed or holds settings that are wrong.</exception>
    public static RecoveryPlan Parse(string text, bool json, string source, string baseDirectory, string? defaultName = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(baseDirectory);
        PlanDocument document;
        try
        {
            document = json ? PlanDocument.FromJson(text) : PlanDocument.FromYaml(text);
        }
        catch (FormatException e)
        {
            throw new RecoveryPlanException(source, [e.Message]);
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(document.Values).Build();
        var plan = Bind(configuration, baseDirectory, source, document.Lines);
        plan.Name ??= defaultName;
        return plan;
    }

    /// <summary>
    /// Binds a plan from a configuration section (a host's "DisasterRecovery" section, say) with the same checks as a
    /// file; relative paths are resolved against <paramref name="baseDirectory"/> (default: the current directory).
    /// </summary>
    /// <exception cref="RecoveryPlanException">A setting is unknown, does not convert or holds a secret.</exception>
    public static RecoveryPlan Load(IConfiguration section, string? baseDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(section);
        return Bind(section, baseDirectory ?? Directory.GetCurrentDirectory(), (section as IConfigurationSection)?.Path ?? "configuration", lines: null);
    }

    // The plan's own types are walked by the host's key checker through reflection on their properties: listed here
    // so the trimmer keeps that metadata in the AOT-compiled tool.
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(RecoveryPlan))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(RecoverySystem))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(RecoveryCopy))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(RecoveryStep))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(RestoreStep))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(CommandStep))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(HttpStep))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(WaitStep))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(VerifyStep))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(DrillPolicy))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(DrillScratchOptions))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(ScratchDatabaseServer))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(BackupHostingOptions))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(BackupDatabaseSourceOptions))]
    private static RecoveryPlan Bind(IConfiguration configuration, string baseDirectory, string source, IReadOnlyDictionary<string, int>? lines)
    {
        var findings = ConfigurationKeyChecker.Check(configuration, typeof(RecoveryPlan));
        // A plan also takes the short durations people write (PlanDurations); the host's message only knows d.hh:mm:ss.
        var errors = findings.Errors.Concat(PlanDurations.BareNumbers(configuration)).Select(e => e.Replace("expected a duration written d.hh:mm:ss, such as", "expected a duration such as 30m, 6h or 7d, or written d.hh:mm:ss, such as", StringComparison.Ordinal)).ToList();
        var plan = new RecoveryPlan();
        if (errors.Count == 0)
        {
            try
            {
                configuration.Bind(plan);
            }
            catch (InvalidOperationException e)
            {
                errors.Add(e.Message);
            }
        }

        if (errors.Count == 0)
        {
            PlanSecrets.Check(plan, errors);
        }

        if (errors.Count > 0)
        {
            throw new RecoveryPlanException(source, lines is null ? errors : [.. errors.Select(e => WithLine(e, lines))]);
        }

        PlanPaths.Resolve(plan, baseDirectory);
        return plan;
    }

    /// <summary>"Systems:shop:Rpo: …" → "Systems:shop:Rpo (line 12): …", using the deepest key the message starts with.</summary>
    private static string WithLine(string error, IReadOnlyDictionary<string, int> lines)
    {
        var end = error.IndexOf(": ", StringComparison.Ordinal);
        while (end > 0)
        {
            if (lines.TryGetValue(error[..end], out var line))
            {
                return $"{error[..end]} (line {line}){error[end..]}";
            }

            end = error.LastIndexOf(':', end - 1);
        }

        return error;
    }
}
