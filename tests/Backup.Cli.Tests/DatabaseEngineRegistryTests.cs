namespace Backup.Cli.Tests;

/// <summary>The CLI finds database engines in one registry of descriptors (DatabaseEngines); its options and messages come from there.</summary>
public sealed class DatabaseEngineRegistryTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task The_commands_offer_one_option_per_registered_engine()
    {
        var create = await _cli.RunAsync("create", "--help");
        var restore = await _cli.RunAsync("restore", "--help");

        foreach (var (name, value) in new[] { ("postgres", "CONNSTRING"), ("mysql", "CONNSTRING"), ("sqlite", "FILE") })
        {
            create.Stdout.Should().Contain($"--{name} <{value}>");
            restore.Stdout.Should().Contain($"--to-{name} <{value}>");
        }

        create.Stdout.Should().Contain("$BACKUP_DB_PASSWORD or $PGPASSWORD").And.Contain("$BACKUP_DB_PASSWORD or $MYSQL_PWD");
    }

    [Fact]
    public async Task Usage_errors_name_the_engines_from_the_registry()
    {
        await _cli.InitAsync();

        var two = await _cli.RunAsync("create", "--postgres", "Host=h;Database=d", "--sqlite", "x.db");
        var nothing = await _cli.RunAsync("create");
        var allWithoutDatabase = await _cli.RunAsync("create", ".", "--all-databases");
        var sqliteAll = await _cli.RunAsync("create", "--sqlite", _cli.PathOf("x.db"), "--all-databases");
        var noTarget = await _cli.RunAsync("restore", "latest");

        two.Stderr.Should().Contain("Give one of --postgres, --mysql and --sqlite.");
        nothing.Stderr.Should().Contain("give one or more paths, --stdin, --postgres, --mysql or --sqlite.");
        allWithoutDatabase.Stderr.Should().Contain("--all-databases, --driver-only and --db-password-file need --postgres or --mysql.");
        sqliteAll.Stderr.Should().Contain("--all-databases and --driver-only apply to --postgres and --mysql only.");
        noTarget.Stderr.Should().Contain("Give one of --target DIR, --to-postgres CONNSTRING, --to-mysql CONNSTRING and --to-sqlite FILE.");
        foreach (var result in new[] { two, nothing, allWithoutDatabase, sqliteAll, noTarget })
        {
            result.ExitCode.Should().Be(2, result.Stderr);
        }
    }
}
