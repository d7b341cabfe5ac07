using Backup.Core.Sources.FileSystem;

namespace Backup.Files.Tests;

public class ExcludeMatcherTests
{
    [Theory]
    [InlineData("*.log", "app.log", false, true)]
    [InlineData("*.log", "a/b/app.log", false, true)]
    [InlineData("*.log", "app.log.txt", false, false)]
    [InlineData("*.log", "dir.log", true, true)]
    [InlineData("/build", "build", true, true)]
    [InlineData("/build", "src/build", true, false)]
    [InlineData("build", "src/build", true, true)]
    [InlineData("node_modules/", "node_modules", true, true)]
    [InlineData("node_modules/", "a/node_modules", true, true)]
    [InlineData("node_modules/", "node_modules", false, false)]
    [InlineData("**/tmp", "tmp", true, true)]
    [InlineData("**/tmp", "a/b/tmp", false, true)]
    [InlineData("**/tmp", "a/tmpx", false, false)]
    [InlineData("a/**/b", "a/b", false, true)]
    [InlineData("a/**/b", "a/x/y/b", false, true)]
    [InlineData("a/**/b", "c/a/x/b", false, false)]
    [InlineData("logs/**", "logs/a/b.txt", false, true)]
    [InlineData("logs/**", "logs", true, false)]
    [InlineData("doc/*.txt", "doc/x.txt", false, true)]
    [InlineData("doc/*.txt", "doc/sub/x.txt", false, false)]
    [InlineData("file?.txt", "file1.txt", false, true)]
    [InlineData("file?.txt", "file10.txt", false, false)]
    [InlineData("[abc].md", "b.md", false, true)]
    [InlineData("[!abc].md", "b.md", false, false)]
    [InlineData("[!abc].md", "d.md", false, true)]
    [InlineData("name with space", "x/name with space", false, true)]
    [InlineData("*.LOG", "app.log", false, false)]
    [InlineData("[a-c].md", "b.md", false, true)]
    [InlineData("[a-c].md", "d.md", false, false)]
    [InlineData("[]a].md", "].md", false, true)]
    [InlineData("[!]].md", "].md", false, false)]
    [InlineData("[!]].md", "a.md", false, true)]
    [InlineData("[a-].md", "-.md", false, true)]
    [InlineData("[\\]].md", "].md", false, true)]
    [InlineData("[\\].md", "\\.md", false, false)]
    [InlineData("[[].md", "[.md", false, true)]
    [InlineData("[^a].md", "^.md", false, true)]
    [InlineData("a[!x]b", "a/b", false, false)]
    [InlineData("*.log", "a.log\n", false, false)]
    [InlineData("*.log", "a.log\nx.log", false, true)]
    [InlineData("a[!x]b", "ayb", false, true)]
    [InlineData("a[/]b", "a/b", false, false)]
    [InlineData("a[-/]b", "a-b", false, true)]
    [InlineData("a[-/]b", "a/b", false, false)]
    [InlineData("[a\\-].md", "-.md", false, true)]
    public void Single_patterns_match_like_gitignore(string pattern, string path, bool isDirectory, bool excluded) =>
        new ExcludeMatcher([pattern]).IsExcluded(path, isDirectory).Should().Be(excluded);

    [Theory]
    [InlineData("[", "[")]
    [InlineData("foo[", "foo[")]
    [InlineData("*.log[", "app.log[")]
    [InlineData("data/[", "data/[")]
    [InlineData("[!]", "[!]")]
    [InlineData("[^]x", "[^]x")]
    [InlineData("[]", "[]")]
    [InlineData("[z-a", "[z-a")]
    public void A_bracket_that_opens_no_complete_set_is_a_literal(string pattern, string path)
    {
        var matcher = new ExcludeMatcher([pattern]);

        matcher.IsExcluded(path, false).Should().BeTrue();
        matcher.IsExcluded("other", false).Should().BeFalse();
    }

    [Theory]
    [InlineData("[z-a]", "Exclude pattern '[z-a]' is not valid: the range z-a is reversed; write [a-z].")]
    [InlineData("log[!0z-a].txt", "Exclude pattern 'log[!0z-a].txt' is not valid: the range z-a is reversed; write [!0a-z].")]
    public void A_set_with_a_reversed_range_is_refused_naming_the_pattern_and_the_fix(string pattern, string message) =>
        new Func<ExcludeMatcher>(() => new ExcludeMatcher(["*.tmp", pattern])).Should().Throw<ArgumentException>().Which.Message.Should().Be(message);

    [Fact]
    public void The_last_matching_pattern_wins_so_negation_re_includes()
    {
        var matcher = new ExcludeMatcher(["*.log", "!keep.log"]);
        matcher.IsExcluded("a.log", false).Should().BeTrue();
        matcher.IsExcluded("keep.log", false).Should().BeFalse();
        matcher.IsExcluded("sub/keep.log", false).Should().BeFalse();

        var reversed = new ExcludeMatcher(["!keep.log", "*.log"]);
        reversed.IsExcluded("keep.log", false).Should().BeTrue();
    }

    [Fact]
    public void Comments_blank_lines_and_escapes_are_handled()
    {
        var matcher = new ExcludeMatcher(["# comment", "", "   ", "\\#hash", "\\!bang", "trailing   "]);
        matcher.IsExcluded("# comment", false).Should().BeFalse();
        matcher.IsExcluded("#hash", false).Should().BeTrue();
        matcher.IsExcluded("!bang", false).Should().BeTrue();
        matcher.IsExcluded("trailing", false).Should().BeTrue();
        new ExcludeMatcher([]).IsEmpty.Should().BeTrue();
    }

    [Fact]
    public void Regex_characters_in_patterns_are_literal()
    {
        var matcher = new ExcludeMatcher(["a+b(1).txt", "x.y"]);
        matcher.IsExcluded("a+b(1).txt", false).Should().BeTrue();
        matcher.IsExcluded("aab(1).txt", false).Should().BeFalse();
        matcher.IsExcluded("xzy", false).Should().BeFalse();
    }

    [Fact]
    public async Task A_file_name_chosen_to_make_a_pattern_backtrack_is_matched_in_linear_time()
    {
        // Any user who can name a file below a backup root chooses what the patterns are matched against: with a
        // backtracking matcher, "*.*.*.*.*.*.bak" against 200 dots took longer than the age of the universe, and the
        // backup hung in the match. A guard, not a timing: the match is microseconds once linear.
        var matcher = new ExcludeMatcher(["*.*.*.*.*.*.bak", "a/**/**/**/**/**/z"]);
        var name = new string('.', 200) + "x";
        var path = string.Join('/', Enumerable.Repeat("a", 120)) + "/y";

        var excluded = await Task.Run(() => matcher.IsExcluded(name, false) || matcher.IsExcluded(path, false)).WaitAsync(TimeSpan.FromSeconds(30));

        excluded.Should().BeFalse();
        matcher.IsExcluded(new string('.', 200) + "x.bak", false).Should().BeTrue();
    }
}
