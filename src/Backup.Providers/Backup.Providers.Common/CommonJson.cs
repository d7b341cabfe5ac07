using System.Text.Json.Serialization;

namespace Backup.Providers;

/// <summary>Serialization code generated at build time, so the providers run trimmed and ahead-of-time compiled.</summary>
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class CommonJson : JsonSerializerContext;
