using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using Backup.Core.Retention;
using Microsoft.Extensions.Configuration;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// Walks a configuration section against the public settable properties of the options type it binds to, before the
/// binder runs, and reports what the binder would ignore or throw on: keys no property has (with the closest known
/// name) and values that do not convert (with the formats that do). Dictionaries and lists of option objects are
/// walked per entry; lists and dictionaries of strings are free-form.
/// </summary>
internal static class ConfigurationKeyChecker
{
    private const BindingFlags PublicInstance = BindingFlags.Public | BindingFlags.Instance;

    /// <summary>What the walk found.</summary>
    internal sealed class Findings
    {
        /// <summary>One message per problem, each starting with the full configuration path of the key.</summary>
        public List<string> Errors { get; } = [];

        /// <summary>The paths of values that would make the binder throw (left out of binding so the rest binds).</summary>
        public HashSet<string> BadValuePaths { get; } = new(StringComparer.OrdinalIgnoreCase);

        /// <summary>
        /// The paths of valid <see cref="RetentionDuration"/> values: the binder cannot convert them from text, so they
        /// are left out of binding and set by <see cref="RetentionDurationBinding"/>.
        /// </summary>
        public HashSet<string> DurationPaths { get; } = new(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Checks <paramref name="section"/> (whose children are <paramref name="type"/>'s properties).</summary>
    // The hosting option types are listed so the trimmer keeps their property metadata: the walk reaches them through
    // PropertyType, which it cannot follow. A type whose metadata is gone anyway (one added elsewhere) reads as having
    // no properties, and the walk then treats it as free-form rather than reporting every key as unknown.
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(BackupRepositoryOptions))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(BackupJobOptions))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(BackupHookOptions))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(BackupRetentionOptions))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(BackupVerificationOptions))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(BackupSchedulerOptions))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(HeartbeatOptions))]
    public static Findings Check(IConfiguration section, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] Type type)
    {
        ArgumentNullException.ThrowIfNull(section);
        var findings = new Findings();
        CheckObject(section, type, findings);
        return findings;
    }

    [UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "Property types are walked by reflection; see Check for how trimmed metadata is handled.")]
    private static void CheckObject(IConfiguration section, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] Type type, Findings findings)
    {
        var properties = type.GetProperties(PublicInstance);
        var bindable = properties.Where(IsBindable).ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        if (bindable.Count == 0)
        {
            return;
        }

        foreach (var child in section.GetChildren())
        {
            if (bindable.TryGetValue(child.Key, out var property))
            {
                CheckValue(child, property.PropertyType, findings);
            }
            else if (properties.FirstOrDefault(p => string.Equals(p.Name, child.Key, StringComparison.OrdinalIgnoreCase)) is { } codeOnly)
            {
                findings.Errors.Add($"{child.Path}: '{codeOnly.Name}' can only be set in code, not in configuration.");
            }
            else
            {
                var suggestion = Closest(child.Key, bindable.Keys);
                findings.Errors.Add(suggestion is null
                    ? $"{child.Path}: '{child.Key}' is not a known setting (known: {string.Join(", ", bindable.Keys.Order(StringComparer.Ordinal))})."
                    : $"{child.Path}: '{child.Key}' is not a known setting; did you mean '{suggestion}'?");
            }
        }
    }

    [UnconditionalSuppressMessage("Trimming", "IL2067", Justification = "Element and property types are walked by reflection; see Check for how trimmed metadata is handled.")]
    [UnconditionalSuppressMessage("Trimming", "IL2062", Justification = "Element and property types are walked by reflection; see Check for how trimmed metadata is handled.")]
    [UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "Element and property types are walked by reflection; see Check for how trimmed metadata is handled.")]
    private static void CheckValue(IConfigurationSection section, Type type, Findings findings)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (Describe(type) is { } accepted)
        {
            CheckScalar(section, type, accepted, findings);
            return;
        }

        if (type == typeof(string) || type == typeof(object))
        {
            return;
        }

        if (DictionaryValueType(type) is { } valueType)
        {
            foreach (var entry in section.GetChildren())
            {
                CheckValue(entry, valueType, findings);
            }
        }
        else if (ElementType(type) is { } elementType)
        {
            foreach (var entry in section.GetChildren())
            {
                CheckValue(entry, elementType, findings);
            }
        }
        else if (type.IsClass && !typeof(Delegate).IsAssignableFrom(type))
        {
            CheckObject(section, type, findings);
        }
    }

    private static void CheckScalar(IConfigurationSection section, Type type, string accepted, Findings findings)
    {
        if (section.GetChildren().Any())
        {
            findings.Errors.Add($"{section.Path}: takes a single value ({accepted}), not nested settings.");
            return;
        }

        if (type == typeof(RetentionDuration) && !string.IsNullOrEmpty(section.Value))
        {
            findings.DurationPaths.Add(section.Path);
        }

        // An empty value binds to the default (or null), as the binder does.
        if (string.IsNullOrEmpty(section.Value) || Converts(section.Value, type))
        {
            return;
        }

        findings.BadValuePaths.Add(section.Path);
        findings.Errors.Add($"{section.Path}: '{section.Value}' is not valid; expected {accepted}.");
    }

    /// <summary>What a value of <paramref name="type"/> looks like, or null when it is not a checked scalar.</summary>
    internal static string? Describe(Type type)
    {
        if (type.IsEnum)
        {
            return $"one of {string.Join(", ", Enum.GetNames(type))}";
        }

        return Type.GetTypeCode(type) switch
        {
            TypeCode.Boolean => "true or false",
            TypeCode.Int32 or TypeCode.Int64 or TypeCode.Int16 => "a whole number, such as 7",
            TypeCode.Double or TypeCode.Single or TypeCode.Decimal => "a number, such as 0.5",
            _ when type == typeof(TimeSpan) => "a duration written d.hh:mm:ss, such as 1.00:00:00 for a day, 06:00:00 for six hours or 00:30:00 for thirty minutes",
            _ when type == typeof(RetentionDuration) => "a duration in restic's units, such as 1y6m (calendar years and months), 2m, 14d, 2w or 36h, or d.hh:mm:ss such as 7.00:00:00",
            _ when type == typeof(Uri) => "a URL, such as https://hc.example/ping/abc",
            _ => null,
        };
    }

    // The same parsing the configuration binder does (invariant culture), so what passes here binds.
    private static bool Converts(string value, Type type)
    {
        if (type.IsEnum)
        {
            // The binder also takes numbers; a number that names no member is refused here (it would mean nothing).
            return Enum.TryParse(type, value, ignoreCase: true, out var parsed) && Enum.IsDefined(type, parsed!);
        }

        return Type.GetTypeCode(type) switch
        {
            TypeCode.Boolean => bool.TryParse(value, out _),
            TypeCode.Int32 => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
            TypeCode.Int64 => long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
            TypeCode.Int16 => short.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
            TypeCode.Double => double.TryParse(value, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out _),
            TypeCode.Single => float.TryParse(value, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out _),
            TypeCode.Decimal => decimal.TryParse(value, NumberStyles.Number, CultureInfo.InvariantCulture, out _),
            _ when type == typeof(TimeSpan) => TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out _),
            _ when type == typeof(RetentionDuration) => RetentionDuration.TryParse(value, out _),
            _ when type == typeof(Uri) => Uri.TryCreate(value, UriKind.RelativeOrAbsolute, out _),
            _ => true,
        };
    }

    // A property the binder sets: a public setter, or a getter returning a collection or object it fills in place.
    private static bool IsBindable(PropertyInfo property) =>
        property.GetIndexParameters().Length == 0
        && property.GetMethod is { IsPublic: true }
        && !typeof(Delegate).IsAssignableFrom(property.PropertyType)
        && (property.SetMethod is { IsPublic: true } || (!property.PropertyType.IsValueType && property.PropertyType != typeof(string)));

    private static Type? DictionaryValueType(Type type)
    {
        foreach (var candidate in SelfAndInterfaces(type))
        {
            if (candidate.IsGenericType && candidate.GetGenericTypeDefinition() is var definition
                && (definition == typeof(IDictionary<,>) || definition == typeof(IReadOnlyDictionary<,>)))
            {
                return candidate.GetGenericArguments()[1];
            }
        }

        return null;
    }

    private static Type? ElementType(Type type)
    {
        if (type.IsArray)
        {
            return type.GetElementType();
        }

        foreach (var candidate in SelfAndInterfaces(type))
        {
            if (candidate.IsGenericType && candidate.GetGenericTypeDefinition() == typeof(IEnumerable<>))
            {
                return candidate.GetGenericArguments()[0];
            }
        }

        return typeof(IEnumerable).IsAssignableFrom(type) ? typeof(object) : null;
    }

    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "The collection interfaces of option types are those the binder itself needs; a trimmed one reads as a plain object.")]
    private static IEnumerable<Type> SelfAndInterfaces(Type type) => [type, .. type.GetInterfaces()];

    /// <summary>The known name closest to <paramref name="key"/> by edit distance, or null when none is close.</summary>
    internal static string? Closest(string key, IEnumerable<string> known)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var name in known)
        {
            var distance = EditDistance(key.ToUpperInvariant(), name.ToUpperInvariant());
            if (distance < bestDistance && distance <= Math.Max(2, name.Length / 3))
            {
                best = name;
                bestDistance = distance;
            }
        }

        return best;
    }

    // Levenshtein distance with adjacent transpositions counted as one edit ("Shcedule").
    internal static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
