using System.Collections.Concurrent;
using Backup.Core;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Extensions.DependencyInjection;
using Backup.Providers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Backup.Extensions.Tests;

/// <summary>
/// Database sources from configuration (<c>Backup:Sources</c>) against a recording engine: start-up validation that
/// names the setting, the password read for each run, and the engine's drill as a database job's restore drill. The
/// real engines against real servers are in Backup.Providers.Tests (MariaDbHostingTests, SqliteHostingTests,
/// PostgreSqlHostingTests).
/// </summary>
public sealed class DatabaseSourceTests : IDisposable
{
    private const string Job = "shop";
    private readonly string _directory = Directory.CreateTempSubdirectory("db-source-tests-").FullName;
    private readonly string _passwordVariable = $"BACKUP_TEST_DB_PASSWORD_{Guid.NewGuid():N}";

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(_passwordVariable, null);
        Directory.Delete(_directory, recursive: true);
    }

    [Theory]
    [InlineData("Backup:Sources:shop-db:Engine", "oracle", "Backup:Sources:shop-db:Engine: 'oracle' is not a registered database engine (registered: fakelite, fakesql). Engines are registered in code, e.g. AddDatabaseEngine(new MySqlEngine()) from package Backup.Providers.MySql.")]
    [InlineData("Backup:Sources:shop-db:Engine", "postgres", "Backup:Sources:shop-db:Engine: 'postgres' is not a registered database engine (registered: fakelite, fakesql). Engines are registered in code, e.g. AddDatabaseEngine(new PostgreSqlEngine()) from package Backup.Providers.PostgreSql.")]
    [InlineData("Backup:Sources:shop-db:Engine", "", "Backup:Sources:shop-db:Engine: is required")]
    [InlineData("Backup:Sources:shop-db:ConnectionString", "", "Backup:Sources:shop-db:ConnectionString: is required for a FakeSQL source")]
    [InlineData("Backup:Sources:shop-db:File", "/data/app.db", "Backup:Sources:shop-db:File: does not apply to a FakeSQL source")]
    [InlineData("Backup:Sources:shop-db:PasswordEnvironmentVariable", "SHOP_DB_PASSWORD", "Backup:Sources:shop-db: set only one of PasswordFile and PasswordEnvironmentVariable.")]
    [InlineData("Backup:Sources:shop-db:ConnectionString", "Server=db;Password=hunter2;Malformed", "Backup:Sources:shop-db:ConnectionString: The connection string is malformed.")]
    [InlineData("Backup:Jobs:shop:Source", "orders-db", "Backup:Jobs:shop:Source: 'orders-db' is not a configured source (known: shop-db)")]
    [InlineData("Backup:Jobs:shop:Verification:ScratchConnectionString", "", "Backup:Jobs:shop:Verification:ScratchConnectionString: is required for a restore drill of the FakeSQL source 'shop-db'")]
    [InlineData("Backup:Jobs:shop:Verification:ScratchConnectionString", "Server=scratch;Password=hunter2;Malformed", "Backup:Jobs:shop:Verification:ScratchConnectionString: is not a valid FakeSQL connection string (FormatException).")]
    [InlineData("Backup:Jobs:shop:Verification:ScratchPasswordEnvironmentVariable", "SCRATCH_PASSWORD", "Backup:Jobs:shop:Verification: set only one of ScratchPasswordFile and ScratchPasswordEnvironmentVariable.")]
    public void A_bad_database_setting_fails_validation_naming_the_setting(string key, string value, string expected)
    {
        var settings = ServerSource();
        settings[key] = value;
        using var provider = Build(settings);

        var resolve = () => provider.GetRequiredService<IOptions<BackupHostingOptions>>().Value;

        var message = resolve.Should().Throw<OptionsValidationException>().Which.Message;
        message.Should().Contain(expected).And.NotContain("hunter2", "a connection string is never quoted");
    }

    [Theory]
    [InlineData("Backup:Sources:app-db:File", "", "Backup:Sources:app-db:File: is required for a FakeLite source")]
    [InlineData("Backup:Sources:app-db:PasswordFile", "/run/secrets/x", "Backup:Sources:app-db:PasswordFile: does not apply to a FakeLite source")]
    [InlineData("Backup:Sources:app-db:DriverOnly", "true", "Backup:Sources:app-db:DriverOnly: does not apply to a FakeLite source")]
    [InlineData("Backup:Sources:app-db:AllDatabases", "true", "Backup:Sources:app-db:AllDatabases: does not apply to a FakeLite source")]
    [InlineData("Backup:Jobs:app:Verification:ScratchConnectionString", "Server=db", "Backup:Jobs:app:Verification:ScratchConnectionString: does not apply to a FakeLite source")]
    public void A_bad_file_database_setting_fails_validation_naming_the_setting(string key, string value, string expected)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Backup:Sources:app-db:Engine"] = "fakelite",
            ["Backup:Sources:app-db:File"] = "/data/app.db",
            ["Backup:Jobs:app:Repository"] = "main",
            ["Backup:Jobs:app:Source"] = "app-db",
            ["Backup:Jobs:app:Verification:RestoreDrill"] = "true",
            [key] = value,
        };
        using var provider = Build(settings);

        var resolve = () => provider.GetRequiredService<IOptions<BackupHostingOptions>>().Value;

        resolve.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain(expected);
    }

    [Fact]
    public void A_configured_source_with_the_name_of_a_code_source_fails_validation()
    {
        using var provider = Build(ServerSource(), b => b.AddSource("shop-db", _ => TestSupport.Export("x", 1)));

        var resolve = () => provider.GetRequiredService<IOptions<BackupHostingOptions>>().Value;

        resolve.Should().Throw<OptionsValidationException>().WithMessage("*Backup:Sources:shop-db: a source called 'shop-db' is also added in code with AddSource*");
    }

    [Fact]
    public async Task Each_run_reads_the_password_file_again_and_the_engine_gets_the_configured_settings()
    {
        var engine = new RecordingEngine("fakesql", "FakeSQL", DatabaseLocation.ConnectionString);
        var passwordFile = Path.Combine(_directory, "db-password");
        await File.WriteAllTextAsync(passwordFile, "first-Secret\r\nsecond line is not the password\n");
        var settings = ServerSource();
        settings.Remove("Backup:Jobs:shop:Verification:RestoreDrill");
        settings.Remove("Backup:Jobs:shop:Verification:ScratchConnectionString");
        settings.Remove("Backup:Jobs:shop:Verification:ScratchPasswordFile");
        settings["Backup:Sources:shop-db:AllDatabases"] = "true";
        settings["Backup:Sources:shop-db:ClientToolsDirectory"] = "/opt/tools";
        settings["Backup:Sources:shop-db:RecordChecksums"] = "false";
        await using var provider = Build(settings, b => b.AddDatabaseEngine(engine), engines: false);
        var runner = provider.GetRequiredService<IBackupJobRunner>();

        var first = await runner.RunAsync(Job);
        await File.WriteAllTextAsync(passwordFile, "rotated-Secret\n");
        var second = await runner.RunAsync(Job);

        first.Outcome.Should().Be(BackupJobOutcome.Succeeded, first.Error?.Message);
        second.Outcome.Should().Be(BackupJobOutcome.Succeeded, second.Error?.Message);
        engine.Created.Select(s => s.Password).Should().Equal("first-Secret", "rotated-Secret");
        var created = engine.Created[0];
        created.Location.Should().Be("Server=db;User ID=backup;Database=shop");
        created.AllDatabases.Should().BeTrue();
        created.DriverOnly.Should().BeFalse();
        created.ClientToolsDirectory.Should().Be("/opt/tools");
        created.RecordChecksums.Should().BeFalse();
        created.LoggerFactory.Should().NotBeNull("the engine's source logs through the host");
        first.Snapshot!.SourceKind.Should().Be("fakesql");
    }

    [Fact]
    public async Task A_missing_password_variable_fails_the_run_naming_the_variable()
    {
        var engine = new RecordingEngine("fakesql", "FakeSQL", DatabaseLocation.ConnectionString);
        var settings = ServerSource();
        settings.Remove("Backup:Sources:shop-db:PasswordFile");
        settings["Backup:Sources:shop-db:PasswordEnvironmentVariable"] = _passwordVariable;
        await using var provider = Build(settings, b => b.AddDatabaseEngine(engine), engines: false);

        var result = await provider.GetRequiredService<IBackupJobRunner>().RunAsync(Job);

        result.Outcome.Should().Be(BackupJobOutcome.Failed);
        result.Error!.Message.Should().Contain($"FakeSQL source 'shop-db': environment variable {_passwordVariable} is not set");
        engine.Created.Should().BeEmpty();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_database_jobs_restore_drill_is_the_engines_and_records_its_outcome_and_restore_time(bool passes)
    {
        var engine = new RecordingEngine("fakesql", "FakeSQL", DatabaseLocation.ConnectionString) { DrillPasses = passes };
        await File.WriteAllTextAsync(Path.Combine(_directory, "db-password"), "db-Secret\n");
        await File.WriteAllTextAsync(Path.Combine(_directory, "scratch-password"), "scratch-Secret\n");
        var settings = ServerSource();
        settings["Backup:Jobs:shop:Verification:Check"] = "false";
        await using var provider = Build(settings, b => b.AddDatabaseEngine(engine), engines: false);

        var result = await provider.GetRequiredService<IBackupJobRunner>().RunAsync(Job);

        result.Outcome.Should().Be(BackupJobOutcome.Succeeded, result.Error?.Message);
        engine.Drills.Should().ContainSingle().Which.Should().BeEquivalentTo(new { Scratch = "Server=scratch;User ID=root", Password = "scratch-Secret", ClientToolsDirectory = (string?)null });
        result.Verification!.Succeeded.Should().Be(passes);
        result.Verification.RestoreDuration.Should().Be(TimeSpan.FromSeconds(3));
        result.Verification.Message.Should().StartWith($"FakeSQL restore drill of {result.Snapshot!.Id.ToShortString()} {(passes ? "passed" : "failed")}");
        var state = provider.GetRequiredService<IBackupJobStateStore>().GetState(Job);
        state.LastVerificationSucceeded.Should().Be(passes);
        state.LastRestoreDuration.Should().Be(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task A_source_added_in_code_with_AddDatabaseSource_runs_like_a_configured_one()
    {
        var engine = new RecordingEngine("fakelite", "FakeLite", DatabaseLocation.File);
        await using var provider = TestSupport.Build(configure: b => b
            .AddDatabaseSource("app-db", engine, s => s.File = "/data/app.db")
            .AddJob("app", j =>
            {
                j.Repository = "main";
                j.Source = "app-db";
                j.Verification = new BackupVerificationOptions { Check = false, RestoreDrill = true, ScratchDirectory = _directory };
            }));

        var result = await provider.GetRequiredService<IBackupJobRunner>().RunAsync("app");

        result.Outcome.Should().Be(BackupJobOutcome.Succeeded, result.Error?.Message);
        provider.GetRequiredService<IOptions<BackupHostingOptions>>().Value.Sources["app-db"].Engine.Should().Be("fakelite");
        engine.Created.Should().ContainSingle().Which.Location.Should().Be("/data/app.db");
        engine.Drills.Should().ContainSingle().Which.Scratch.Should().Be(_directory, "a file database is drilled in ScratchDirectory");
        result.Verification!.Succeeded.Should().BeTrue();
    }

    [Fact]
    public void A_source_bound_from_any_section_with_AddDatabaseSource_takes_the_engine_given_in_code()
    {
        var section = TestSupport.Configuration(new Dictionary<string, string?>
        {
            ["Databases:Orders:ConnectionString"] = "Server=orders;User ID=backup",
            ["Databases:Orders:PasswordEnvironmentVariable"] = "ORDERS_DB_PASSWORD",
            ["Databases:Orders:DriverOnly"] = "true",
            ["Databases:Orders:AllDatabases"] = "true",
        }).GetSection("Databases:Orders");
        using var provider = TestSupport.Build(configure: b => b.AddDatabaseSource("orders-db", new RecordingEngine("fakesql", "FakeSQL", DatabaseLocation.ConnectionString), section));

        var source = provider.GetRequiredService<IOptions<BackupHostingOptions>>().Value.Sources["orders-db"];

        source.Should().BeEquivalentTo(new BackupDatabaseSourceOptions
        {
            Engine = "fakesql",
            ConnectionString = "Server=orders;User ID=backup",
            PasswordEnvironmentVariable = "ORDERS_DB_PASSWORD",
            DriverOnly = true,
            AllDatabases = true,
        });
    }

    /// <summary>A server source "shop-db" backed up by job "shop" with a restore drill; the password from a file.</summary>
    private Dictionary<string, string?> ServerSource() => new()
    {
        ["Backup:Sources:shop-db:Engine"] = "fakesql",
        ["Backup:Sources:shop-db:ConnectionString"] = "Server=db;User ID=backup;Database=shop",
        ["Backup:Sources:shop-db:PasswordFile"] = Path.Combine(_directory, "db-password"),
        ["Backup:Jobs:shop:Repository"] = "main",
        ["Backup:Jobs:shop:Source"] = "shop-db",
        ["Backup:Jobs:shop:Verification:RestoreDrill"] = "true",
        ["Backup:Jobs:shop:Verification:ScratchConnectionString"] = "Server=scratch;User ID=root",
        ["Backup:Jobs:shop:Verification:ScratchPasswordFile"] = Path.Combine(_directory, "scratch-password"),
    };

    private static ServiceProvider Build(Dictionary<string, string?> settings, Action<BackupBuilder>? configure = null, bool engines = true) =>
        TestSupport.Build(settings: settings, configure: b =>
        {
            if (engines)
            {
                b.AddDatabaseEngine(new RecordingEngine("fakesql", "FakeSQL", DatabaseLocation.ConnectionString));
                b.AddDatabaseEngine(new RecordingEngine("fakelite", "FakeLite", DatabaseLocation.File));
            }

            configure?.Invoke(b);
        });

    /// <summary>An engine that records what it is asked to do: its sources are small streams, its drills report a fixed restore time.</summary>
    private sealed class RecordingEngine(string name, string displayName, DatabaseLocation location) : IDatabaseEngine
    {
        public ConcurrentQueue<DatabaseBackupSettings> CreatedQueue { get; } = new();

        // Start-up validation creates a source too, without the host's logger factory; these are the runs'.
        public IReadOnlyList<DatabaseBackupSettings> Created => [.. CreatedQueue.Where(s => s.LoggerFactory is not null)];

        public ConcurrentQueue<DatabaseVerifySettings> DrillQueue { get; } = new();

        public IReadOnlyList<DatabaseVerifySettings> Drills => [.. DrillQueue];

        public bool DrillPasses { get; init; } = true;

        public string Kind => name;

        public string Name => name;

        public string DisplayName => displayName;

        public DatabaseLocation Location => location;

        public IReadOnlyList<string> PasswordEnvironmentVariables => [];

        public int? DefaultPort => null;

        public bool SupportsAllDatabases => location == DatabaseLocation.ConnectionString;

        public bool SupportsDriverOnly => location == DatabaseLocation.ConnectionString;

        public bool SupportsTableSelection => false;

        public bool SupportsParallelRestore => false;

        public bool HasPassword(string connectionString) =>
            connectionString.Contains("Malformed", StringComparison.Ordinal) ? throw new FormatException($"Bad connection string {connectionString}") : false;

        public IBackupSource CreateSource(DatabaseBackupSettings settings)
        {
            if (settings.Location.Contains("Malformed", StringComparison.Ordinal))
            {
                // As the real engines' option records do: the parameter is the setting's name, not the method's.
#pragma warning disable CA2208
                throw new ArgumentException("The connection string is malformed.", "ConnectionString");
#pragma warning restore CA2208
            }

            CreatedQueue.Enqueue(settings);
            return new KindSource(name, TestSupport.Export("dump.sql", 4096));
        }

        public IReadOnlyList<string> DatabasesOf(Snapshot snapshot) => ["shop"];

        public Task<DatabaseRestoreResult> RestoreAsync(BackupRepository repository, Snapshot snapshot, DatabaseRestoreSettings settings, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<VerificationReport> VerifyAsync(BackupRepository repository, Snapshot snapshot, DatabaseVerifySettings settings, CancellationToken cancellationToken = default)
        {
            DrillQueue.Enqueue(settings);
            return Task.FromResult(new VerificationReport
            {
                SnapshotId = snapshot.Id.ToString(),
                Databases = ["shop"],
                RestoreDuration = TimeSpan.FromSeconds(3),
                TablesCompared = 2,
                Mismatches = DrillPasses ? [] : [new TableMismatch { Database = "shop", Table = "orders", ExpectedRows = 10, ActualRows = 9, ExpectedChecksum = "a", ActualChecksum = "b" }],
            });
        }
    }

    /// <summary>A stream source recorded under the engine's kind.</summary>
    private sealed class KindSource(string kind, StreamSource inner) : IBackupSource
    {
        public string Kind => kind;

        public IReadOnlyList<string> Paths => ((IBackupSource)inner).Paths;

        public IAsyncEnumerable<SourceEntry> ReadEntriesAsync(SourceContext context, CancellationToken cancellationToken = default) => ((IBackupSource)inner).ReadEntriesAsync(context, cancellationToken);

        public ValueTask DisposeAsync() => ((IBackupSource)inner).DisposeAsync();
    }
}
