using System.Globalization;

namespace Backup.Core.Storage.Locations;

/// <summary>
/// The values of a provider's <see cref="TargetSetting"/>s for one target, read through a lookup (configuration,
/// the environment, a secret delegate: the caller decides). Every error names the setting and its environment
/// variable, never the value of a secret.
/// </summary>
public sealed class TargetSettings
{
    private readonly Dictionary<string, TargetSetting> _settings;
    private readonly Func<TargetSetting, string?> _lookup;

    /// <summary>Reads <paramref name="settings"/> through <paramref name="lookup"/>, which returns null for a setting that is not set.</summary>
    public TargetSettings(IEnumerable<TargetSetting> settings, Func<TargetSetting, string?> lookup)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(lookup);
        _settings = new Dictionary<string, TargetSetting>(StringComparer.OrdinalIgnoreCase);
        foreach (var setting in settings)
        {
            _settings[setting.Name] = setting;
        }

        _lookup = lookup;
    }

    /// <summary>The declared setting called <paramref name="name"/>, for messages (its <see cref="TargetSetting.ToString"/> names its variable).</summary>
    /// <exception cref="ArgumentException">The provider did not declare it (a bug in the provider).</exception>
    public TargetSetting this[string name] =>
        _settings.TryGetValue(name, out var setting) ? setting : throw new ArgumentException($"No target setting is declared with the name '{name}'.", nameof(name));

    /// <summary>The value of <paramref name="name"/>, or null when it is not set or blank.</summary>
    public string? Optional(string name)
    {
        var value = _lookup(this[name]);
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }

    /// <summary>The value of <paramref name="name"/>.</summary>
    /// <exception cref="TargetConfigurationException">It is not set (the message names the setting and its variable).</exception>
    public string Required(string name)
    {
        var setting = this[name];
        return Optional(name)
            ?? throw new TargetConfigurationException($"{setting} is not set: it must hold {setting.Description} for this repository.", setting.Name);
    }

    /// <summary>The value of <paramref name="name"/> as true ("true", "1") or false ("false", "0"), or <paramref name="defaultValue"/> when not set.</summary>
    /// <exception cref="TargetConfigurationException">It is something else.</exception>
    public bool GetBoolean(string name, bool defaultValue)
    {
        return Optional(name) switch
        {
            null => defaultValue,
            var text when text.Trim().Equals("true", StringComparison.OrdinalIgnoreCase) || text.Trim() == "1" => true,
            var text when text.Trim().Equals("false", StringComparison.OrdinalIgnoreCase) || text.Trim() == "0" => false,
            _ => throw new TargetConfigurationException($"{this[name]} must be 'true' or 'false'.", this[name].Name),
        };
    }

    /// <summary>
    /// The value of <paramref name="name"/> as octal permissions for new objects (600, 640, 660), or 600 (owner read
    /// and write) when not set.
    /// </summary>
    /// <exception cref="TargetConfigurationException">It is not octal, has execute or special bits, or denies the owner read or write.</exception>
    public UnixFileMode GetFileMode(string name)
    {
        var text = Optional(name);
        if (text is null)
        {
            return UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        int mode;
        try
        {
            mode = Convert.ToInt32(text.Trim(), 8);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
        {
            mode = -1;
        }

        // Read and write only (no execute or special bits), and the owner keeps both.
        if (mode < 0 || (mode & ~0b110_110_110) != 0 || (mode & 0b110_000_000) != 0b110_000_000)
        {
            throw new TargetConfigurationException(
                string.Create(CultureInfo.InvariantCulture, $"{this[name]} must be octal permissions for new objects that let the owner read and write, such as 600 (the default), 640 (a group may read) or 660 (a group may write); '{text}' is not."),
                this[name].Name);
        }

        return (UnixFileMode)mode;
    }
}
