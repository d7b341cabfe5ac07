using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Backup.Core.Snapshots;
using Backup.Extensions.DependencyInjection;
using Backup.Providers.MySql;
using Backup.Providers.PostgreSql;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backup.Extensions.Tests.Compatibility;

/// <summary>
/// The configuration release 1.0.0 published (tests/Compatibility/v1.0.0/config: docs/hosting.md's schema and sources,
/// README.md's job, samples/WorkerService/appsettings.json, copied verbatim) binds and validates with the current code
/// and means what it meant. The test only moves paths into a temp directory and, where 1.0.0's own text listed
/// alternatives side by side (the schema's four key sources), keeps the first, as a 1.0.0 user had to.
/// </summary>
public sealed class V1ConfigurationTests : IDisposable
{
    private static readonly JsonDocumentOptions Jsonc = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    private readonly string _work = Directory.CreateTempSubdirectory("backup-v1-config-").FullName;
    private readonly LogCapture _log = new();

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private static string ConfigFile(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Compatibility", "v1.0.0", "config", name));

    /// <summary>A fragment 1.0.0 printed inside the "Backup" section ("Sources": {…}, "Jobs": {…}) as a JSON object.</summary>
    private static JsonObject Fragment(string name) => JsonNode.Parse("{" + ConfigFile(name) + "}", documentOptions: Jsonc)!.AsObject();

    private JsonObject Repository(string name) => new() { ["Path"] = Path.Combine(_work, name), ["PasswordEnvironmentVariable"] = "BACKUP_PASSWORD", ["CreateIfMissing"] = true };

    [Fact]
    public void The_hosting_schema_and_sources_of_docs_hosting_md_bind_and_validate_with_the_same_meaning()
    {
        var root = JsonNode.Parse(ConfigFile("hosting-schema.jsonc"), documentOptions: Jsonc)!.AsObject();
        var backup = root["Backup"]!.AsObject();
        var main = backup["Repositories"]!["main"]!.AsObject();
        main["Path"] = Path.Combine(_work, "main");
        main.Remove("PasswordFile");
        main.Remove("KeyFile");
        main.Remove("PasswordConfigurationKey");
        // The schema's CopyTo names "offsite", which the schema leaves to the reader to configure.
        backup["Repositories"]!["offsite"] = Repository("offsite");
        backup["Sources"] = Fragment("hosting-sources.fragment.jsonc")["Sources"]!.DeepClone();

        var options = Build(root);

        var nightly = options.Jobs["nightly"];
        nightly.Schedule.Should().Be("0 2 * * *");
        nightly.TimeZone.Should().Be("Europe/Berlin");
        nightly.Level.Should().Be(BackupLevel.Incremental);
        nightly.Rpo.Should().Be(TimeSpan.FromDays(1));
        nightly.Excludes.Should().Equal("*.tmp", "cache/");
        nightly.PreHooks.Should().ContainSingle().Which.Timeout.Should().Be(TimeSpan.FromMinutes(1));
        nightly.Retention!.KeepMonthly.Should().Be(12);
        nightly.Retention.KeepTags.Should().ContainSingle().Which.Should().Equal("legal", "hold");
        nightly.Retention.Prune.Should().BeTrue();
        nightly.Verification!.Every.Should().Be(TimeSpan.FromDays(7));
        nightly.Verification.ReadDataSubset.Should().Be("5%");
        nightly.Verification.RestoreDrill.Should().BeTrue();
        nightly.CopyTo.Should().Equal("offsite");
        options.Jobs["orders-db"].Source.Should().Be("orders-db");
        options.Repositories["main"].Compression.Should().Be("zstd:3");
        options.Scheduler.MaxJitter.Should().Be(TimeSpan.FromMinutes(5));
        var source = options.Sources["orders-db"];
        source.Engine.Should().Be("postgres", "1.0.0's sources were PostgreSQL ones (AddPostgreSqlSource)");
        source.DriverOnly.Should().BeTrue("\"Method\": \"DriverOnly\" meant driver-only");
        source.PasswordEnvironmentVariable.Should().Be("ORDERS_DB_PASSWORD");
        _log.Messages.Should().Contain(m => m.StartsWith("Warning", StringComparison.Ordinal) && m.Contains("Backup:Sources:orders-db:Method: \"Method\": \"DriverOnly\" is the release 1.0 form (deprecated); write \"DriverOnly\": true instead."));
        _log.Messages.Should().Contain(m => m.StartsWith("Warning", StringComparison.Ordinal) && m.Contains("Backup:Sources:orders-db:Engine is not set; the source is taken as a PostgreSQL one"));
    }

    [Theory]
    [InlineData("Method", "Bogus", "Backup:Sources:orders-db:Method: 'Bogus' is not a method; release 1.0 knew PgDump and DriverOnly.")]
    [InlineData("Format", "Plain", "Backup:Sources:orders-db:Format: 'Plain' is not available for hosted sources any more")]
    [InlineData("Engine", "mysql", "Backup:Sources:orders-db: 'Method' and 'Format' are release 1.0 settings of PostgreSQL sources and do not apply to engine 'mysql'")]
    public void A_release_1_0_source_setting_without_an_equivalent_fails_validation_and_says_what_to_write(string key, string value, string error)
    {
        var sources = Fragment("hosting-sources.fragment.jsonc");
        sources["Sources"]!["orders-db"]![key] = value;

        var build = () => Build(new JsonObject { ["Backup"] = new JsonObject { ["Sources"] = sources["Sources"]!.DeepClone() } });

        build.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain(error);
    }

    /// <summary>
    /// A new host that forgot Engine (a MariaDB source, say) and registered no PostgreSQL engine is not told to register
    /// one for an Engine 'postgres' it never wrote: the 1.0 reading applies where 1.0 ran, with the PostgreSQL engine.
    /// </summary>
    [Fact]
    public void A_source_without_Engine_on_a_host_without_the_PostgreSQL_engine_is_told_Engine_is_required()
    {
        var sources = new JsonObject { ["shop"] = new JsonObject { ["ConnectionString"] = "Server=db;Port=3306;Database=shop;Uid=backup", ["PasswordEnvironmentVariable"] = "SHOP_DB_PASSWORD" } };

        var build = () => Build(new JsonObject { ["Backup"] = new JsonObject { ["Sources"] = sources } }, postgres: false);

        build.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain("Backup:Sources:shop:Engine: is required: the name of a registered database engine")
            .And.NotContain("'postgres' is not a registered database engine", "the configuration names no engine");
    }

    /// <summary>
    /// On a host that registers MariaDB/MySQL besides PostgreSQL, a source without Engine is not tried as PostgreSQL:
    /// it may as well be a new MariaDB source that forgot it.
    /// </summary>
    [Fact]
    public void A_source_without_Engine_on_a_host_with_several_engines_is_told_Engine_is_required()
    {
        var sources = new JsonObject { ["shop"] = new JsonObject { ["ConnectionString"] = "Server=db;Port=3306;Database=shop;Uid=backup", ["PasswordEnvironmentVariable"] = "SHOP_DB_PASSWORD" } };

        var build = () => Build(new JsonObject { ["Backup"] = new JsonObject { ["Sources"] = sources } }, mysql: true);

        build.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain("Backup:Sources:shop:Engine: is required: the name of a registered database engine (registered: mysql, postgres)")
            .And.Contain("with other engines registered, it must be named");
    }

    [Fact]
    public void The_job_of_the_readme_binds_and_validates_with_the_same_meaning()
    {
        var backup = Fragment("readme-jobs.fragment.jsonc");
        backup["Repositories"] = new JsonObject { ["main"] = Repository("main"), ["offsite"] = Repository("offsite") };

        var options = Build(new JsonObject { ["Backup"] = backup });

        var nightly = options.Jobs["nightly"];
        nightly.Paths.Should().Equal("/srv/data");
        nightly.Retention!.KeepDaily.Should().Be(7);
        nightly.Retention.KeepWeekly.Should().Be(4);
        nightly.Verification!.RestoreDrill.Should().BeTrue();
        nightly.CopyTo.Should().Equal("offsite");
    }

    [Fact]
    public void The_worker_service_sample_appsettings_bind_and_validate_with_the_same_meaning()
    {
        var root = JsonNode.Parse(ConfigFile("WorkerService.appsettings.json"), documentOptions: Jsonc)!.AsObject();
        var backup = root["Backup"]!.AsObject();
        // What the sample's code added (AddRepository(... Path ??= ...), the files job's folder).
        backup["Repositories"]!["main"]!["Path"] = Path.Combine(_work, "main");
        backup["Repositories"]!["offsite"]!["Path"] = Path.Combine(_work, "offsite");
        backup["Jobs"]!["files"]!["Paths"] = new JsonArray(Path.Combine(_work, "data"));

        var options = Build(root);

        var files = options.Jobs["files"];
        files.Schedule.Should().Be("*/15 * * * *");
        files.Retention!.KeepHourly.Should().Be(24);
        files.Verification!.Every.Should().Be(TimeSpan.FromDays(1));
        files.CopyTo.Should().Equal("offsite");
        options.Jobs["orders-db"].Retention!.KeepMonthly.Should().Be(12);
        options.Repositories["main"].CreateIfMissing.Should().BeTrue();
        var source = options.Sources["orders-db"];
        source.Engine.Should().Be("postgres");
        source.DriverOnly.Should().BeTrue();
        source.ConnectionString.Should().Be("Host=127.0.0.1;Port=5432;Username=postgres;Database=postgres;Timeout=5");
        _log.Messages.Should().Contain(m => m.StartsWith("Warning", StringComparison.Ordinal) && m.Contains("Backup:Sources:orders-db:Method"));
    }

    /// <summary>Builds the host's options as 1.0.0's hosting did (BindConfiguration, the PostgreSQL provider registered), validating them.</summary>
    private BackupHostingOptions Build(JsonObject settings, bool postgres = true, bool mysql = false)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(settings.ToJsonString())));
        builder.Logging.AddProvider(_log);
        builder.Services.AddBackup(b =>
        {
            b.BindConfiguration(builder.Configuration.GetSection("Backup"));
            if (postgres)
            {
                b.AddDatabaseEngine(new PostgreSqlEngine());
            }

            if (mysql)
            {
                b.AddDatabaseEngine(new MySqlEngine());
            }
        });
        builder.Services.AddBackupScheduler();
        using var host = builder.Build();
        return host.Services.GetRequiredService<IOptions<BackupHostingOptions>>().Value;
    }
}
