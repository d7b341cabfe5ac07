using System.Text.Json;
using Backup.Core.Snapshots;
using Backup.Providers.MySql;
using Backup.Providers.Tests.Servers;
using Microsoft.Extensions.Logging;

namespace Backup.Providers.Tests;

/// <summary>
/// Accounts and grants live in the server's mysql schema, so a database restored into a new server comes back without
/// the accounts that used it: the restore succeeds and the application cannot sign in. Backups record the accounts
/// (and MariaDB roles) with privileges on the database or its objects, those granted such roles, and the definers of its
/// views and routines; a server can then be checked for them before a recovery into it has to find out.
/// </summary>
public sealed class MySqlRequiredAccountsTests(MariaDbFixture fixture) : IClassFixture<MariaDbFixture>
{
    [SkippableTheory]
    [InlineData(MySqlBackupMethod.Dump)]
    [InlineData(MySqlBackupMethod.DriverOnly)]
    [InlineData(MySqlBackupMethod.Parallel)]
    public async Task A_snapshot_records_the_accounts_its_database_needs_and_a_server_lacking_one_is_told_which(MySqlBackupMethod method)
    {
        var server = fixture.Require();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (app, reader, auditor, role, clerk, definer, stranger) = ($"app_{suffix}", $"reader_{suffix}", $"audit'or_{suffix}", $"rw_{suffix}", $"clerk_{suffix}", $"def_{suffix}", $"other_{suffix}");
        var database = fixture.NewDatabaseName("accounts");
        var elsewhere = fixture.NewDatabaseName("accounts_elsewhere");
        await server.ExecuteAsync(null, $"""
            CREATE DATABASE {database}; CREATE DATABASE {elsewhere};
            CREATE TABLE {database}.orders (id int PRIMARY KEY, note varchar(20)); INSERT INTO {database}.orders VALUES (1, 'a');
            CREATE USER '{app}'@'%'; GRANT SELECT, INSERT ON {database}.* TO '{app}'@'%';
            CREATE USER '{reader}'@'10.0.%'; GRANT SELECT ON {database}.orders TO '{reader}'@'10.0.%';
            CREATE USER '{auditor.Replace("'", "''", StringComparison.Ordinal)}'@'localhost'; GRANT SELECT (id) ON {database}.orders TO '{auditor.Replace("'", "''", StringComparison.Ordinal)}'@'localhost';
            CREATE ROLE {role}; GRANT UPDATE ON {database}.* TO {role};
            CREATE USER '{clerk}'@'%'; GRANT {role} TO '{clerk}'@'%';
            CREATE USER '{definer}'@'%'; GRANT SELECT ON {database}.* TO '{definer}'@'%';
            CREATE DEFINER = '{definer}'@'%' SQL SECURITY DEFINER VIEW {database}.order_ids AS SELECT id FROM {database}.orders;
            CREATE USER '{stranger}'@'%'; GRANT SELECT ON {elsewhere}.* TO '{stranger}'@'%';
            """);
        await using var repo = await TestRepository.CreateAsync();
        var source = new MySqlSourceOptions { ConnectionString = server.ConnectionString(database), Password = MariaDbServer.Password, Method = method };
        var snapshot = (await repo.Service.BackupAsync(new MySqlSource(source))).Snapshot;

        snapshot.Metadata.Should().NotContainKey("mysql.accounts_unreadable");
        using (var recorded = JsonDocument.Parse(snapshot.Metadata[$"mysql.accounts.{database}"]))
        {
            recorded.RootElement.GetProperty("accounts").EnumerateArray().Select(e => $"{e.GetProperty("user").GetString()}@{e.GetProperty("host").GetString()}").Should().BeEquivalentTo(
                [$"{app}@%", $"{reader}@10.0.%", $"{auditor}@localhost", $"{role}@", $"{clerk}@%", $"{definer}@%"],
                "database-, table- and column-level grants, the role and the account granted it; not the account of another database, nor the global ones");
            recorded.RootElement.GetProperty("definers").EnumerateArray().Select(e => $"{e.GetProperty("user").GetString()}@{e.GetProperty("host").GetString()}").Should().Equal([$"{definer}@%"]);
        }

        var engine = new MySqlEngine();
        var target = new DatabaseRestoreSettings { Location = server.ConnectionString(fixture.NewDatabaseName("not_there_yet")), Password = MariaDbServer.Password };
        var present = await engine.CheckRolesAsync(snapshot, target);
        present.Known.Should().BeTrue();
        present.Database.Should().Be(database);
        present.Needed.Should().Contain([$"'{app}'@'%'", $"'{role}'", $"'audit''or_{suffix}'@'localhost'"]).And.HaveCount(6);
        present.Missing.Should().BeEmpty("the server has every account the snapshot needs");
        present.Advice.Should().BeNull();

        // The server a recovery would restore into lacks the role and the reader, and has the reader for another host only.
        await server.ExecuteAsync(null, $"DROP ROLE {role}; DROP USER '{reader}'@'10.0.%'; CREATE USER '{reader}'@'%'; DROP USER '{definer}'@'%';");

        var lacking = await engine.CheckRolesAsync(snapshot, target);

        lacking.Known.Should().BeTrue();
        lacking.Missing.Should().Equal(new[] { $"'{definer}'@'%'", $"'{reader}'@'10.0.%'", $"'{role}'" }.Order(StringComparer.Ordinal));
        lacking.Advice.Should().Contain($"'{reader}'@'10.0.%' (it has '{reader}'@'%': another account")
            .And.Contain("defined by").And.Contain($"'{definer}'@'%'")
            .And.Contain("SHOW CREATE USER").And.Contain("SHOW GRANTS FOR").And.Contain("A restore into it succeeds")
            .And.NotContain(app).And.NotContain(stranger);
    }

