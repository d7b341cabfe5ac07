using System.Text.Json.Serialization;

namespace Backup.Providers.PostgreSql;

/// <summary>Serialization code generated at build time, so the provider runs trimmed and ahead-of-time compiled: database lists compact, dump manifests indented.</summary>
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(PgRequiredRoles))]
internal sealed partial class PgJson : JsonSerializerContext;

/// <inheritdoc cref="PgJson"/>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(DriverManifest))]
internal sealed partial class PgManifestJson : JsonSerializerContext;
