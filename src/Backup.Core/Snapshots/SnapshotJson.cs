using System.Text.Json.Serialization;
using Backup.Core.Repository;

namespace Backup.Core.Snapshots;

/// <summary>How snapshots and trees are stored: the same JSON options as every other repository object.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault,
    UseStringEnumConverter = true,
    Converters = [typeof(BlobIdJsonConverter)])]
[JsonSerializable(typeof(Snapshot))]
[JsonSerializable(typeof(Tree))]
internal sealed partial class SnapshotJson : JsonSerializerContext;
