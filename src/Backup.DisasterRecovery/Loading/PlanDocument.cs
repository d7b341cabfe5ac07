using System.Globalization;
using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Backup.DisasterRecovery;

/// <summary>
/// A plan file flattened into configuration keys ("Systems:shop:Steps:0:Name"), the shape the configuration binder
/// and the host's key checker read, with the line each key is on (YAML) so errors can point into the file. YAML is
/// read through YamlDotNet's node model (no reflection), JSON through <see cref="JsonDocument"/>; both go through
/// the same walk, so the two formats mean exactly the same.
/// </summary>
internal sealed class PlanDocument
{
    private PlanDocument()
    {
    }

    /// <summary>Every value by its configuration key (case-insensitive; a null value binds as absent).</summary>
    public Dictionary<string, string?> Values { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The 1-based line of each key, where the format tells (YAML).</summary>
    public Dictionary<string, int> Lines { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Reads YAML text.</summary>
    /// <exception cref="FormatException">The text is not YAML, or holds more than one document or a non-mapping root; the message has the line.</exception>
    public static PlanDocument FromYaml(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new FormatException($"line {e.Start.Line}, column {e.Start.Column}: {e.Message}", e);
        }

        var document = new PlanDocument();
        switch (stream.Documents.Count)
        {
            case 0:
                return document;
            case > 1:
                throw new FormatException($"line {stream.Documents[1].RootNode.Start.Line}: the file holds more than one YAML document; a plan is one.");
        }

        var root = stream.Documents[0].RootNode;
        if (root is YamlScalarNode { Value: null or "" or "~" })
        {
            return document;
        }

        if (root is not YamlMappingNode)
        {
            throw new FormatException($"line {root.Start.Line}: a plan is a mapping of settings (Name, Backup, Systems, Scratch), not a {Describe(root)}.");
        }

        document.Walk(root, prefix: null);
        return document;
    }

    /// <summary>Reads JSON text (comments and trailing commas allowed, as in appsettings.json).</summary>
    /// <exception cref="FormatException">The text is not JSON or its root is not an object; the message has the line.</exception>
    public static PlanDocument FromJson(string text)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new FormatException($"line {(e.LineNumber ?? 0) + 1}: not valid JSON ({FirstSentence(e.Message)})", e);
        }

        using (json)
        {
            if (json.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"a plan is a JSON object of settings (Name, Backup, Systems, Scratch), not {json.RootElement.ValueKind.ToString().ToLowerInvariant()}.");
            }

            var document = new PlanDocument();
            document.Walk(json.RootElement, prefix: null);
            return document;
        }
    }

    private void Walk(YamlNode node, string? prefix)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (keyNode, value) in mapping.Children)
                {
                    if (keyNode is not YamlScalarNode { Value: { Length: > 0 } key })
                    {
                        throw new FormatException($"line {keyNode.Start.Line}: a key must be a plain name, not a {Describe(keyNode)}.");
                    }

                    var path = Join(prefix, key);
                    Lines.TryAdd(path, (int)keyNode.Start.Line);
                    Walk(value, path);
                }

                break;
            case YamlSequenceNode sequence:
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    var path = Join(prefix, i.ToString(CultureInfo.InvariantCulture));
                    Lines.TryAdd(path, (int)sequence.Children[i].Start.Line);
                    Walk(sequence.Children[i], path);
                }

                break;
            case YamlScalarNode scalar:
                // A plain ~, null or nothing is YAML's null: the setting keeps its default, as an absent key would.
                var isNull = scalar.Style == ScalarStyle.Plain && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";
                Add(prefix!, isNull ? null : scalar.Value);
                break;
            default:
                throw new FormatException($"line {node.Start.Line}: a {Describe(node)} is not a setting.");
        }
    }

    private void Walk(JsonElement element, string? prefix)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Walk(property.Value, Join(prefix, property.Name));
                }

                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item, Join(prefix, (i++).ToString(CultureInfo.InvariantCulture)));
                }

                break;
            case JsonValueKind.Null:
                Add(prefix!, null);
                break;
            case JsonValueKind.String:
                Add(prefix!, element.GetString());
                break;
            default:
                // Numbers and booleans as written, as the configuration's JSON provider keeps them.
                Add(prefix!, element.GetRawText());
                break;
        }
    }

    private void Add(string path, string? value) => Values[path] = PlanDurations.Normalize(path, value);

    private static string Join(string? prefix, string key) => prefix is null ? key : prefix + ":" + key;

    private static string Describe(YamlNode node) => node switch
    {
        YamlSequenceNode => "list",
        YamlMappingNode => "mapping",
        _ => "value",
    };

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message.TrimEnd('.') : message[..end];
    }
}
