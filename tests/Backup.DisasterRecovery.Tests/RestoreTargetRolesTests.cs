using Backup.Extensions.DependencyInjection;
using Backup.Providers.PostgreSql;
using Backup.Providers.Tests.Servers;
using Microsoft.Extensions.DependencyInjection;

namespace Backup.DisasterRecovery.Tests;

/// <summary>
/// A drill restores into a scratch server that has every role, without grants, so it passes where a recovery into a
/// new server stops at the first role the database grants to. Validation asks the server the plan's restore step
/// recovers into, with the roles the job's latest snapshot recorded: one it lacks is an error naming it (and a warning of
/// the drill's restore step, which still succeeds), and a snapshot from before roles were recorded is a warning that
/// says they are unknown.
/// </summary>
public sealed class RestoreTargetRolesTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private readonly string _passwordVariable = $"BACKUP_TEST_DR_ROLES_{Guid.NewGuid():N}";
    private readonly string _databasePasswordVariable = $"BACKUP_TEST_DR_ROLES_PG_{Guid.NewGuid():N}";
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"dr-roles-{Guid.NewGuid():N}");

    [SkippableFact]
    public async Task Validate_names_the_roles_the_recovery_server_lacks_and_says_unknown_for_a_snapshot_that_does_not_record_them()
    {
        var server = fixture.Require();
        var role = $"reporting_{Guid.NewGuid().ToString("N")[..8]}";
        await server.ExecuteAsync("postgres", $"CREATE ROLE {role} NOLOGIN");
        var database = fixture.NewDatabaseName("shop");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, $"CREATE TABLE orders (id int PRIMARY KEY); GRANT SELECT ON orders TO {role};");
        var plan = Plan(server, database);
        await using var services = RecoveryPlanServices.Create(plan, backup => backup.AddDatabaseEngine(new PostgreSqlEngine()));
        (await services.GetRequiredService<IBackupJobRunner>().RunAsync("shop-db")).Outcome.Should().Be(BackupJobOutcome.Succeeded);
        var validator = services.GetRequiredService<RecoveryPlanValidator>();
        var options = new RecoveryPlanValidationOptions { CheckRepositories = false };

        var allThere = await validator.ValidateAsync(options);

        allThere.Findings.Should().NotContain(f => f.Rule == "roles", "the recovery server has the role the snapshot grants to");

        // The recovery server loses the role (it is a new server).
        await server.ExecuteAsync(database, $"DROP OWNED BY {role}");
        await server.ExecuteAsync("postgres", $"DROP ROLE {role}");

        var lacking = await validator.ValidateAsync(options);

        var finding = lacking.Findings.Should().ContainSingle(f => f.Rule == "roles").Which;
        finding.Severity.Should().Be(PlanFindingSeverity.Error, "the recovery would stop at the missing role");
        finding.System.Should().Be("shop");
        finding.Message.Should().StartWith("Systems:shop:Steps:0:Restore:ConnectionString: ")
            .And.Contain($"'{role}'").And.Contain($"database '{database}'").And.Contain($"CREATE ROLE \"{role}\";").And.Contain("globals.sql");
        lacking.IsValid.Should().BeFalse();

        // A drill restores without grants into a scratch database, so it passes; its restore step warns of the recovery server.
        var drill = await services.GetRequiredService<IRecoveryDrillRunner>().RunAsync(plan, "shop");

        drill.Succeeded.Should().BeTrue(string.Join("; ", drill.Steps.Select(s => $"{s.Name}: {s.Outcome} {s.Error}")));
        drill.Steps[0].Warnings.Should().ContainSingle().Which.Should().Be(finding.Message, "the drill says what validate says");

        // Stored with the drill, so the report read later (by an auditor, not at the console at 02:00) shows it.
        var stored = await RecoveryDrillRecords.ListAsync(await services.GetRequiredService<IBackupRepositoryProvider>().GetAsync("main"), "shop").ToListAsync();
        stored.Should().ContainSingle().Which.Steps[0].Warnings.Should().Equal(finding.Message);
        var report = await services.GetRequiredService<RecoveryReportBuilder>().BuildAsync(plan, lacking);
        report.ToMarkdown().Should().Contain($"step 'Restore the shop database': {MarkdownReportRenderer.Line(finding.Message)}", "the warning is shown as text, its Markdown punctuation escaped");

        // The job's latest snapshot is one taken before roles were recorded: not known, so a warning, not an error.
        var repository = await services.GetRequiredService<IBackupRepositoryProvider>().GetAsync("main");
        var snapshots = new List<Backup.Core.Snapshots.Snapshot>();
        await foreach (var snapshot in repository.Snapshots.ListAsync())
        {
            snapshots.Add(snapshot);
        }

        var taken = snapshots.Should().ContainSingle().Which;
        await repository.Snapshots.SaveAsync(taken with
        {
            Time = DateTimeOffset.UtcNow,
            Metadata = taken.Metadata.Where(m => !m.Key.StartsWith("postgresql.roles.", StringComparison.Ordinal)).ToDictionary(),
        });

        var old = await validator.ValidateAsync(options);

        var unknown = old.Findings.Should().ContainSingle(f => f.Rule == "roles").Which;
        unknown.Severity.Should().Be(PlanFindingSeverity.Warning);
        unknown.Message.Should().Contain("does not record the roles").And.Contain("unknown");
    }

    /// <summary>
    /// A job snapshot dated a minute or two ahead (the backup host's clock runs a little ahead) is the job's latest for a
    /// drill, the RPO check and a restore alike (SnapshotStore.ClockSkewAllowance): validate checks the roles of that
    /// one too, not of the one before it.
    /// </summary>
    [SkippableFact]
    public async Task Validate_checks_the_roles_of_the_snapshot_a_drill_takes_as_latest_when_it_is_dated_a_little_ahead()
    {
        var server = fixture.Require();
        var role = $"reporting_{Guid.NewGuid().ToString("N")[..8]}";
        await server.ExecuteAsync("postgres", $"CREATE ROLE {role} NOLOGIN");
        var database = fixture.NewDatabaseName("shop");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, $"CREATE TABLE orders (id int PRIMARY KEY); GRANT SELECT ON orders TO {role};");
        var plan = Plan(server, database);
        await using var services = RecoveryPlanServices.Create(plan, backup => backup.AddDatabaseEngine(new PostgreSqlEngine()));
        (await services.GetRequiredService<IBackupJobRunner>().RunAsync("shop-db")).Outcome.Should().Be(BackupJobOutcome.Succeeded);
        await server.ExecuteAsync(database, $"DROP OWNED BY {role}");
        await server.ExecuteAsync("postgres", $"DROP ROLE {role}");

        // The newer snapshot, from a host whose clock runs two minutes ahead, records no roles (taken before they were).
        var repository = await services.GetRequiredService<IBackupRepositoryProvider>().GetAsync("main");
        var taken = await repository.Snapshots.FindAsync("latest");
        await repository.Snapshots.SaveAsync(taken with
        {
            Time = DateTimeOffset.UtcNow.AddMinutes(2),
            Metadata = taken.Metadata.Where(m => !m.Key.StartsWith("postgresql.roles.", StringComparison.Ordinal)).ToDictionary(),
        });

        var validation = await services.GetRequiredService<RecoveryPlanValidator>().ValidateAsync(new RecoveryPlanValidationOptions { CheckRepositories = false });
        var drill = await services.GetRequiredService<IRecoveryDrillRunner>().RunAsync(plan, "shop");

        var finding = validation.Findings.Should().ContainSingle(f => f.Rule == "roles").Which;
        finding.Severity.Should().Be(PlanFindingSeverity.Warning, "the drill's latest is the snapshot dated two minutes ahead, which records no roles");
        finding.Message.Should().Contain("does not record the roles");
        drill.Steps[0].Warnings.Should().ContainSingle().Which.Should().Be(finding.Message, "validate checks the snapshot the drill restores");
    }

    /// <summary>
    /// A recovery server that cannot be reached is one finding for the step, not one per database after a connection
    /// attempt each: an --all-databases snapshot of 20 databases against a server that drops packets would otherwise
    /// wait out the connect timeout 20 times, in dr validate and after a drill's restore step.
    /// </summary>
    [Fact]
    public async Task A_recovery_server_that_cannot_be_reached_is_asked_once_for_all_the_databases()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var databases = new[] { "sales", "stock", "web" };
        var metadata = new Dictionary<string, string> { ["postgresql.databases"] = "[\"sales\",\"stock\",\"web\"]" };
        foreach (var name in databases)
        {
            metadata[$"postgresql.roles.{name}"] = """{"granted":["reporting"],"owners":[]}""";
        }

        var snapshot = new Backup.Core.Snapshots.Snapshot { Hostname = "old-server", SourceKind = "postgresql", Metadata = metadata };
        var step = new RestoreStep { Job = "all-db", ConnectionString = $"Host=127.0.0.1;Port={closedPort};Username=postgres", PasswordEnvironmentVariable = _databasePasswordVariable };

        var problems = await RestoreTargetRoles.CheckAsync("Systems:shop:Steps:0:Restore", step, new PostgreSqlEngine(), snapshot, CancellationToken.None);

        var problem = problems.Should().ContainSingle().Which;
        problem.Missing.Should().BeFalse("whether roles are missing is not known");
        problem.Message.Should().Contain("could not be asked").And.Contain("'sales'").And.Contain("'stock'").And.Contain("'web'");
    }

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        Environment.SetEnvironmentVariable(_passwordVariable, "roles-Repo-pw 7");
        Environment.SetEnvironmentVariable(_databasePasswordVariable, PostgresServer.Password);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        Environment.SetEnvironmentVariable(_passwordVariable, null);
        Environment.SetEnvironmentVariable(_databasePasswordVariable, null);
        Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }

    private RecoveryPlan Plan(PostgresServer server, string database)
    {
        var plan = new RecoveryPlan { Name = "roles" };
        plan.Backup.Repositories["main"] = new BackupRepositoryOptions { Path = Path.Combine(_root, "main"), CreateIfMissing = true, PasswordEnvironmentVariable = _passwordVariable };
        plan.Backup.Sources["shop-pg"] = new BackupDatabaseSourceOptions { Engine = "postgres", ConnectionString = server.ConnectionString(database), PasswordEnvironmentVariable = _databasePasswordVariable };
        plan.Backup.Jobs["shop-db"] = new BackupJobOptions { Repository = "main", Source = "shop-pg", Schedule = "0 * * * *" };
        plan.Scratch.Databases["postgres"] = new ScratchDatabaseServer { ConnectionString = server.ConnectionString(), PasswordEnvironmentVariable = _databasePasswordVariable };
        var shop = new RecoverySystem { Rpo = TimeSpan.FromHours(2), Rto = TimeSpan.FromHours(1) };
        shop.Jobs.Add("shop-db");
        shop.Steps.Add(new RecoveryStep
        {
            Name = "Restore the shop database",
            Restore = new RestoreStep { Job = "shop-db", ConnectionString = server.ConnectionString(database + "_recovered"), PasswordEnvironmentVariable = _databasePasswordVariable },
        });
        plan.Systems["shop"] = shop;
        return plan;
    }
}
