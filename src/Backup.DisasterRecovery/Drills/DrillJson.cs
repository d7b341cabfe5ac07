using System.Text.Json.Serialization;

namespace Backup.DisasterRecovery;

/// <summary>The JSON of stored drill results and of the tool's --json output: camelCase, enums as names.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = false)]
[JsonSerializable(typeof(RecoveryDrillResult))]
[JsonSerializable(typeof(List<RecoveryDrillResult>))]
internal sealed partial class DrillJson : JsonSerializerContext;
