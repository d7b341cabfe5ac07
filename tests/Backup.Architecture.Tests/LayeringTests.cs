using Backup.Core;

namespace Backup.Architecture.Tests;

/// <summary>
/// Backup.Core is layered (docs/architecture.md, "Layers"): each namespace may use only the namespaces listed for it
/// here, which are below it, and no namespaces form a cycle. A new dependency fails these tests until it is added to
/// <see cref="Allowed"/>, which is where a reviewer sees that the architecture changed.
/// </summary>
public sealed class LayeringTests
{
    private const string Root = "Backup.Core";

    // Bottom up. Names are relative to Backup.Core ("" is Backup.Core itself: the BackupRepository facade).
    private static readonly Dictionary<string, string[]> Allowed = new(StringComparer.Ordinal)
    {
        // Primitives: know nothing of repositories.
        ["Native"] = [],
        ["Buffers"] = ["Native"],
        ["Crypto"] = ["Buffers", "Transforms"],
        ["Chunking"] = [],
        ["Transforms"] = ["Buffers"],
        ["Storage"] = ["Native", "Buffers"],
        ["Diagnostics"] = [], // the ActivitySource, meter and logs every service reports to; it knows no service's results

        // The repository, bottom up: its vocabulary (IDs, config, layout, exceptions), then locks and keys, then the
        // blob store (packs, index, writer), the snapshot store, the content layer, and the facade over them all.
        ["Repository"] = ["Storage", "Chunking", "Transforms", "Crypto"],
        // Turning a location ("s3://bucket/prefix") and its settings into a target: above storage, since a missing local
        // directory is the repository vocabulary's RepositoryNotFoundException.
        ["Storage.Locations"] = ["Storage", "Repository"],
        ["Repository.Locks"] = ["Repository", "Storage", "Transforms"],
        ["Repository.Keys"] = ["Repository", "Storage", "Crypto", "Transforms", "Buffers"],
        ["Repository.Blobs"] = ["Repository", "Repository.Locks", "Storage", "Transforms", "Buffers", "Crypto", "Chunking"],
        ["Snapshots"] = ["Repository", "Repository.Blobs", "Storage", "Transforms"],
        ["Repository.Records"] = ["Repository", "Repository.Blobs", "Storage", "Transforms"],
        ["Content"] = ["Repository", "Repository.Blobs", "Snapshots", "Chunking", "Buffers"],
        [""] = ["Repository", "Repository.Locks", "Repository.Keys", "Repository.Blobs", "Repository.Records", "Snapshots", "Content", "Storage", "Crypto", "Chunking", "Transforms"],

        // What is backed up: sources describe entries with the snapshot model, and know nothing of repositories.
        ["Sources"] = ["Snapshots", "Repository", "Native"],
        ["Sources.FileSystem"] = ["Sources", "Snapshots", "Repository", "Native"],

        // Services: over the facade and its layers. Verification reuses maintenance's scan and restore's restore, and
        // maintenance reuses retention's evaluator (the retention extension leaves what forget removes to lapse); no
        // other service uses another.
        ["Pipeline"] = ["", "Diagnostics", "Repository", "Repository.Blobs", "Snapshots", "Content", "Sources", "Chunking", "Buffers", "Storage"],
        ["Restore"] = ["", "Diagnostics", "Repository", "Repository.Blobs", "Snapshots", "Content", "Native", "Buffers", "Storage"],
        ["Retention"] = ["", "Diagnostics", "Repository", "Snapshots", "Storage"],
        ["Maintenance"] = ["", "Diagnostics", "Repository", "Repository.Blobs", "Retention", "Snapshots", "Storage", "Transforms", "Buffers"],
        ["Replication"] = ["", "Repository", "Repository.Blobs", "Snapshots", "Content", "Buffers"],
        ["Verification"] = ["", "Diagnostics", "Repository", "Repository.Blobs", "Repository.Keys", "Snapshots", "Content", "Maintenance", "Restore", "Storage", "Buffers", "Native"],
    };

    private static readonly Lazy<NamespaceGraph> Graph = new(() => NamespaceGraph.Read(typeof(BackupRepository).Assembly, Root));

    [Fact]
    public void Every_namespace_uses_only_the_layers_allowed_for_it()
    {
        var violations = new List<string>();
        foreach (var (from, uses) in Graph.Value.Edges)
        {
            var name = Relative(from);
            if (!Allowed.TryGetValue(name, out var allowed))
            {
                violations.Add($"{from} is in no layer: add it to {nameof(LayeringTests)}.{nameof(Allowed)} with the layers it may use");
                continue;
            }

            violations.AddRange(uses.Select(Relative).Where(to => !allowed.Contains(to)).Select(to => $"{from} uses {Qualified(to)}, which is not below it"));
        }

        violations.Should().BeEmpty("each layer may use only the layers listed for it (the graph is {0})", Describe());
    }

    [Fact]
    public void No_namespaces_form_a_cycle()
    {
        Graph.Value.FindCycle().Should().BeNull("a cycle means two layers each need the other (the graph is {0})", Describe());
    }

    [Fact]
    public void The_layer_map_allows_no_cycle_itself()
    {
        // The rules themselves must be a layering: were they to allow a cycle, the tests above could pass on one.
        var edges = Allowed.ToDictionary(p => Qualified(p.Key), p => new SortedSet<string>(p.Value.Select(Qualified), StringComparer.Ordinal), StringComparer.Ordinal);
        NamespaceGraph.FindCycle(edges).Should().BeNull();
    }

    [Fact]
    public void The_lower_layers_never_reach_the_facade_or_a_service()
    {
        // Spelled out apart from the map, as the rule that matters most: storage, blobs, keys, locks, snapshots and
        // content work without the facade and the services above them, so they can be tested and reused alone.
        string[] lower = ["Native", "Buffers", "Diagnostics", "Crypto", "Chunking", "Transforms", "Storage", "Repository", "Repository.Locks", "Repository.Keys", "Repository.Blobs", "Repository.Records", "Snapshots", "Content"];
        string[] upper = ["", "Pipeline", "Restore", "Retention", "Maintenance", "Replication", "Verification"];
        var reaching = lower.SelectMany(l => Graph.Value.Edges.GetValueOrDefault(Qualified(l), []).Select(Relative).Where(upper.Contains).Select(u => $"{Qualified(l)} -> {Qualified(u)}"));
        reaching.Should().BeEmpty();
    }

    private static string Relative(string ns) => ns == Root ? "" : ns[(Root.Length + 1)..];

    private static string Qualified(string relative) => relative.Length == 0 ? Root : Root + "." + relative;

    private static string Describe() =>
        string.Join("; ", Graph.Value.Edges.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} -> [{string.Join(", ", p.Value.Select(Relative))}]"));
}
