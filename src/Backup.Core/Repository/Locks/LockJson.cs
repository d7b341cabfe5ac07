using System.Text.Json.Serialization;
using Backup.Core.Repository;

namespace Backup.Core.Repository.Locks;

/// <summary>How lock objects are stored: the same JSON options as every other repository object.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault,
    UseStringEnumConverter = true,
    Converters = [typeof(BlobIdJsonConverter)])]
[JsonSerializable(typeof(LockObject))]
internal sealed partial class LockJson : JsonSerializerContext;
