using System.Text.Json.Serialization;

namespace Backup.Core.Repository;

/// <summary>Source-generated JSON for every JSON object in the repository format.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault,
    UseStringEnumConverter = true,
    Converters = [typeof(BlobIdJsonConverter)])]
[JsonSerializable(typeof(RepositoryConfig))]
internal sealed partial class RepositoryJson : JsonSerializerContext;
