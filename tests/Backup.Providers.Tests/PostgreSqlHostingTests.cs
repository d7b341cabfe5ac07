using Backup.Core.Crypto;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Storage;
using Backup.Extensions.DependencyInjection;
using Backup.Providers.PostgreSql;
using Backup.Providers.Tests.Servers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;
using Backup.Core;

namespace Backup.Providers.Tests;

/// <summary>
/// A hosted job (<c>services.AddBackup</c>) backing up a PostgreSQL source configured under <c>Backup:Sources</c> (engine
/// registered with <c>AddDatabaseEngine(new PostgreSqlEngine())</c>) from an appsettings-shaped configuration, run once
/// through <see cref="IBackupJobRunner"/> against the fixture's real server.
/// </summary>
public sealed class PostgreSqlHostingTests(PostgresFixture fixture, ITestOutputHelper output) : IClassFixture<PostgresFixture>, IDisposable
{
    private const string JobName = "orders-nightly";
    private const string SourceName = "orders-db";
    private const string RepositoryPassword = "repo-Test-p4ss 9c1e";

    // Unique per test instance: environment variables are process-wide and other classes run in parallel.
    private readonly string _repositoryPasswordVariable = $"BACKUP_TEST_REPO_PASSWORD_{Guid.NewGuid():N}";
    private readonly string _databasePasswordVariable = $"BACKUP_TEST_PG_PASSWORD_{Guid.NewGuid():N}";
    private readonly string _repositoryDirectory = Path.Combine(Path.GetTempPath(), $"pg-hosting-repo-{Guid.NewGuid():N}");

