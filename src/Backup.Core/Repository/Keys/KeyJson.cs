using System.Text.Json.Serialization;
using Backup.Core.Repository;

namespace Backup.Core.Repository.Keys;

/// <summary>How key objects are stored: the same JSON options as every other repository object.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault,
    UseStringEnumConverter = true,
    Converters = [typeof(BlobIdJsonConverter)])]
[JsonSerializable(typeof(KeyObject))]
internal sealed partial class KeyJson : JsonSerializerContext;
