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

    public void Configure(BackupHostingOptions options)
    {
        var findings = ConfigurationKeyChecker.Check(section, typeof(BackupHostingOptions));
        _errors.AddOrUpdate(options, findings.Errors);
        var hidden = findings.BadValuePaths.Count == 0 && findings.DurationPaths.Count == 0
            ? null
            : new HashSet<string>(findings.BadValuePaths.Concat(findings.DurationPaths), StringComparer.OrdinalIgnoreCase);
        var source = hidden is null ? section : new FilteredConfiguration(section, hidden);
        source.Bind(options);
        RetentionDurationBinding.Apply(section, options);
    }

    public ValidateOptionsResult Validate(string? name, BackupHostingOptions options) =>
        name == Options.DefaultName && _errors.TryGetValue(options, out var errors) && errors.Count > 0
            ? ValidateOptionsResult.Fail(errors)
            : ValidateOptionsResult.Skip;
}
