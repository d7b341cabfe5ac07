using Microsoft.Extensions.Configuration;

namespace Backup.DisasterRecovery.Tests;

public sealed class PlanLoaderTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "dr-plan-tests", Guid.NewGuid().ToString("N"));

    public PlanLoaderTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private const string Yaml = """
        # The shop: its database and its uploads.
        backup:
          repositories:
            local:
              location: repos/local
              passwordFile: secrets/repo-password
            offsite:
              location: s3://dr-bucket/shop
              passwordEnvironmentVariable: OFFSITE_PASSWORD
          sources:
            shopdb:
              engine: postgres
              connectionString: Host=db.internal;Username=backup;Database=shop
              passwordFile: secrets/db-password
          jobs:
            shop-db:
              repository: local
              source: shopdb
              schedule: "0 * * * *"
              copyTo: [offsite]
        SYSTEMS:
          shop:
            description: The web shop
            tier: 1
            rpo: 2h
            rto: 45m
            jobs: [shop-db]
            copies:
              - repository: offsite
                offSite: true
                media: object-storage
            steps:
              - name: Restore the database
                timeout: 20m
                restore:
                  job: shop-db
                  connectionString: Host=standby.internal;Username=postgres
                  passwordEnvironmentVariable: STANDBY_PASSWORD
              - name: Switch DNS
                http:
                  url: https://dns.example/api/switch
                  drillUrl: http://localhost:8080/switch
                  body: '{"to":"standby"}'
                  secretHeaders:
                    Authorization: env:DNS_TOKEN
              - name: Warm caches
                command:
                  run: [scripts/warm.sh, --all]
              - name: Verify the database
                verify:
                  restore: Restore the database
            drill:
              maxAge: 7d
        scratch:
          directory: scratch
        """;

    [Fact]
    public async Task A_yaml_plan_binds_case_insensitively_with_short_durations_and_paths_resolved_against_the_plan_file()
    {
        var path = Write("shop.yaml", Yaml);

        var plan = await RecoveryPlanLoader.LoadAsync(path);

        plan.Name.Should().Be("shop", "the plan is named after its file unless it says otherwise");
        var shop = plan.Systems["SHOP"];
        shop.Rpo.Should().Be(TimeSpan.FromHours(2));
        shop.Rto.Should().Be(TimeSpan.FromMinutes(45));
        shop.Drill.MaxAge.Should().Be(TimeSpan.FromDays(7));
        shop.Jobs.Should().Equal("shop-db");
        shop.Copies.Should().ContainSingle().Which.OffSite.Should().BeTrue();
        shop.Steps.Select(s => s.Kind).Should().Equal(RecoveryStepKind.Restore, RecoveryStepKind.Http, RecoveryStepKind.Command, RecoveryStepKind.Verify);
        shop.Steps[0].Timeout.Should().Be(TimeSpan.FromMinutes(20));
        shop.Steps[1].Timeout.Should().Be(TimeSpan.FromMinutes(30), "the default timeout stays when none is given");
        shop.Steps[1].Http!.SecretHeaders["authorization"].Should().Be("env:DNS_TOKEN");
        shop.Steps[1].Http!.Body.Should().Be("""{"to":"standby"}""");
        plan.Backup.Jobs["shop-db"].CopyTo.Should().Equal("offsite");
        plan.Backup.Sources["shopdb"].Engine.Should().Be("postgres");

        plan.Backup.Repositories["local"].Location.Should().Be(Path.Combine(_directory, "repos", "local"));
        plan.Backup.Repositories["local"].PasswordFile.Should().Be(Path.Combine(_directory, "secrets", "repo-password"));
        plan.Backup.Repositories["offsite"].Location.Should().Be("s3://dr-bucket/shop", "a URL is not a path");
        plan.Backup.Sources["shopdb"].PasswordFile.Should().Be(Path.Combine(_directory, "secrets", "db-password"));
        shop.Steps[2].Command!.Run.Should().Equal(Path.Combine(_directory, "scripts", "warm.sh"), "--all");
        plan.Scratch.Directory.Should().Be(Path.Combine(_directory, "scratch"));
    }

    [Fact]
    public async Task A_json_plan_means_the_same_as_the_yaml_one()
    {
        var json = Write("shop.json", """
            {
              "Name": "shop",
              "Backup": {
                "Repositories": { "local": { "Location": "repos/local", "PasswordFile": "secrets/repo-password" } },
                "Jobs": { "files": { "Repository": "local", "Paths": [ "data" ], "Schedule": "*/15 * * * *" } }
              },
              // Comments and trailing commas are allowed, as in appsettings.json.
              "Systems": {
                "shop": {
                  "Rpo": "01:00:00",
                  "Rto": "30m",
                  "Jobs": [ "files" ],
                  "Steps": [ { "Name": "Restore", "Restore": { "Job": "files", "Directory": "restored" } }, ],
                },
              },
            }
            """);

        var plan = await RecoveryPlanLoader.LoadAsync(json);

        plan.Systems["shop"].Rpo.Should().Be(TimeSpan.FromHours(1));
        plan.Systems["shop"].Rto.Should().Be(TimeSpan.FromMinutes(30));
        plan.Backup.Jobs["files"].Paths.Should().Equal(Path.Combine(_directory, "data"));
        plan.Systems["shop"].Steps[0].Restore!.Directory.Should().Be(Path.Combine(_directory, "restored"));
    }

    [Fact]
    public async Task Unknown_keys_and_bad_values_are_all_reported_with_their_path_line_and_a_suggestion()
    {
        var path = Write("typo.yaml", """
            systems:
              shop:
                rpoo: 1h
                rto: soon
                steps:
                  - name: Restore
                    restore:
                      jobb: files
            """);

        var act = () => RecoveryPlanLoader.LoadAsync(path);

        var error = (await act.Should().ThrowAsync<RecoveryPlanException>()).Which;
        error.Errors.Should().HaveCount(3);
        error.Errors.Should().Contain(e => e.StartsWith("systems:shop:rpoo (line 3):", StringComparison.Ordinal) && e.Contains("did you mean 'Rpo'?"));
        error.Errors.Should().Contain(e => e.StartsWith("systems:shop:rto (line 4):", StringComparison.Ordinal) && e.Contains("'soon' is not valid") && e.Contains("duration"));
        error.Errors.Should().Contain(e => e.StartsWith("systems:shop:steps:0:restore:jobb (line 8):", StringComparison.Ordinal) && e.Contains("did you mean 'Job'?"));
        error.Message.Should().StartWith(path);
    }

    [Fact]
    public async Task A_duration_written_as_a_number_alone_is_refused_for_want_of_a_unit_not_read_as_days()
    {
        var yaml = Write("bare.yaml", """
            systems:
              shop:
                rpo: 90
                rto: 1.00:00:00
                steps:
                  - name: Restore
                    timeout: 30
                    restore:
                      job: files
            """);
        var json = Write("bare.json", """{ "Systems": { "shop": { "Rpo": 90, "Rto": "45m" } } }""");

        var fromYaml = (await FluentActions.Awaiting(() => RecoveryPlanLoader.LoadAsync(yaml)).Should().ThrowAsync<RecoveryPlanException>()).Which;
        var fromJson = (await FluentActions.Awaiting(() => RecoveryPlanLoader.LoadAsync(json)).Should().ThrowAsync<RecoveryPlanException>()).Which;

        fromYaml.Errors.Should().HaveCount(2);
        fromYaml.Errors.Should().Contain(e => e.StartsWith("systems:shop:rpo (line 3): '90' is not valid; expected a duration such as 30m, 6h or 7d, or written d.hh:mm:ss", StringComparison.Ordinal)
            && e.EndsWith("a number needs a unit, such as 90m or 90d.", StringComparison.Ordinal));
        fromYaml.Errors.Should().Contain(e => e.StartsWith("systems:shop:steps:0:timeout (line 7): '30' is not valid", StringComparison.Ordinal) && e.Contains("a number needs a unit"));
        fromJson.Errors.Should().ContainSingle().Which.Should().StartWith("Systems:shop:Rpo: '90' is not valid; expected a duration such as 30m");
    }

    [Fact]
    public async Task Malformed_files_and_missing_files_are_clear_errors()
    {
        var yaml = Write("broken.yaml", "systems:\n  shop: [unclosed\n");
        var json = Write("broken.json", "{ \"Systems\": ");

        (await FluentActions.Awaiting(() => RecoveryPlanLoader.LoadAsync(yaml)).Should().ThrowAsync<RecoveryPlanException>()).Which.Message.Should().Contain("line");
        (await FluentActions.Awaiting(() => RecoveryPlanLoader.LoadAsync(json)).Should().ThrowAsync<RecoveryPlanException>()).Which.Message.Should().Contain("not valid JSON");
        (await FluentActions.Awaiting(() => RecoveryPlanLoader.LoadAsync(Path.Combine(_directory, "none.yaml"))).Should().ThrowAsync<RecoveryPlanException>())
            .Which.Message.Should().Contain("no such plan file");
    }

    [Fact]
    public async Task A_directory_given_as_the_plan_is_named_as_one_not_as_a_permission_problem()
    {
        // .NET reports reading a directory as "Access to the path is denied", which sends the operator after permissions.
        var error = (await FluentActions.Awaiting(() => RecoveryPlanLoader.LoadAsync(_directory)).Should().ThrowAsync<RecoveryPlanException>()).Which;

        error.Errors.Should().ContainSingle().Which.Should().Be("is a directory, not a plan file: give the plan's YAML or JSON file.");
        error.Message.Should().NotContain("denied");
    }

    [Fact]
    public async Task Secrets_written_into_the_plan_are_refused_without_repeating_them()
    {
        var path = Write("secrets.yaml", """
            backup:
              repositories:
                offsite:
                  location: s3://bucket
                  settings:
                    SecretAccessKey: s3cr3t-key-value
            scratch:
              databases:
                postgres:
                  connectionString: Host=scratch;Username=postgres;Password=hunter2-db
            systems:
              shop:
                steps:
                  - name: Restore
                    restore:
                      job: db
                      connectionString: postgres://postgres:hunter3-url@standby/shop
                  - name: Switch
                    http:
                      url: https://dns.example/switch
                      headers:
                        Authorization: Bearer literal-token-1
                      secretHeaders:
                        X-Api-Key: literal-token-2
            """);

        var error = (await FluentActions.Awaiting(() => RecoveryPlanLoader.LoadAsync(path)).Should().ThrowAsync<RecoveryPlanException>()).Which;

        error.Errors.Should().HaveCount(5);
        error.Errors.Should().Contain(e => e.StartsWith("Backup:Repositories:offsite:Settings:SecretAccessKey (line ", StringComparison.Ordinal));
        error.Errors.Should().Contain(e => e.StartsWith("Scratch:Databases:postgres:ConnectionString (line ", StringComparison.Ordinal) && e.Contains("PasswordFile"));
        error.Errors.Should().Contain(e => e.StartsWith("Systems:shop:Steps:0:Restore:ConnectionString (line ", StringComparison.Ordinal));
        error.Errors.Should().Contain(e => e.StartsWith("Systems:shop:Steps:1:Http:Headers:Authorization (line ", StringComparison.Ordinal) && e.Contains("SecretHeaders"));
        error.Errors.Should().Contain(e => e.StartsWith("Systems:shop:Steps:1:Http:SecretHeaders:X-Api-Key (line ", StringComparison.Ordinal) && e.Contains("env:"));
        foreach (var secret in new[] { "s3cr3t-key-value", "hunter2-db", "hunter3-url", "literal-token-1", "literal-token-2" })
        {
            error.Message.Should().NotContain(secret);
        }
    }

    [Fact]
    public void A_plan_binds_from_a_configuration_section_with_the_same_checks()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["DisasterRecovery:Systems:shop:Rpo"] = "04:00:00",
                ["DisasterRecovery:Systems:shop:Tierr"] = "2",
            })
            .Build();

        var act = () => RecoveryPlanLoader.Load(configuration.GetSection("DisasterRecovery"), _directory);

        act.Should().Throw<RecoveryPlanException>().Which.Errors.Should().ContainSingle()
            .Which.Should().Contain("DisasterRecovery:Systems:shop:Tierr").And.Contain("did you mean 'Tier'?");
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>
    /// The docs promise that a plan's relative key files are read against the plan's directory; an SFTP repository's
    /// KeyFile setting was passed on as written, so a recovery started from another directory found no key.
    /// </summary>
    [Fact]
    public void A_relative_key_file_among_a_repositorys_settings_is_resolved_against_the_plans_directory()
    {
        const string text = """
            backup:
              repositories:
                vault: { location: "sftp://backup@vault.example/srv/vault", passwordFile: repo-password, settings: { HostKey: "SHA256:abc", KeyFile: ssh/id_vault } }
              jobs:
                files: { repository: vault, paths: [/srv/files], schedule: "0 * * * *" }
            systems:
              files: { rpo: 2h, rto: 1h, jobs: [files] }
            """;

        var plan = RecoveryPlanLoader.Parse(text, json: false, "plan.yaml", "/etc/dr");

        var vault = plan.Backup.Repositories["vault"];
        vault.Settings["KeyFile"].Should().Be("/etc/dr/ssh/id_vault");
        vault.Settings["HostKey"].Should().Be("SHA256:abc", "only file settings are paths");
        vault.PasswordFile.Should().Be("/etc/dr/repo-password");
    }
}
