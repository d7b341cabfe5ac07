using System.Xml.Linq;

namespace Backup.Architecture.Tests;

/// <summary>
/// Which project under src/ may reference which: Backup.Core at the bottom, the provider packages and hosting on it,
/// the CLI on top, and the test doubles (Backup.Testing) never in anything that ships to run in production.
/// </summary>
public sealed class PackageDependencyTests
{
    private static readonly Dictionary<string, string[]> Allowed = new(StringComparer.Ordinal)
    {
        ["Backup.Core"] = [],
        ["Backup.Testing"] = ["Backup.Core"],
        // Hosting binds database sources from configuration through the engine descriptors (Providers.Common needs only Core).
        ["Backup.Extensions.DependencyInjection"] = ["Backup.Core", "Backup.Providers.Common"],
        ["Backup.Providers.Common"] = ["Backup.Core"],
        ["Backup.Providers.Sftp"] = ["Backup.Core"],
        ["Backup.Providers.S3"] = ["Backup.Core"],
        ["Backup.Providers.Azure"] = ["Backup.Core"],
        ["Backup.Providers.Sqlite"] = ["Backup.Core", "Backup.Providers.Common"],
        ["Backup.Providers.MySql"] = ["Backup.Core", "Backup.Providers.Common"],
        ["Backup.Providers.PostgreSql"] = ["Backup.Core", "Backup.Providers.Common"],
        // Email alerts: MailKit is heavy, so the SMTP channel plugs into hosting's alert dispatcher from its own package.
        ["Backup.Providers.Smtp"] = ["Backup.Core", "Backup.Extensions.DependencyInjection"],
        // Plans name jobs and repositories in the host's vocabulary and run them through the host's services.
        ["Backup.DisasterRecovery"] = ["Backup.Core", "Backup.Providers.Common", "Backup.Extensions.DependencyInjection"],
        ["Backup.Cli"] = ["Backup.Core", "Backup.Providers.Sftp", "Backup.Providers.S3", "Backup.Providers.Azure", "Backup.Providers.PostgreSql", "Backup.Providers.MySql", "Backup.Providers.Sqlite", "Backup.DisasterRecovery"],
    };

    [Fact]
    public void Every_project_under_src_references_only_the_projects_allowed_for_it()
    {
        var projects = Directory.EnumerateFiles(Path.Combine(RepositoryRoot(), "src"), "*.csproj", SearchOption.AllDirectories).ToList();
        projects.Select(Path.GetFileNameWithoutExtension).Should().BeEquivalentTo(Allowed.Keys, "every project under src/ is listed here, so a new one states what it may use");

        var violations = new List<string>();
        foreach (var project in projects)
        {
            var name = Path.GetFileNameWithoutExtension(project);
            var references = XDocument.Load(project).Descendants("ProjectReference")
                .Select(r => Path.GetFileNameWithoutExtension((string)r.Attribute("Include")!.Value.Replace('\\', '/')));
            violations.AddRange(references.Where(r => !Allowed[name].Contains(r)).Select(r => $"{name} -> {r}"));
        }

        violations.Should().BeEmpty();
    }

    [Fact]
    public void Nothing_that_ships_references_the_test_doubles()
    {
        Allowed.Where(p => p.Value.Contains("Backup.Testing")).Should().BeEmpty("InMemoryTarget and FaultInjectingTarget are for users' tests, not their production code");
        typeof(Backup.Core.BackupRepository).Assembly.GetReferencedAssemblies().Select(a => a.Name).Should().NotContain(n => n!.StartsWith("Backup.", StringComparison.Ordinal));
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Backup.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException($"No Backup.sln above {AppContext.BaseDirectory}.");
    }
}
