using Backup.Extensions.DependencyInjection;
using Backup.Providers.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Backup.Providers.Tests;

/// <summary>
/// A host configured purely from in-memory configuration backs up a SQLite file (a configured source, engine registered
/// in code) and drills it in a scratch file under ScratchDirectory that is gone afterwards.
/// </summary>
public sealed class SqliteHostingTests(ITestOutputHelper output) : IDisposable
{
    private const string RepositoryPassword = "repo-Test-p4ss 5e0c";
    private readonly string _directory = Directory.CreateTempSubdirectory("sqlite-hosting-").FullName;
    private readonly string _repositoryPasswordVariable = $"BACKUP_TEST_REPO_PASSWORD_{Guid.NewGuid():N}";

    [Fact]
    public async Task A_host_configured_from_configuration_backs_up_a_SQLite_file_and_drills_it_in_a_scratch_file_it_deletes()
    {
        var file = Path.Combine(_directory, "app.db");
        using (var connection = new SqliteConnection($"Data Source={file};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                PRAGMA journal_mode = WAL;
                CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL);
                WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 2000)
                INSERT INTO items(name, price) SELECT 'item ' || x, x / 3.0 FROM g;
                """;
            command.ExecuteNonQuery();
        }

        var scratch = Directory.CreateDirectory(Path.Combine(_directory, "scratch")).FullName;
        Environment.SetEnvironmentVariable(_repositoryPasswordVariable, RepositoryPassword);
        var repositoryDirectory = Path.Combine(_directory, "repository");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Backup:Repositories:main:Path"] = repositoryDirectory,
            ["Backup:Repositories:main:CreateIfMissing"] = "true",
            ["Backup:Repositories:main:PasswordEnvironmentVariable"] = _repositoryPasswordVariable,
            ["Backup:Sources:app-db:Engine"] = "sqlite",
            ["Backup:Sources:app-db:File"] = file,
            ["Backup:Jobs:app:Repository"] = "main",
            ["Backup:Jobs:app:Source"] = "app-db",
            ["Backup:Jobs:app:Verification:Check"] = "false",
            ["Backup:Jobs:app:Verification:RestoreDrill"] = "true",
            ["Backup:Jobs:app:Verification:ScratchDirectory"] = scratch,
        }).Build();

        BackupJobResult result;
        await using (var services = HostedDatabase.Build(configuration, new LogCapture(), b => b.AddDatabaseEngine(new SqliteEngine())))
        {
            result = await services.GetRequiredService<IBackupJobRunner>().RunAsync("app");
        }

        output.WriteLine($"{result.Outcome}: {result.Error?.Message}; verification: {result.Verification?.Message}");
        result.Error.Should().BeNull();
        result.Outcome.Should().Be(BackupJobOutcome.Succeeded);
        result.Snapshot!.SourceKind.Should().Be(SqliteSource.KindName);
        result.Verification!.Succeeded.Should().BeTrue();
        result.Verification.Message.Should().Contain("SQLite restore drill").And.Contain("passed").And.Contain("verified 1 table of");
        result.Verification.RestoreDuration.Should().NotBeNull();
        Directory.EnumerateFileSystemEntries(scratch).Should().BeEmpty("the scratch file is deleted after the drill");
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(_repositoryPasswordVariable, null);
        Directory.Delete(_directory, recursive: true);
    }
}
