using System.Text.Json.Serialization;

namespace Backup.DisasterRecovery;

/// <summary>The JSON of reports: camelCase, enums as names, indented for people and diffs.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(RecoveryReport))]
internal sealed partial class ReportJson : JsonSerializerContext;
