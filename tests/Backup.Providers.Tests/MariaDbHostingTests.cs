using Backup.Core;
using Backup.Core.Crypto;
using Backup.Core.Storage;
using Backup.Extensions.DependencyInjection;
using Backup.Providers.MySql;
using Backup.Providers.Tests.Servers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Backup.Providers.Tests;

/// <summary>
/// A host configured purely from in-memory configuration (<c>Backup:Sources</c>, <c>Backup:Jobs</c>) with only the engine
/// registered in code backs up a real MariaDB database into a local repository and proves the snapshot with a restore
/// drill into a scratch database that is dropped afterwards. Here rather than in Backup.Extensions.Tests because
/// the server fixtures and every provider already are, and the hosting tests stay free of database drivers.
/// </summary>
public sealed class MariaDbHostingTests(MariaDbFixture fixture, ITestOutputHelper output) : IClassFixture<MariaDbFixture>, IDisposable
{
    private const string JobName = "shop";
    private const string RepositoryPassword = "repo-Test-p4ss 7a2d";
    private readonly string _directory = Directory.CreateTempSubdirectory("mariadb-hosting-").FullName;
    private readonly string _repositoryPasswordVariable = $"BACKUP_TEST_REPO_PASSWORD_{Guid.NewGuid():N}";
    private readonly string _scratchPasswordVariable = $"BACKUP_TEST_SCRATCH_PASSWORD_{Guid.NewGuid():N}";

    [SkippableFact]
    public async Task A_host_configured_from_configuration_backs_up_a_MariaDB_database_and_drills_it_in_a_scratch_database_it_drops()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("shop");
        await server.ExecuteAsync(null, $"CREATE DATABASE `{database}`");
        await server.ExecuteAsync(database, """
            CREATE TABLE orders (id INT PRIMARY KEY, customer VARCHAR(64) NOT NULL, total DECIMAL(12,2));
            INSERT INTO orders SELECT seq, CONCAT('customer ', seq % 37), seq * 1.25 FROM seq_1_to_1500;
            CREATE TABLE notes (id INT PRIMARY KEY, body TEXT);
            INSERT INTO notes SELECT seq, REPEAT('n', seq % 200) FROM seq_1_to_300;
            """);

        // The database password from a file (a mounted secret, with its trailing newline); the scratch server's from a variable.
        var passwordFile = Path.Combine(_directory, "db-password");
        await File.WriteAllTextAsync(passwordFile, MariaDbServer.Password + "\n");
        Environment.SetEnvironmentVariable(_repositoryPasswordVariable, RepositoryPassword);
        Environment.SetEnvironmentVariable(_scratchPasswordVariable, MariaDbServer.Password);
        var repositoryDirectory = Path.Combine(_directory, "repository");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Backup:Repositories:main:Path"] = repositoryDirectory,
            ["Backup:Repositories:main:CreateIfMissing"] = "true",
            ["Backup:Repositories:main:PasswordEnvironmentVariable"] = _repositoryPasswordVariable,
            ["Backup:Sources:shop-db:Engine"] = "mysql",
            ["Backup:Sources:shop-db:ConnectionString"] = server.ConnectionString(database),
            ["Backup:Sources:shop-db:PasswordFile"] = passwordFile,
            ["Backup:Jobs:shop:Repository"] = "main",
            ["Backup:Jobs:shop:Source"] = "shop-db",
            ["Backup:Jobs:shop:Verification:Check"] = "true",
            ["Backup:Jobs:shop:Verification:RestoreDrill"] = "true",
            ["Backup:Jobs:shop:Verification:ScratchConnectionString"] = server.ConnectionString(),
            ["Backup:Jobs:shop:Verification:ScratchPasswordEnvironmentVariable"] = _scratchPasswordVariable,
        }).Build();
        var logs = new LogCapture();

        BackupJobResult result;
        BackupJobState state;
        await using (var services = HostedDatabase.Build(configuration, logs, b => b.AddDatabaseEngine(new MySqlEngine())))
        {
            result = await services.GetRequiredService<IBackupJobRunner>().RunAsync(JobName);
            state = services.GetRequiredService<IBackupJobStateStore>().GetState(JobName);
        }

        output.WriteLine($"{result.Outcome}: {result.Error?.Message}; verification: {result.Verification?.Message}");
        result.Error.Should().BeNull();
        result.Outcome.Should().Be(BackupJobOutcome.Succeeded);
        result.Verification.Should().NotBeNull();
        result.Verification!.Succeeded.Should().BeTrue();
        result.Verification.Message.Should().Contain("check passed").And.Contain("MariaDB/MySQL restore drill").And.Contain("passed").And.Contain("verified 2 tables");
        result.Verification.RestoreDuration.Should().NotBeNull().And.BeGreaterThan(TimeSpan.Zero);
        state.LastVerificationSucceeded.Should().BeTrue();
        state.LastRestoreDuration.Should().Be(result.Verification.RestoreDuration, "the drill's restore time is the job's measured RTO");
        (await server.ScalarAsync(null, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'backup_verify%'")).Should().Be(0L, "the scratch database is dropped");
        logs.Messages.Should().NotContain(m => m.Contains(MariaDbServer.Password, StringComparison.Ordinal) || m.Contains(RepositoryPassword, StringComparison.Ordinal));

        await using var repository = await BackupRepository.OpenAsync(new LocalDirectoryTarget(repositoryDirectory), RepositoryCredentials.FromPassword(RepositoryPassword));
        var snapshot = (await HostedDatabase.SnapshotsAsync(repository)).Should().ContainSingle().Which;
        snapshot.SourceKind.Should().Be(MySqlSource.KindName);
        MySqlRestorer.DatabasesOf(snapshot).Should().Equal(database);
        ChecksumMetadata.Read(snapshot.Metadata, MySqlSource.KindName, database).Should().Contain(t => t.Table == "orders" && t.Rows == 1500);
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(_repositoryPasswordVariable, null);
        Environment.SetEnvironmentVariable(_scratchPasswordVariable, null);
        Directory.Delete(_directory, recursive: true);
    }
}
