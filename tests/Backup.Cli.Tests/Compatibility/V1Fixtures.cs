using System.Text.Json;

namespace Backup.Cli.Tests.Compatibility;

/// <summary>
/// The repositories release 1.0.0 wrote (tests/Compatibility/v1.0.0, made by make-v1-repositories.sh with the 1.0.0
/// tool) and what they must give back. Tests work on copies: the checked-in ones are never written.
/// </summary>
internal static class V1Fixtures
{
    /// <summary>The test password the fixtures were written with (they hold only generated files).</summary>
    public const string Password = "compat-v1-test-password";

    /// <summary>The absolute path the file snapshots were taken of, as they record it.</summary>
    public const string SourcePath = "/tmp/backup-compat-v1/source";

    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "Compatibility", "v1.0.0");

    public static string PathOf(string name) => Path.Combine(Directory, name);

    /// <summary>Copies the fixture repository <paramref name="name"/> to the runner's repository and sets the password.</summary>
    public static void CopyInto(CliRunner cli, string name)
    {
        var source = PathOf(name);
        System.IO.Directory.Exists(Path.Combine(source, "keys")).Should().BeTrue($"the fixture repository '{name}' is copied beside the tests from tests/Compatibility/v1.0.0");
        foreach (var file in System.IO.Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(cli.Repository, Path.GetRelativePath(source, file));
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }

        cli.Environment["BACKUP_PASSWORD"] = Password;
    }

    /// <summary>The snapshots as the 1.0.0 tool listed them ('snapshots --json') right after writing them.</summary>
    public static IReadOnlyList<JsonElement> ExpectedSnapshots(string repository) =>
        JsonDocument.Parse(File.ReadAllText(PathOf($"snapshots-{repository}.json"))).RootElement.EnumerateArray().ToList();

    /// <summary>The ID of the expected snapshot of <paramref name="repository"/> that carries <paramref name="tag"/> and was the <paramref name="nth"/> such (from 0).</summary>
    public static JsonElement ExpectedSnapshot(string repository, string tag, int nth = 0) =>
        ExpectedSnapshots(repository).Where(s => s.GetProperty("tags").EnumerateArray().Any(t => t.GetString() == tag)).ElementAt(nth);

    public static string Id(this JsonElement snapshot) => snapshot.GetProperty("id").GetString()!;

    public static string FirstPath(this JsonElement snapshot) => snapshot.GetProperty("paths")[0].GetString()!;
}
