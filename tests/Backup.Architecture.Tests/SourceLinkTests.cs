using System.Reflection.Metadata;
using System.Text.Json;

namespace Backup.Architecture.Tests;

/// <summary>
/// The symbol packages (snupkg) carry each library's pdb; a debugger steps into the library's source only if the pdb
/// says where that source is (SourceLink). The git remote it is usually read from is missing in a clone without one
/// (a mirror, a local path as origin), where the project's RepositoryUrl still names the published repository.
/// </summary>
public sealed class SourceLinkTests
{
    private static readonly Guid SourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");

    [Fact]
    public void The_core_library_pdb_maps_its_sources_to_a_web_address()
    {
        var pdb = Path.ChangeExtension(typeof(Backup.Core.BackupRepository).Assembly.Location, ".pdb");
        using var stream = File.OpenRead(pdb);
        using var provider = MetadataReaderProvider.FromPortablePdbStream(stream);
        var reader = provider.GetMetadataReader();

        var sourceLink = reader.CustomDebugInformation
            .Select(reader.GetCustomDebugInformation)
            .Where(info => reader.GetGuid(info.Kind) == SourceLinkKind)
            .Select(info => reader.GetBlobBytes(info.Value))
            .SingleOrDefault();

        sourceLink.Should().NotBeNull("the pdb of a packed library must carry SourceLink ({0})", pdb);
        using var json = JsonDocument.Parse(sourceLink!);
        json.RootElement.GetProperty("documents").EnumerateObject().Select(d => d.Value.GetString())
            .Should().NotBeEmpty().And.OnlyContain(url => url!.StartsWith("https://", StringComparison.Ordinal));
    }
}
