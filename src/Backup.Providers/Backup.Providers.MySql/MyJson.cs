using System.Text.Json.Serialization;

namespace Backup.Providers.MySql;

/// <summary>Serialization code generated at build time, so the provider runs trimmed and ahead-of-time compiled: database lists compact, dump manifests indented.</summary>
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(MyRequiredAccounts))]
internal sealed partial class MyJson : JsonSerializerContext;

/// <inheritdoc cref="MyJson"/>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(MyDriverManifest))]
internal sealed partial class MyManifestJson : JsonSerializerContext;
