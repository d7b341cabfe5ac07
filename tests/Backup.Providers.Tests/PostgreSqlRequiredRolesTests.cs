using System.Text.Json;
using Backup.Core.Snapshots;
using Backup.Providers.PostgreSql;
using Backup.Providers.Tests.Servers;

namespace Backup.Providers.Tests;

/// <summary>
/// A snapshot of one database holds no roles, yet its restore needs the roles its grants, default privileges and
/// policies name. Backups record them from the catalog, whatever the method, and a server can then be checked for
/// them before a recovery into it has to find one missing; a snapshot from before they were recorded says it cannot tell.
/// </summary>
public sealed class PostgreSqlRequiredRolesTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    [SkippableTheory]
    [InlineData(PostgreSqlBackupMethod.Parallel, PostgreSqlDumpFormat.Custom)]
    [InlineData(PostgreSqlBackupMethod.PgDump, PostgreSqlDumpFormat.Custom)]
    [InlineData(PostgreSqlBackupMethod.PgDump, PostgreSqlDumpFormat.Plain)]
    [InlineData(PostgreSqlBackupMethod.DriverOnly, PostgreSqlDumpFormat.Custom)]
    public async Task A_snapshot_records_the_roles_its_database_needs_and_a_server_lacking_one_is_told_which(PostgreSqlBackupMethod method, PostgreSqlDumpFormat format)
    {
        var server = fixture.Require();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (reader, auditor, writer, owner) = ($"reader_{suffix}", $"Auditor {suffix}", $"writer_{suffix}", $"owner_{suffix}");
        await server.ExecuteAsync("postgres", $"CREATE ROLE {reader} NOLOGIN; CREATE ROLE \"{auditor}\" NOLOGIN; CREATE ROLE {writer} NOLOGIN; CREATE ROLE {owner} NOLOGIN");
        var database = fixture.NewDatabaseName("roles");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, $"""
            CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 5);
            GRANT SELECT ON orders TO {reader};
            ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
            CREATE POLICY audit ON orders FOR SELECT TO "{auditor}" USING (true);
            ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT INSERT ON TABLES TO {writer};
            CREATE TABLE notes (id int); ALTER TABLE notes OWNER TO {owner};
            """);
        await using var repo = await TestRepository.CreateAsync();
        var source = new PostgreSqlSourceOptions { ConnectionString = server.ConnectionString(database), Password = PostgresServer.Password, Method = method, Format = format };
        var snapshot = (await repo.Service.BackupAsync(new PostgreSqlSource(source))).Snapshot;

        using (var recorded = JsonDocument.Parse(snapshot.Metadata[$"postgresql.roles.{database}"]))
        {
            recorded.RootElement.GetProperty("granted").EnumerateArray().Select(e => e.GetString()).Should().Equal(new[] { auditor, reader, writer }.Order(StringComparer.Ordinal));
            recorded.RootElement.GetProperty("owners").EnumerateArray().Select(e => e.GetString()).Should().Equal([owner], "an owner alone is needed only by a restore that keeps ownership");
        }

        var engine = new PostgreSqlEngine();
        var target = new DatabaseRestoreSettings { Location = server.ConnectionString(fixture.NewDatabaseName("not_there_yet")), Password = PostgresServer.Password };
        var present = await engine.CheckRolesAsync(snapshot, target);
        present.Known.Should().BeTrue();
        present.Database.Should().Be(database);
        present.Needed.Should().Equal(new[] { auditor, reader, writer }.Order(StringComparer.Ordinal));
        present.Missing.Should().BeEmpty("the server has every role the snapshot needs");
        present.Advice.Should().BeNull();

        // The server the snapshot would be restored into lacks two of them (and the owner, which the restore does not need).
        await server.ExecuteAsync(database, $"DROP OWNED BY {reader}, \"{auditor}\", {owner}");
        await server.ExecuteAsync("postgres", $"DROP ROLE {reader}; DROP ROLE \"{auditor}\"; DROP ROLE {owner}");

        var lacking = await engine.CheckRolesAsync(snapshot, target);

        lacking.Known.Should().BeTrue();
        lacking.Missing.Should().Equal(new[] { auditor, reader }.Order(StringComparer.Ordinal));
        lacking.Advice.Should().Contain($"'{reader}'").And.Contain($"'{auditor}'").And.NotContain(owner)
            .And.Contain($"CREATE ROLE \"{reader}\";").And.Contain($"CREATE ROLE \"{auditor}\";")
            .And.Contain("globals.sql of an --all-databases snapshot");
    }

    [SkippableFact]
    public async Task A_snapshot_from_before_roles_were_recorded_says_they_are_unknown()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("roles_old");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, "CREATE TABLE t (id int)");
        await using var repo = await TestRepository.CreateAsync();
        var source = new PostgreSqlSourceOptions { ConnectionString = server.ConnectionString(database), Password = PostgresServer.Password };
        var taken = (await repo.Service.BackupAsync(new PostgreSqlSource(source))).Snapshot;
        taken.Metadata.Should().ContainKey($"postgresql.roles.{database}");
        var old = taken with { Metadata = taken.Metadata.Where(m => !m.Key.StartsWith("postgresql.roles.", StringComparison.Ordinal)).ToDictionary() };

        var check = await new PostgreSqlEngine().CheckRolesAsync(old, new DatabaseRestoreSettings { Location = server.ConnectionString(), Password = PostgresServer.Password });

        check.Known.Should().BeFalse();
        check.Missing.Should().BeEmpty();
        check.Advice.Should().Contain("does not record the roles").And.Contain("unknown").And.Contain("next backup records them");
    }

    /// <summary>
    /// Anyone who holds the password can write a snapshot: a role list with a JSON null (or an empty name) in it is a
    /// record that cannot be read, reported as unknown, not a NullReferenceException while the advice is built.
    /// </summary>
    [SkippableTheory]
    [InlineData("""{"granted":[null,"someone"],"owners":[]}""")]
    [InlineData("""{"granted":["someone"],"owners":[null]}""")]
    [InlineData("""{"granted":[""],"owners":[]}""")]
    public async Task A_role_record_with_a_null_or_empty_name_is_unknown(string recorded)
    {
        var server = fixture.Require();
        var snapshot = new Snapshot
        {
            Hostname = "forged",
            SourceKind = "postgresql",
            Metadata = new Dictionary<string, string>
            {
                ["postgresql.databases"] = "[\"app\"]",
                ["postgresql.roles.app"] = recorded,
            },
        };

        var check = await new PostgreSqlEngine().CheckRolesAsync(snapshot, new DatabaseRestoreSettings { Location = server.ConnectionString(), Password = PostgresServer.Password });

        check.Known.Should().BeFalse();
        check.Needed.Should().BeEmpty();
        check.Advice.Should().Contain("does not record the roles");
    }

    [SkippableFact]
    public async Task An_all_databases_snapshot_points_at_its_own_globals()
    {
        var server = fixture.Require();
        var role = $"grantee_{Guid.NewGuid().ToString("N")[..8]}";
        await server.ExecuteAsync("postgres", $"CREATE ROLE {role} NOLOGIN");
        var database = fixture.NewDatabaseName("roles_all");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, $"CREATE TABLE t (id int); GRANT SELECT ON t TO {role}");
        var snapshot = new Snapshot
        {
            Hostname = "old-server",
            SourceKind = "postgresql",
            Metadata = new Dictionary<string, string>
            {
                ["postgresql.databases"] = $"[\"{database}\"]",
                ["postgresql.globals"] = "globals.sql",
                [$"postgresql.roles.{database}"] = $$"""{"granted":["{{role}}"],"owners":[]}""",
            },
        };
        await server.ExecuteAsync(database, $"DROP OWNED BY {role}");
        await server.ExecuteAsync("postgres", $"DROP ROLE {role}");

        var check = await new PostgreSqlEngine().CheckRolesAsync(snapshot, new DatabaseRestoreSettings { Location = server.ConnectionString(), Password = PostgresServer.Password });

        check.Missing.Should().Equal([role]);
        check.Advice.Should().Contain("this snapshot's own globals.sql");
    }
}
