using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Primitives;

namespace Backup.Extensions.DependencyInjection;

/// <summary>A read-only view of a configuration without the values at some paths (those already reported as invalid).</summary>
internal sealed class FilteredConfiguration(IConfiguration inner, IReadOnlySet<string> hiddenPaths) : IConfigurationSection
{
    public string? this[string key]
    {
        get => GetSection(key).Value;
        set => throw new NotSupportedException();
    }

    public string Key => (inner as IConfigurationSection)?.Key ?? string.Empty;

    public string Path => (inner as IConfigurationSection)?.Path ?? string.Empty;

    public string? Value
    {
        get => inner is IConfigurationSection section && !hiddenPaths.Contains(section.Path) ? section.Value : null;
        set => throw new NotSupportedException();
    }

    public IEnumerable<IConfigurationSection> GetChildren() =>
        inner.GetChildren().Where(c => !hiddenPaths.Contains(c.Path)).Select(c => new FilteredConfiguration(c, hiddenPaths));

    public IChangeToken GetReloadToken() => inner.GetReloadToken();

    public IConfigurationSection GetSection(string key) => new FilteredConfiguration(inner.GetSection(key), hiddenPaths);
}
