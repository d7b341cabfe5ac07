using System.Text.RegularExpressions;

namespace Backup.Architecture.Tests;

/// <summary>
/// Links between the Markdown pages, the packages' READMEs included: nuget.org shows a package's README outside the
/// repository, so its links are absolute (https://github.com/backup-sdk/backup/blob/main/…), and a renamed page or
/// heading breaks them without any build noticing. Each link into this repository must name a file that exists and,
/// with a #fragment, a heading of that file.
/// </summary>
public sealed partial class DocumentationLinkTests
{
    private const string RepositoryUrl = "https://github.com/backup-sdk/backup";

    [Fact]
    public void Every_link_into_the_repository_names_an_existing_file_and_heading()
    {
        var root = RepositoryRoot();
        var pages = Directory.EnumerateFiles(Path.Combine(root, "src"), "README.md", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md"))
            .Concat(new[] { "README.md", "CONTRIBUTING.md" }.Select(name => Path.Combine(root, name)))
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        pages.Should().Contain(path => path.EndsWith(Path.Combine("Backup.Extensions.DependencyInjection", "README.md"), StringComparison.Ordinal));

        var broken = new List<string>();
        foreach (var page in pages)
        {
            foreach (Match link in MarkdownLink().Matches(File.ReadAllText(page)))
            {
                var problem = Check(root, page, link.Groups["url"].Value);
                if (problem is not null)
                {
                    broken.Add($"{Path.GetRelativePath(root, page)}: {link.Groups["url"].Value}: {problem}");
                }
            }
        }

        string.Join(Environment.NewLine, broken).Should().BeEmpty();
    }

    [Theory]
    [InlineData("## Database sources from configuration", "database-sources-from-configuration")]
    [InlineData("## Scheduler rules (`AddBackupScheduler`)", "scheduler-rules-addbackupscheduler")]
    [InlineData("## Metrics (meter `Backup`, created from `IMeterFactory`)", "metrics-meter-backup-created-from-imeterfactory")]
    [InlineData("### Append-only, least-privilege credentials", "append-only-least-privilege-credentials")]
    public void Headings_get_the_anchors_GitHub_gives_them(string heading, string anchor) =>
        Anchors([heading]).Should().Equal(anchor);

    private static string? Check(string root, string page, string url)
    {
        string target;
        if (url.StartsWith(RepositoryUrl, StringComparison.Ordinal))
        {
            var rest = url[RepositoryUrl.Length..];
            if (rest is "" or "#readme")
            {
                return null;
            }

            var inTree = Regex.Match(rest, "^/(blob|tree)/main/(?<path>.*)$");
            if (!inTree.Success)
            {
                return null;
            }

            target = Path.Combine(root, inTree.Groups["path"].Value);
        }
        else if (url.Contains("://", StringComparison.Ordinal) || url.StartsWith("mailto:", StringComparison.Ordinal))
        {
            return null;
        }
        else
        {
            target = url.StartsWith('#') ? page + url : Path.Combine(Path.GetDirectoryName(page)!, url);
        }

        var fragmentAt = target.IndexOf('#', StringComparison.Ordinal);
        var fragment = fragmentAt < 0 ? null : target[(fragmentAt + 1)..];
        var path = Path.GetFullPath(fragmentAt < 0 ? target : target[..fragmentAt]);
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            return "no such file";
        }

        if (fragment is null || !path.EndsWith(".md", StringComparison.Ordinal))
        {
            return null;
        }

        return Anchors(File.ReadLines(path)).Contains(fragment) ? null : $"no heading with the anchor #{fragment}";
    }

    // GitHub's anchors: the heading's text in lower case, punctuation other than '-' and '_' dropped, spaces as '-',
    // and "-1", "-2", … after a repeated one.
    private static List<string> Anchors(IEnumerable<string> lines)
    {
        var anchors = new List<string>();
        var inCode = false;
        foreach (var line in lines)
        {
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                inCode = !inCode;
                continue;
            }

            var heading = inCode ? null : Heading().Match(line);
            if (heading is not { Success: true })
            {
                continue;
            }

            var anchor = NotInAnchor().Replace(heading.Groups["text"].Value.Trim().ToLowerInvariant(), string.Empty).Replace(' ', '-');
            var repeats = anchors.Count(a => a == anchor);
            anchors.Add(anchor);
            if (repeats > 0)
            {
                anchors.Add($"{anchor}-{repeats}");
            }
        }

        return anchors;
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

    [GeneratedRegex(@"\]\((?<url>[^)\s]+)\)")]
    private static partial Regex MarkdownLink();

    [GeneratedRegex(@"^#{1,6}\s+(?<text>.+)$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^\p{L}\p{Nd}\-_ ]")]
    private static partial Regex NotInAnchor();
}
