using System.Text;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Backup.Extensions.Tests;

public sealed class ConfigurationTests
{
    private const string AppSettings = """
        {
          "Backup": {
            "Repositories": {
              "main": { "Path": "/tmp/backup-di-tests/never-created", "PasswordEnvironmentVariable": "BACKUP_DI_TEST_PASSWORD", "Compression": "zstd:3" }
            },
            "Scheduler": { "MaxJitter": "00:05:00" },
            "Jobs": {
              "nightly": {
                "Repository": "main",
                "Paths": [ "/srv/data", "/etc" ],
                "Schedule": "0 2 * * *",
                "TimeZone": "Europe/Berlin",
                "Level": "Differential",
                "Rpo": "1.00:00:00",
                "Tags": [ "prod" ],
                "HeartbeatUrl": "https://hc.example/ping/abc",
                "PreHooks": [ { "Command": "/usr/bin/true", "Arguments": [ "--flush" ], "Timeout": "00:00:30", "OnError": "Continue" } ]
              }
            }
          }
        }
        """;

    private sealed class FakePathSources : IBackupPathSourceFactory
    {
        public IBackupSource Create(string jobName, BackupJobOptions job) => TestSupport.Export(jobName, 10);
    }

    private static IHost BuildHost(IConfiguration configuration) => BuildHost(configuration, _ => { });

