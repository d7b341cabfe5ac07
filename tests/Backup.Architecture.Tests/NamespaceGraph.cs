using System.Reflection;
using NetArchTest.Rules;

namespace Backup.Architecture.Tests;

/// <summary>
/// Which namespace of an assembly uses which, read from its IL by NetArchTest: an edge A → B when any type in
/// namespace A (exactly A, not the namespaces below it) references any type in namespace B.
/// </summary>
internal sealed class NamespaceGraph
{
    private NamespaceGraph(Dictionary<string, SortedSet<string>> edges) => Edges = edges;

    /// <summary>Each namespace and the namespaces it uses (itself excluded).</summary>
    public Dictionary<string, SortedSet<string>> Edges { get; }

    /// <summary>Reads the graph of the namespaces under <paramref name="root"/> in <paramref name="assembly"/>.</summary>
    public static NamespaceGraph Read(Assembly assembly, string root)
    {
        var namespaces = Types.InAssembly(assembly).GetTypes()
            .Select(t => t.Namespace)
            .Where(n => n is not null && (n == root || n.StartsWith(root + ".", StringComparison.Ordinal)))
            .Select(n => n!)
            .ToHashSet(StringComparer.Ordinal);
        // Full names of each namespace's own types: HaveDependencyOnAny matches by name prefix, so naming the types
        // (rather than the namespace) keeps a namespace's edges apart from those of the namespaces below it.
        var typesOf = namespaces.ToDictionary(
            n => n,
            n => Types.InAssembly(assembly).That().ResideInNamespaceMatching("^" + Escape(n) + "$").GetTypes().Select(t => t.FullName).ToArray(),
            StringComparer.Ordinal);
        var edges = namespaces.ToDictionary(n => n, _ => new SortedSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var from in namespaces)
        {
            foreach (var to in namespaces.Where(n => n != from && typesOf[n].Length > 0))
            {
                var users = Types.InAssembly(assembly).That().ResideInNamespaceMatching("^" + Escape(from) + "$")
                    .And().HaveDependencyOnAny(typesOf[to]).GetTypes();
                if (users.Any())
                {
                    edges[from].Add(to);
                }
            }
        }

        return new NamespaceGraph(edges);
    }

    /// <summary>The namespaces of one cycle, first repeated at the end, or null when the graph has none.</summary>
    public IReadOnlyList<string>? FindCycle() => FindCycle(Edges);

    /// <summary>The namespaces of one cycle in <paramref name="edges"/>, first repeated at the end, or null when there is none.</summary>
    public static IReadOnlyList<string>? FindCycle(Dictionary<string, SortedSet<string>> edges)
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        var path = new List<string>();
        foreach (var start in edges.Keys.Order(StringComparer.Ordinal))
        {
            if (Visit(start) is { } cycle)
            {
                return cycle;
            }
        }

        return null;

        List<string>? Visit(string node)
        {
            if (state.GetValueOrDefault(node) == 2)
            {
                return null;
            }

            if (state.GetValueOrDefault(node) == 1)
            {
                return [.. path.Skip(path.IndexOf(node)), node];
            }

            state[node] = 1;
            path.Add(node);
            foreach (var next in edges.GetValueOrDefault(node, []))
            {
                if (Visit(next) is { } cycle)
                {
                    return cycle;
                }
            }

            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }
    }

    private static string Escape(string ns) => ns.Replace(".", "\\.", StringComparison.Ordinal);
}
