using System.Text.Json;
using System.Text.Json.Serialization;

namespace Backup.Core.Repository;

/// <summary>Writes a <see cref="BlobId"/> as its 64 hexadecimal digits.</summary>
internal sealed class BlobIdJsonConverter : JsonConverter<BlobId>
{
    /// <inheritdoc />
    public override BlobId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        BlobId.TryParse(reader.GetString(), out var id) ? id : throw new JsonException("Expected a 64-digit hexadecimal ID.");

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, BlobId value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