    private static IHost BuildHost(IConfiguration configuration, Action<BackupBuilder> configure)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddConfiguration(configuration);
        builder.Services.AddBackup(b =>
        {
            b.BindConfiguration(builder.Configuration.GetSection("Backup"));
            b.UsePathSourceFactory<FakePathSources>();
            configure(b);
        });
        builder.Services.AddBackupScheduler();
        builder.Services.AddHealthChecks().AddBackupHealthChecks().AddBackupHealthChecks(); // twice on purpose: registrations stay one per job
        return builder.Build();
    }

    [Fact]
    public void The_graph_builds_and_binds_from_json_appsettings()
    {
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(AppSettings))).Build();
        using var host = BuildHost(configuration);

        var options = host.Services.GetRequiredService<IOptions<BackupHostingOptions>>().Value;
        var job = options.Jobs["nightly"];
        job.Paths.Should().Equal("/srv/data", "/etc");
        job.Level.Should().Be(BackupLevel.Differential);
        job.Rpo.Should().Be(TimeSpan.FromDays(1));
        job.TimeZone.Should().Be("Europe/Berlin");
        job.HeartbeatUrl.Should().Be(new Uri("https://hc.example/ping/abc"));
        job.PreHooks.Should().ContainSingle().Which.OnError.Should().Be(HookErrorPolicy.Continue);
        job.PreHooks[0].Arguments.Should().Equal("--flush");
        options.Scheduler.MaxJitter.Should().Be(TimeSpan.FromMinutes(5));
        options.Repositories["main"].PasswordEnvironmentVariable.Should().Be("BACKUP_DI_TEST_PASSWORD");

        // Every service resolves on its own, without starting the host.
        host.Services.GetRequiredService<IBackupRepositoryProvider>().Names.Should().Equal("main");
        host.Services.GetRequiredService<IBackupJobRunner>().JobNames.Should().Equal("nightly");
        host.Services.GetRequiredService<IBackupServiceFactory>().Should().NotBeNull();
        host.Services.GetRequiredService<IBackupJobStateStore>().Should().NotBeNull();
        host.Services.GetRequiredService<BackupTelemetry>().Should().NotBeNull();
        host.Services.GetServices<IHostedService>().Should().ContainSingle(s => s.GetType().Name == "BackupScheduler");
        host.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations.Select(r => r.Name).Should().Equal("backup:nightly");
    }

    [Fact]
    public void The_graph_builds_from_an_in_memory_collection_with_validation_on_build()
    {
        using var provider = TestSupport.Build();
        var options = provider.GetRequiredService<IOptions<BackupHostingOptions>>().Value;
        options.Jobs.Keys.Should().Equal("export");
        options.Repositories["main"].CreateIfMissing.Should().BeTrue();
    }

    [Theory]
    [InlineData("Backup:Jobs:nightly:Schedule", "61 * * * *", "Backup:Jobs:nightly:Schedule: '61 * * * *' is not a valid cron expression")]
    [InlineData("Backup:Jobs:nightly:Schedule", "every day at 2", "Backup:Jobs:nightly:Schedule: 'every day at 2' is not a valid cron expression (")]
    [InlineData("Backup:Jobs:nightly:Schedule", "every day at 2", "); write five fields, minute hour day-of-month month day-of-week (six with seconds first), such as '0 2 * * *'")]
    [InlineData("Backup:Jobs:nightly:TimeZone", "Mars/Olympus_Mons", "Backup:Jobs:nightly:TimeZone: 'Mars/Olympus_Mons' is not a known time zone; give an IANA name such as Europe/Berlin, or UTC.")]
    [InlineData("Backup:Jobs:nightly:Repository", "offsite", "Backup:Jobs:nightly:Repository: 'offsite' is not a configured repository")]
    [InlineData("Backup:Jobs:nightly:Rpo", "-01:00:00", "Backup:Jobs:nightly:Rpo: must be positive")]
    [InlineData("Backup:Repositories:main:Compression", "lz4", "Backup:Repositories:main:Compression: 'lz4' is not a valid compression setting")]
    [InlineData("Backup:Repositories:main:PasswordFile", "/run/secrets/backup", "Backup:Repositories:main: more than one key source")]
    [InlineData("Backup:Repositories:main:LimitUpload", "fast", "Backup:Repositories:main:LimitUpload: 'fast' is not a rate")]
    [InlineData("Backup:Repositories:main:LimitDownload", "0", "Backup:Repositories:main:LimitDownload: '0' is out of range")]
    [InlineData("Backup:Jobs:nightly:PreHooks:0:Timeout", "00:00:00", "Backup:Jobs:nightly:PreHooks:0:Timeout: must be positive")]
    [InlineData("Backup:Jobs:nightly:Retention:Prune", "true", "Backup:Jobs:nightly:Retention: The retention policy has no rule")]
    [InlineData("Backup:Jobs:nightly:Retention:KeepDaily", "0", "Backup:Jobs:nightly:Retention:KeepDaily: ")]
    [InlineData("Backup:Jobs:nightly:Retention:TimeZone", "Mars/Olympus_Mons", "Backup:Jobs:nightly:Retention:TimeZone: 'Mars/Olympus_Mons' is not a known time zone; give an IANA name")]
    [InlineData("Backup:Jobs:nightly:Verification:Every", "-1.00:00:00", "Backup:Jobs:nightly:Verification:Every: must be positive")]
    [InlineData("Backup:Jobs:nightly:Verification:ReadDataSubset", "lots", "Backup:Jobs:nightly:Verification:ReadDataSubset: 'lots' is not")]
    [InlineData("Backup:Jobs:nightly:Verification:Check", "false", "Backup:Jobs:nightly:Verification: verifies nothing")]
    [InlineData("Backup:Jobs:nightly:CopyTo:0", "offsite", "Backup:Jobs:nightly:CopyTo:0: 'offsite' is not a configured repository")]
    [InlineData("Backup:Jobs:nightly:CopyTo:0", "main", "Backup:Jobs:nightly:CopyTo:0: 'main' is the job's own repository")]
    [InlineData("Backup:Jobs:nightly:Source", "orders-db", "Backup:Jobs:nightly:Source: 'orders-db' is not a configured source")]
    [InlineData("Backup:Jobs:nightly:Tags:0", "prod,eu", "Backup:Jobs:nightly:Tags:0: 'prod,eu' is not a tag: a tag must not be empty or contain a comma")]
    [InlineData("Backup:Jobs:nightly:Tags:0", " ", "Backup:Jobs:nightly:Tags:0: ' ' is not a tag")]
    [InlineData("Backup:Jobs:nightly:Hostname", "  ", "Backup:Jobs:nightly:Hostname: is empty; leave it out to record this machine's name")]
    [InlineData("Backup:Jobs:nightly:Excludes:0", "[z-a]", "Backup:Jobs:nightly:Excludes:0: Exclude pattern '[z-a]' is not valid: the range z-a is reversed; write [a-z].")]
    public async Task A_bad_setting_fails_start_up_naming_the_setting(string key, string value, string expected)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(AppSettings)))
            .AddInMemoryCollection(new Dictionary<string, string?> { [key] = value })
            .Build();
        using var host = BuildHost(configuration);

        var start = () => host.StartAsync();

        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain(expected);
    }

    [Fact]
    public async Task Retention_on_an_append_only_repository_fails_start_up_instead_of_every_run_that_would_forget()
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(AppSettings)))
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Backup:Repositories:main:AppendOnly"] = "true",
                ["Backup:Jobs:nightly:Retention:KeepLast"] = "3",
            })
            .Build();
        using var host = BuildHost(configuration);

        var start = () => host.StartAsync();

        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should()
            .Contain("Backup:Jobs:nightly:Retention: repository 'main' is AppendOnly");
    }

    [Fact]
    public void A_job_with_paths_but_no_path_source_fails_validation_when_options_are_built()
    {
        using var provider = TestSupport.Build(settings: new Dictionary<string, string?>
        {
            ["Backup:Jobs:files:Repository"] = "main",
            ["Backup:Jobs:files:Paths:0"] = "/srv",
        }, services: s => s.RemoveAll<IBackupPathSourceFactory>());

        var resolve = () => provider.GetRequiredService<IOptions<BackupHostingOptions>>().Value;

        resolve.Should().Throw<OptionsValidationException>().WithMessage("*Backup:Jobs:files:Paths: no IBackupPathSourceFactory is registered*");
    }

    [Fact]
    public void A_password_given_where_the_name_of_its_environment_variable_belongs_is_refused_without_being_repeated()
    {
        const string Password = "Hunter2 Actual-Password!";
        using var provider = TestSupport.Build(settings: new Dictionary<string, string?>
        {
            ["Backup:Repositories:main:PasswordConfigurationKey"] = null,
            ["Backup:Repositories:main:PasswordEnvironmentVariable"] = Password,
        }, fastKey: false);

        var resolve = () => provider.GetRequiredService<IOptions<BackupHostingOptions>>().Value;

        var error = resolve.Should().Throw<OptionsValidationException>().Which.Message;
        error.Should().Contain("Backup:Repositories:main:PasswordEnvironmentVariable: is not the name of an environment variable").And.NotContain("Hunter2");
        new EnvironmentVariableKeySource("Hunter2-Actual-Password").Description.Should().NotContain("Hunter2", "a name that is not portable is never shown");
        new EnvironmentVariableKeySource("BACKUP_PASSWORD").Description.Should().Be("environment variable BACKUP_PASSWORD");
        EnvironmentVariableName.Check("x", "backup.password").Should().BeNull("containers allow such names, and .NET reads them");
    }

    [Fact]
    public void A_repository_without_key_source_names_the_repository()
    {
        using var provider = TestSupport.Build(settings: new Dictionary<string, string?> { ["Backup:Repositories:main:PasswordConfigurationKey"] = null }, fastKey: false);

        var resolve = () => provider.GetRequiredService<IOptions<BackupHostingOptions>>().Value;

        resolve.Should().Throw<OptionsValidationException>().WithMessage("*Backup:Repositories:main: no key source*");
    }
}
