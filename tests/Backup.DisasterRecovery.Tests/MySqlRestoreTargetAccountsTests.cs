using Backup.Extensions.DependencyInjection;
using Backup.Providers.MySql;
using Backup.Providers.Tests.Servers;
using Microsoft.Extensions.DependencyInjection;

namespace Backup.DisasterRecovery.Tests;

/// <summary>
/// A MariaDB/MySQL dump holds no accounts and no grants, so a restore into a new server succeeds and the application
/// then cannot sign in; a drill (a scratch user on a server that has every account) cannot show it. Validation (rule
/// roles) asks the server the plan's restore step recovers into for the accounts the job's latest snapshot recorded, and
/// the drill's restore step warns of the same.
/// </summary>
public sealed class MySqlRestoreTargetAccountsTests(MariaDbFixture fixture) : IClassFixture<MariaDbFixture>, IAsyncLifetime
{
    private readonly string _passwordVariable = $"BACKUP_TEST_DR_ACCOUNTS_{Guid.NewGuid():N}";
    private readonly string _databasePasswordVariable = $"BACKUP_TEST_DR_ACCOUNTS_MY_{Guid.NewGuid():N}";
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"dr-accounts-{Guid.NewGuid():N}");

    [SkippableFact]
    public async Task Validate_and_the_drill_name_the_account_the_recovery_server_lacks()
    {
        var server = fixture.Require();
        var account = $"shop_app_{Guid.NewGuid().ToString("N")[..8]}";
        var database = fixture.NewDatabaseName("shop");
        await server.ExecuteAsync(null, $"CREATE DATABASE {database}; CREATE TABLE {database}.orders (id int PRIMARY KEY); CREATE USER '{account}'@'%'; GRANT SELECT, INSERT ON {database}.* TO '{account}'@'%';");
        var plan = Plan(server, database);
        await using var services = RecoveryPlanServices.Create(plan, backup => backup.AddDatabaseEngine(new MySqlEngine()));
        (await services.GetRequiredService<IBackupJobRunner>().RunAsync("shop-db")).Outcome.Should().Be(BackupJobOutcome.Succeeded);
        var validator = services.GetRequiredService<RecoveryPlanValidator>();
        var options = new RecoveryPlanValidationOptions { CheckRepositories = false };

        (await validator.ValidateAsync(options)).Findings.Should().NotContain(f => f.Rule == "roles", "the recovery server has the account the snapshot grants to");

        await server.ExecuteAsync(null, $"DROP USER '{account}'@'%'");

        var lacking = await validator.ValidateAsync(options);

        var finding = lacking.Findings.Should().ContainSingle(f => f.Rule == "roles").Which;
        finding.Severity.Should().Be(PlanFindingSeverity.Error, "the application could not sign in after the recovery");
        finding.Message.Should().StartWith("Systems:shop:Steps:0:Restore:ConnectionString: ")
            .And.Contain($"'{account}'@'%'").And.Contain($"database '{database}'").And.Contain("SHOW GRANTS FOR");
        var drill = await services.GetRequiredService<IRecoveryDrillRunner>().RunAsync(plan, "shop");
        drill.Succeeded.Should().BeTrue(string.Join("; ", drill.Steps.Select(s => $"{s.Name}: {s.Outcome} {s.Error}")));
        drill.Steps[0].Warnings.Should().ContainSingle().Which.Should().Be(finding.Message, "the drill says what validate says");
    }

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        Environment.SetEnvironmentVariable(_passwordVariable, "accounts-Repo-pw 7");
        Environment.SetEnvironmentVariable(_databasePasswordVariable, MariaDbServer.Password);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        Environment.SetEnvironmentVariable(_passwordVariable, null);
        Environment.SetEnvironmentVariable(_databasePasswordVariable, null);
        Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }

    private RecoveryPlan Plan(MariaDbServer server, string database)
    {
        var plan = new RecoveryPlan { Name = "accounts" };
        plan.Backup.Repositories["main"] = new BackupRepositoryOptions { Path = Path.Combine(_root, "main"), CreateIfMissing = true, PasswordEnvironmentVariable = _passwordVariable };
        plan.Backup.Sources["shop-my"] = new BackupDatabaseSourceOptions { Engine = "mysql", ConnectionString = server.ConnectionString(database), PasswordEnvironmentVariable = _databasePasswordVariable };
        plan.Backup.Jobs["shop-db"] = new BackupJobOptions { Repository = "main", Source = "shop-my", Schedule = "0 * * * *" };
        plan.Scratch.Databases["mysql"] = new ScratchDatabaseServer { ConnectionString = server.ConnectionString(), PasswordEnvironmentVariable = _databasePasswordVariable };
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