    /// <summary>A backup user that may not read the mysql schema still backs up: the accounts are unknown, said once in the backup's log and by every check.</summary>
    [SkippableTheory]
    [InlineData(MySqlBackupMethod.Dump)]
    [InlineData(MySqlBackupMethod.DriverOnly)]
    public async Task A_backup_user_that_may_not_read_the_grant_tables_records_the_accounts_as_unknown_and_the_backup_succeeds(MySqlBackupMethod method)
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("accounts_limited");
        var user = $"lim_{Guid.NewGuid().ToString("N")[..8]}";
        await server.ExecuteAsync(null, $"""
            CREATE DATABASE {database}; CREATE TABLE {database}.t (id int PRIMARY KEY); INSERT INTO {database}.t VALUES (1);
            CREATE USER '{user}'@'%' IDENTIFIED BY 'Lim-1-pass'; GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON {database}.* TO '{user}'@'%';
            """);
        var source = new MySqlSourceOptions
        {
            ConnectionString = server.ConnectionString(database).Replace("User ID=tester", $"User ID={user}", StringComparison.Ordinal),
            Password = "Lim-1-pass",
            Method = method,
        };
        await using var repo = await TestRepository.CreateAsync();
        using var log = new LogCapture();
        using var factory = LoggerFactory.Create(b => b.AddProvider(log));

        var snapshot = (await repo.Service.BackupAsync(new MySqlSource(source, factory.CreateLogger<MySqlSource>()))).Snapshot;

        snapshot.Metadata.Keys.Should().NotContain(k => k.StartsWith("mysql.accounts.", StringComparison.Ordinal));
        snapshot.Metadata["mysql.accounts_unreadable"].Should().Contain("denied");
        log.Messages.Where(m => m.Contains("may not read the grant tables", StringComparison.Ordinal)).Should().ContainSingle();
        var check = await new MySqlEngine().CheckRolesAsync(snapshot, new DatabaseRestoreSettings { Location = server.ConnectionString(), Password = MariaDbServer.Password });
        check.Known.Should().BeFalse();
        check.Needed.Should().BeEmpty();
        check.Advice.Should().Contain("could not read the grant tables").And.Contain("SELECT on mysql.db");
    }

    [SkippableFact]
    public async Task A_snapshot_from_before_accounts_were_recorded_says_they_are_unknown()
    {
        var server = fixture.Require();
        var check = await new MySqlEngine().CheckRolesAsync(Forged(null), new DatabaseRestoreSettings { Location = server.ConnectionString(), Password = MariaDbServer.Password });

        check.Known.Should().BeFalse();
        check.Advice.Should().Contain("taken before backups recorded them").And.Contain("next backup records them");
    }

    /// <summary>
    /// Anyone who holds the password can write a snapshot: a record that is not the list of accounts a backup writes
    /// is unknown, not a crash and not an account to look for or to quote in advice.
    /// </summary>
    [SkippableTheory]
    [InlineData("""{"accounts":[null],"definers":[]}""")]
    [InlineData("""{"accounts":null,"definers":[]}""")]
    [InlineData("""{"accounts":[{"user":"","host":"%"}],"definers":[]}""")]
    [InlineData("""{"accounts":[{"user":"app","host":null}],"definers":[]}""")]
    [InlineData("""{"accounts":[{"user":"app"}],"definers":[]}""")]
    [InlineData("""{"accounts":[],"definers":[{"user":"app\u001b[2J","host":"%"}]}""")]
    [InlineData("""{"accounts":[{"user":"app","host":"%"}],"definers":[7]}""")]
    [InlineData("""["app@%"]""")]
    [InlineData("not json")]
    public async Task A_malformed_account_record_is_unknown(string recorded)
    {
        var server = fixture.Require();

        var check = await new MySqlEngine().CheckRolesAsync(Forged(recorded), new DatabaseRestoreSettings { Location = server.ConnectionString(), Password = MariaDbServer.Password });

        check.Known.Should().BeFalse();
        check.Needed.Should().BeEmpty();
        check.Advice.Should().Contain("does not record the accounts");
    }

    /// <summary>A well-formed record may still name anything: it never reaches the server, and the advice quotes it as SQL reads it.</summary>
    [SkippableFact]
    public async Task A_hostile_account_name_is_looked_for_without_reaching_the_server_and_quoted_in_the_advice()
    {
        var server = fixture.Require();
        const string Hostile = """x' OR '1'='1'; DROP USER 'tester'@'%'; -- \""";

        var check = await new MySqlEngine().CheckRolesAsync(
            Forged(JsonSerializer.Serialize(new { accounts = new[] { new { user = Hostile, host = "%" } }, definers = Array.Empty<object>() })),
            new DatabaseRestoreSettings { Location = server.ConnectionString(), Password = MariaDbServer.Password });

        check.Known.Should().BeTrue();
        check.Missing.Should().Equal(["""'x'' OR ''1''=''1''; DROP USER ''tester''@''%''; -- \\'@'%'"""]);
        check.Advice.Should().Contain("""CREATE USER 'x'' OR ''1''=''1''; DROP USER ''tester''@''%''; -- \\'@'%' IDENTIFIED BY '…';""");
        (await server.ScalarAsync(null, "SELECT COUNT(*) FROM mysql.user WHERE User = 'tester'")).Should().Be(1L);
    }

    private static Snapshot Forged(string? accounts)
    {
        var metadata = new Dictionary<string, string> { ["mysql.databases"] = "[\"app\"]" };
        if (accounts is not null)
        {
            metadata["mysql.accounts.app"] = accounts;
        }

        return new Snapshot { Hostname = "forged", SourceKind = "mysql", Metadata = metadata };
    }
}
