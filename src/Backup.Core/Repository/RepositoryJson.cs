using System.Text.Json.Serialization;
using Backup.Core.Snapshots;

namespace Backup.Core.Repository;

/// <summary>Source-generated JSON for every JSON object in the repository format.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault,
    UseStringEnumConverter = true,
    Converters = [typeof(BlobIdJsonConverter)])]
[JsonSerializable(typeof(RepositoryConfig))]
[JsonSerializable(typeof(KeyObject))]
[JsonSerializable(typeof(Snapshot))]
[JsonSerializable(typeof(Tree))]
[JsonSerializable(typeof(LockObject))]
internal sealed partial class RepositoryJson : JsonSerializerContext;
