using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// Binds the section given to <see cref="BackupBuilder.BindConfiguration"/> after checking it with
/// <see cref="ConfigurationKeyChecker"/>, and reports what the check found when the options are validated (at
/// start-up with ValidateOnStart), together with every other validation error. A value that would make the binder
/// throw is left out of binding, so the user sees one list of what to fix instead of the binder's first exception.
/// </summary>
internal sealed class CheckedConfigurationBinding(IConfiguration section) : IConfigureOptions<BackupHostingOptions>, IValidateOptions<BackupHostingOptions>
{
    // Per options instance (one is built per name and per reload), so a reload reports its own findings.
    private readonly ConditionalWeakTable<BackupHostingOptions, List<string>> _errors = [];
    private readonly ConditionalWeakTable<BackupHostingOptions, List<string>> _deprecations = [];

    public void Configure(BackupHostingOptions options)
    {
        // Release 1.0's settings are read (and bound) apart, so the key check does not call them unknown.
        var v1 = V1SourceSettings.Read(section);
        var checkedSection = v1.HiddenPaths.Count == 0 ? section : new FilteredConfiguration(section, v1.HiddenPaths);
        var findings = ConfigurationKeyChecker.Check(checkedSection, typeof(BackupHostingOptions));
        _errors.AddOrUpdate(options, [.. findings.Errors, .. v1.Errors]);
        _deprecations.AddOrUpdate(options, v1.Warnings);
        var hidden = findings.BadValuePaths.Count == 0 && findings.DurationPaths.Count == 0 && v1.HiddenPaths.Count == 0
            ? null
            : new HashSet<string>(findings.BadValuePaths.Concat(findings.DurationPaths).Concat(v1.HiddenPaths), StringComparer.OrdinalIgnoreCase);
        var source = hidden is null ? section : new FilteredConfiguration(section, hidden);
        source.Bind(options);
        RetentionDurationBinding.Apply(section, options);
        v1.Apply(options);
    }

    /// <summary>The deprecated (release 1.0) settings <paramref name="options"/> was bound from, each with what to write instead.</summary>
    public IReadOnlyList<string> Deprecations(BackupHostingOptions options) =>
        _deprecations.TryGetValue(options, out var deprecations) ? deprecations : [];

    public ValidateOptionsResult Validate(string? name, BackupHostingOptions options) =>
        name == Options.DefaultName && _errors.TryGetValue(options, out var errors) && errors.Count > 0
            ? ValidateOptionsResult.Fail(errors)
            : ValidateOptionsResult.Skip;
}