    [SkippableFact]
    public async Task A_hosted_job_backs_up_the_configured_database_and_the_snapshot_restores_with_the_same_rows()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("hosted");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, """
            CREATE TABLE orders (id int PRIMARY KEY, customer text NOT NULL, total numeric(12, 2), placed_at timestamptz);
            INSERT INTO orders SELECT g, 'customer ' || (g % 37), g * 1.25, '2025-01-01 00:00:00+00'::timestamptz + g * interval '1 hour'
            FROM generate_series(1, 1200) g;
            CREATE SCHEMA billing;
            CREATE TABLE billing.invoices (id int PRIMARY KEY, order_id int REFERENCES public.orders(id), paid boolean);
            INSERT INTO billing.invoices SELECT g, g, g % 3 = 0 FROM generate_series(1, 300) g;
            """);
        var before = await MeasureAsync(server, database);
        Environment.SetEnvironmentVariable(_repositoryPasswordVariable, RepositoryPassword);
        Environment.SetEnvironmentVariable(_databasePasswordVariable, PostgresServer.Password);
        var logs = new LogCapture();

        BackupJobResult result;
        await using (var services = Build(server, database, logs))
        {
            var runner = services.GetRequiredService<IBackupJobRunner>();
            runner.JobNames.Should().Equal(JobName);
            result = await runner.RunAsync(JobName);
        }

        output.WriteLine($"{result.Outcome} in {result.Duration.TotalMilliseconds:F0} ms: {result.Error}");
        result.Error.Should().BeNull();
        result.Outcome.Should().Be(BackupJobOutcome.Succeeded);
        result.Snapshot.Should().NotBeNull();
        logs.Messages.Should().NotContain(m => m.Contains(PostgresServer.Password, StringComparison.Ordinal) || m.Contains(RepositoryPassword, StringComparison.Ordinal));

        // Opened afresh from disk with the repository password: the snapshot was really written there.
        await using var repository = await BackupRepository.OpenAsync(new LocalDirectoryTarget(_repositoryDirectory), RepositoryCredentials.FromPassword(RepositoryPassword));
        var snapshots = await SnapshotsAsync(repository);
        var snapshot = snapshots.Should().ContainSingle().Which;
        snapshot.Id.Should().Be(result.Snapshot!.Id);
        snapshot.Partial.Should().BeFalse();
        snapshot.SourceKind.Should().Be(PostgreSqlSource.KindName);
        snapshot.Metadata.Should().Contain("backup.job", JobName);
        snapshot.Tags.Should().Contain($"job:{JobName}").And.Contain("prod");
        PostgreSqlRestorer.DatabasesOf(snapshot).Should().Equal(database);
        snapshot.Metadata.Should().ContainKey("postgresql.server_version");

        var recorded = ChecksumMetadata.Read(snapshot.Metadata, PostgreSqlSource.KindName, database);
        recorded.Should().NotBeNull("RecordChecksums defaults to true for a configured source");
        recorded.Should().Contain(t => t.Table == "public.orders" && t.Rows == 1200)
            .And.Contain(t => t.Table == "billing.invoices" && t.Rows == 300);
        ChecksumMetadata.Compare(database, recorded!, before).Should().BeEmpty("the recorded checksums are the database's at backup time");

        var target = fixture.NewDatabaseName("hosted_restored");
        await new PostgreSqlRestorer(repository).RestoreAsync(snapshot, new PostgreSqlRestoreOptions
        {
            ConnectionString = server.ConnectionString(target),
            Password = PostgresServer.Password,
        });

        ChecksumMetadata.Compare(database, recorded!, await MeasureAsync(server, target)).Should().BeEmpty();
        (await server.ScalarAsync(target, "SELECT count(*) FROM orders")).Should().Be(1200L);
        (await server.ScalarAsync(target, "SELECT sum(total) FROM orders")).Should().Be(await server.ScalarAsync(database, "SELECT sum(total) FROM orders"));
        (await server.ScalarAsync(target, "SELECT count(*) FROM billing.invoices WHERE paid")).Should().Be(100L);
    }

    [SkippableTheory]
    [InlineData(false, "is not set")]
    [InlineData(true, "password authentication failed")]
    public async Task A_missing_or_wrong_database_password_fails_the_run_with_its_cause_and_writes_no_snapshot(bool setWrongPassword, string cause)
    {
        var server = fixture.Require();
        const string wrong = "Wrong-Db-Secret-5150";
        Environment.SetEnvironmentVariable(_repositoryPasswordVariable, RepositoryPassword);
        Environment.SetEnvironmentVariable(_databasePasswordVariable, setWrongPassword ? wrong : null);
        var logs = new LogCapture();
        await using var services = Build(server, "postgres", logs);
        var runner = services.GetRequiredService<IBackupJobRunner>();

        var run = () => runner.RunAsync(JobName);

        var result = (await run.Should().NotThrowAsync()).Which;
        output.WriteLine($"{result.Outcome}: {result.Error?.GetType().Name}: {result.Error?.Message}");
        result.Outcome.Should().Be(BackupJobOutcome.Failed);
        result.Snapshot.Should().BeNull();
        result.Error.Should().NotBeNull();
        result.Error!.Message.Should().Contain(cause).And.NotContain(wrong).And.NotContain(PostgresServer.Password);
        if (!setWrongPassword)
        {
            result.Error.Message.Should().Contain(_databasePasswordVariable, "the message names the variable that was looked for");
        }

        logs.Messages.Should().Contain(m => m.Contains(cause, StringComparison.Ordinal), "the failure is logged")
            .And.NotContain(m => m.Contains(wrong, StringComparison.Ordinal) || m.Contains(RepositoryPassword, StringComparison.Ordinal));
        var repository = await services.GetRequiredService<IBackupRepositoryProvider>().GetAsync("main");
        (await SnapshotsAsync(repository)).Should().BeEmpty();
        File.Exists(Path.Combine(_repositoryDirectory, RepositoryLayout.Config)).Should().BeTrue("the repository was created before the source failed");
        var snapshotFiles = Path.Combine(_repositoryDirectory, RepositoryLayout.SnapshotsPrefix);
        (Directory.Exists(snapshotFiles) ? Directory.EnumerateFiles(snapshotFiles, "*", SearchOption.AllDirectories) : []).Should().BeEmpty();
    }

    [SkippableFact]
    public async Task A_database_source_added_in_code_backs_up_driver_only_and_its_restore_drill_drops_the_scratch_database()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("drilled");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL); INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 500) g;");
        Environment.SetEnvironmentVariable(_repositoryPasswordVariable, RepositoryPassword);
        Environment.SetEnvironmentVariable(_databasePasswordVariable, PostgresServer.Password);
        var logs = new LogCapture();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.AddBackup(backup => backup
            .AddRepository("main", r =>
            {
                r.Path = _repositoryDirectory;
                r.CreateIfMissing = true;
                r.PasswordEnvironmentVariable = _repositoryPasswordVariable;
            })
            .AddDatabaseSource(SourceName, new PostgreSqlEngine(), source =>
            {
                source.ConnectionString = server.ConnectionString(database);
                source.PasswordEnvironmentVariable = _databasePasswordVariable;
                source.DriverOnly = true;
            })
            .AddJob(JobName, job =>
            {
                job.Repository = "main";
                job.Source = SourceName;
                job.Verification = new BackupVerificationOptions { Check = false, RestoreDrill = true, ScratchConnectionString = server.ConnectionString(), ScratchPasswordEnvironmentVariable = _databasePasswordVariable };
            }));

        BackupJobResult result;
        await using (var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }))
        {
            result = await provider.GetRequiredService<IBackupJobRunner>().RunAsync(JobName);
        }

        output.WriteLine($"{result.Outcome}: {result.Error?.Message}; verification: {result.Verification?.Message}");
        result.Error.Should().BeNull();
        result.Outcome.Should().Be(BackupJobOutcome.Succeeded);
        result.Snapshot!.Metadata.Should().Contain("postgresql.method", "driver", "DriverOnly reaches the engine");
        result.Verification!.Succeeded.Should().BeTrue();
        result.Verification.Message.Should().Contain("PostgreSQL restore drill").And.Contain("passed");
        result.Verification.RestoreDuration.Should().NotBeNull();
        (await server.ScalarAsync("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'backup_verify%'")).Should().Be(0L, "the scratch database is dropped");
        logs.Messages.Should().NotContain(m => m.Contains(PostgresServer.Password, StringComparison.Ordinal) || m.Contains(RepositoryPassword, StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task A_restore_drill_whose_scratch_server_is_down_fails_the_verification_naming_the_server_not_the_snapshot()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("drilled_down");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, "CREATE TABLE items (id int PRIMARY KEY); INSERT INTO items SELECT generate_series(1, 10);");
        Environment.SetEnvironmentVariable(_repositoryPasswordVariable, RepositoryPassword);
        Environment.SetEnvironmentVariable(_databasePasswordVariable, PostgresServer.Password);
        var port = ServerProcess.FreePort();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddBackup(backup => backup
            .AddRepository("main", r =>
            {
                r.Path = _repositoryDirectory;
                r.CreateIfMissing = true;
                r.PasswordEnvironmentVariable = _repositoryPasswordVariable;
            })
            .AddDatabaseSource(SourceName, new PostgreSqlEngine(), source =>
            {
                source.ConnectionString = server.ConnectionString(database);
                source.PasswordEnvironmentVariable = _databasePasswordVariable;
            })
            .AddJob(JobName, job =>
            {
                job.Repository = "main";
                job.Source = SourceName;
                job.Verification = new BackupVerificationOptions { Check = false, RestoreDrill = true, ScratchConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres", ScratchPasswordEnvironmentVariable = _databasePasswordVariable };
            }));

        BackupJobResult result;
        await using (var provider = services.BuildServiceProvider())
        {
            result = await provider.GetRequiredService<IBackupJobRunner>().RunAsync(JobName);
        }

        output.WriteLine($"{result.Outcome}: {result.Error?.Message}; verification: {result.Verification?.Message}");
        result.Outcome.Should().Be(BackupJobOutcome.Succeeded, "the backup itself was made");
        result.Verification!.Succeeded.Should().BeFalse();
        result.Verification.Message.Should().Contain($"cannot reach the PostgreSQL server at 127.0.0.1:{port}")
            .And.NotContain("could not be compared").And.NotContain("drop it by hand");
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(_repositoryPasswordVariable, null);
        Environment.SetEnvironmentVariable(_databasePasswordVariable, null);
        try
        {
            Directory.Delete(_repositoryDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>A container as an application builds it: appsettings-shaped configuration, no password inline anywhere.</summary>
    private ServiceProvider Build(PostgresServer server, string database, LogCapture logs)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Backup:Repositories:main:Path"] = _repositoryDirectory,
            ["Backup:Repositories:main:CreateIfMissing"] = "true",
            ["Backup:Repositories:main:Compression"] = "zstd:1",
            ["Backup:Repositories:main:PasswordEnvironmentVariable"] = _repositoryPasswordVariable,
            ["Backup:Jobs:" + JobName + ":Repository"] = "main",
            ["Backup:Jobs:" + JobName + ":Source"] = SourceName,
            ["Backup:Jobs:" + JobName + ":Tags:0"] = "prod",
            ["Backup:Sources:" + SourceName + ":Engine"] = "postgres",
            ["Backup:Sources:" + SourceName + ":ConnectionString"] = server.ConnectionString(database) + ";Timeout=15",
            ["Backup:Sources:" + SourceName + ":PasswordEnvironmentVariable"] = _databasePasswordVariable,
        }).Build();
        configuration["Backup:Sources:" + SourceName + ":ConnectionString"].Should().NotContainEquivalentOf("password");

        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.AddBackup(backup => backup
            .BindConfiguration(configuration.GetSection("Backup"))
            .AddDatabaseEngine(new PostgreSqlEngine()));
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    private static async Task<List<TableChecksum>> MeasureAsync(PostgresServer server, string database)
    {
        await using var connection = await server.OpenAsync(database);
        return await CopyChecksums.MeasureAsync(connection, CancellationToken.None); // the parallel method (the default) takes its checksums from COPY streams
    }

    private static async Task<List<Snapshot>> SnapshotsAsync(BackupRepository repository)
    {
        var snapshots = new List<Snapshot>();
        await foreach (var snapshot in repository.Snapshots.ListAsync())
        {
            snapshots.Add(snapshot);
        }

        return snapshots;
    }
}
