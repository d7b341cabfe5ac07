using System.Text.Json;
using Backup.Providers.Tests.Servers;

namespace Backup.Cli.Tests;

/// <summary>create --postgres, restore --to-postgres and verify --scratch against a real PostgreSQL server.</summary>
public sealed class PostgreSqlCliTests : IClassFixture<PostgresFixture>, IDisposable
{
    private const string Schema = """
        CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(12, 4), payload bytea, seen timestamptz);
        CREATE TABLE notes (id serial PRIMARY KEY, item_id int REFERENCES items (id), body text);
        INSERT INTO items SELECT g, 'item ' || g || ' ✓ 日本', g * 1.0001, decode(md5(g::text), 'hex'), timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute'
            FROM generate_series(1, 2000) g;
        INSERT INTO notes (item_id, body) SELECT g, repeat('n', g % 50) FROM generate_series(1, 500) g;
        CREATE VIEW cheap AS SELECT id, name FROM items WHERE price < 10;
        """;

    private const string Fingerprint = "SELECT md5(string_agg(i::text, ',' ORDER BY i.id)) || md5(coalesce((SELECT string_agg(n::text, ',' ORDER BY n.id) FROM notes n), '')) FROM items i";

    private readonly PostgresFixture _fixture;
    private readonly CliRunner _cli = new();

    public PostgreSqlCliTests(PostgresFixture fixture)
    {
        _fixture = fixture;
        _cli.Environment["BACKUP_DB_PASSWORD"] = PostgresServer.Password;
    }

    public void Dispose() => _cli.Dispose();

    private async Task<string> CreateDatabaseAsync(PostgresServer server, string prefix)
    {
        var database = _fixture.NewDatabaseName(prefix);
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, Schema);
        return database;
    }

    [SkippableFact]
    public async Task Create_postgres_then_restore_to_postgres_into_a_new_database_gives_the_same_rows()
    {
        var server = _fixture.Require();
        var database = await CreateDatabaseAsync(server, "cli_pg");
        await _cli.InitAsync();

        var id = DatabaseCli.SnapshotId(await _cli.RunAsync("create", "--postgres", server.ConnectionString(database), "--tag", "db", "--json"));
        var target = _fixture.NewDatabaseName("cli_pg_restored");
        var restore = await _cli.RunAsync("restore", id[..8], "--to-postgres", server.ConnectionString(), "--database", target);

        restore.ExitCode.Should().Be(0, restore.Stderr);
        restore.Stdout.Should().Contain($"into '{target}'");
        (await server.ScalarAsync(target, Fingerprint)).Should().Be(await server.ScalarAsync(database, Fingerprint));
        (await server.ScalarAsync(target, "SELECT count(*) FROM cheap")).Should().Be(await server.ScalarAsync(database, "SELECT count(*) FROM cheap"));
        var snapshots = await _cli.RunAsync("snapshots", "--json");
        JsonDocument.Parse(snapshots.Stdout).RootElement[0].GetProperty("sourceKind").GetString().Should().Be("postgresql");

        var again = await _cli.RunAsync("restore", "latest", "--to-postgres", server.ConnectionString(), "--database", target);
        again.ExitCode.Should().Be(2, "an existing target is refused before anything is done, as for SQLite and MariaDB");
        again.Stderr.Should().Contain($"backup: usage error: Database '{target}' already exists (nothing was changed). --clean restores over it: it drops the snapshot's tables there")
            .And.Contain("Or restore into another database with --database NAME.")
            .And.NotContain("Clean ", "the tool names its own option, not the library's");
        await server.ExecuteAsync(target, "DELETE FROM notes; DELETE FROM items WHERE id > 10;");
        var clean = await _cli.RunAsync("restore", "latest", "--to-postgres", server.ConnectionString(target), "--clean");
        clean.ExitCode.Should().Be(0, clean.Stderr);
        (await server.ScalarAsync(target, Fingerprint)).Should().Be(await server.ScalarAsync(database, Fingerprint));
    }

    [SkippableFact]
    public async Task Restore_latest_takes_its_engines_newest_snapshot_and_refuses_to_choose_between_databases()
    {
        var server = _fixture.Require();
        var shop = await CreateDatabaseAsync(server, "cli_pg_latest_shop");
        await _cli.InitAsync();
        var shopId = DatabaseCli.SnapshotId(await _cli.RunAsync("create", "--postgres", server.ConnectionString(shop), "--json"));
        Directory.CreateDirectory(_cli.PathOf("files"));
        await File.WriteAllTextAsync(_cli.PathOf("files/a.txt"), "not a database");
        (await _cli.RunAsync("create", _cli.PathOf("files"))).ExitCode.Should().Be(0);

        var pastTheFiles = _fixture.NewDatabaseName("cli_pg_latest_restored");
        var restored = await _cli.RunAsync("restore", "latest", "--to-postgres", server.ConnectionString(), "--database", pastTheFiles);

        restored.ExitCode.Should().Be(0, restored.Stderr);
        restored.Stdout.Should().Contain($"from snapshot {shopId[..8]}");
        (await server.ScalarAsync(pastTheFiles, Fingerprint)).Should().Be(await server.ScalarAsync(shop, Fingerprint));

        var billing = _fixture.NewDatabaseName("cli_pg_latest_billing");
        await server.CreateDatabaseAsync(billing);
        await server.ExecuteAsync(billing, "CREATE TABLE invoices (id int PRIMARY KEY); INSERT INTO invoices VALUES (1);");
        (await _cli.RunAsync("create", "--postgres", server.ConnectionString(billing))).ExitCode.Should().Be(0);
        var shopPath = JsonDocument.Parse((await _cli.RunAsync("snapshots", "--json")).Stdout).RootElement.EnumerateArray()
            .Single(s => s.GetProperty("id").GetString() == shopId).GetProperty("paths")[0].GetString()!;

        var guessed = _fixture.NewDatabaseName("cli_pg_latest_guessed");
        var ambiguous = await _cli.RunAsync("restore", "latest", "--to-postgres", server.ConnectionString(), "--database", guessed, "--clean");
        var chosen = _fixture.NewDatabaseName("cli_pg_latest_chosen");
        var byPath = await _cli.RunAsync("restore", "latest", "--path", shopPath, "--to-postgres", server.ConnectionString(), "--database", chosen);

        ambiguous.ExitCode.Should().Be(2, ambiguous.Stderr);
        ambiguous.Stderr.Should().Contain("'latest' is ambiguous").And.Contain(shopPath).And.Contain("/" + billing).And.Contain("--path");
        (await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{guessed}'")).Should().Be(0L);
        byPath.ExitCode.Should().Be(0, byPath.Stderr);
        (await server.ScalarAsync(chosen, Fingerprint)).Should().Be(await server.ScalarAsync(shop, Fingerprint));
    }

    [SkippableFact]
    public async Task A_restore_into_the_wrong_server_or_without_a_database_name_says_what_to_check()
    {
        var server = _fixture.Require();
        var database = await CreateDatabaseAsync(server, "cli_pg_wrong_target");
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "--postgres", server.ConnectionString(database))).ExitCode.Should().Be(0);
        var nobodyListens = $"Host=127.0.0.1;Port={ServerProcess.FreePort()};Username=postgres";

        var unreachable = await _cli.RunAsync("restore", "latest", "--to-postgres", nobodyListens, "--database", "anything");
        var wrongPassword = await _cli.RunAsync(["restore", "latest", "--to-postgres", server.ConnectionString(), "--database", "anything"], null,
            new Dictionary<string, string?> { ["BACKUP_DB_PASSWORD"] = "Not-The-Password-77" });
        var unnamed = await _cli.RunAsync("restore", "latest", "--to-postgres", $"Host=127.0.0.1;Port={server.Port};Username=postgres");

        unreachable.ExitCode.Should().Be(1, unreachable.Stderr);
        unreachable.Stderr.Should().Contain("cannot reach the PostgreSQL server at 127.0.0.1:").And.Contain("check that it is running");

        wrongPassword.ExitCode.Should().Be(1);
        wrongPassword.Stderr.Should().Contain($"the PostgreSQL server at 127.0.0.1:{server.Port} refused the sign-in").And.Contain("pg_hba.conf").And.NotContain("Not-The-Password-77");
        unnamed.ExitCode.Should().Be(2);
        unnamed.Stderr.Should().Contain("--database NAME").And.NotContain("TargetDatabase", "the tool names its own option, not the library's");
    }

    /// <summary>
    /// A stdin snapshot stored under a name ('dump.sql': a pg_dump piped in) is not a PostgreSQL snapshot, and
    /// 'latest --path dump.sql --to-postgres' must not restore it. With no PostgreSQL snapshot of that path, 'latest' is the
    /// newest snapshot of it whatever its kind only to say which option restores it: nothing is restored, and the server
    /// is not touched. Without --path, the stdin snapshot, though newer, is passed over for the PostgreSQL one.
    /// </summary>
    [SkippableFact]
    public async Task Restore_latest_with_a_path_never_restores_a_stdin_snapshot_of_that_name()
    {
        var server = _fixture.Require();
        var shop = await CreateDatabaseAsync(server, "cli_pg_latest_stdin");
        await _cli.InitAsync();
        var shopId = DatabaseCli.SnapshotId(await _cli.RunAsync("create", "--postgres", server.ConnectionString(shop), "--json"));
        var dumpId = DatabaseCli.SnapshotId(await _cli.RunAsync(["create", "--stdin", "--stdin-name", "dump.sql", "--json"], "CREATE TABLE from_the_stream (id int);"u8.ToArray()));

        var target = _fixture.NewDatabaseName("cli_pg_latest_stdin_named");
        var byName = await _cli.RunAsync("restore", "latest", "--path", "dump.sql", "--to-postgres", server.ConnectionString(), "--database", target);
        var newest = _fixture.NewDatabaseName("cli_pg_latest_stdin_newest");
        var ofTheEngine = await _cli.RunAsync("restore", "latest", "--to-postgres", server.ConnectionString(), "--database", newest);

        byName.ExitCode.Should().Be(2, byName.Stderr);
        byName.Stderr.Should().Contain($"Snapshot {dumpId[..8]} is a 'stream' backup, not a database; restore it with --target DIR.");
        (await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{target}'")).Should().Be(0L, "nothing is restored from a stdin snapshot");
        ofTheEngine.ExitCode.Should().Be(0, ofTheEngine.Stderr);
        ofTheEngine.Stdout.Should().Contain($"from snapshot {shopId[..8]}");
    }

    /// <summary>
    /// Two hosts that each back up their own server as 127.0.0.1 record the same path: two databases all the same, and
    /// 'latest' of one host's must not restore the other's (with --clean, over it).
    /// </summary>
    [SkippableFact]
    public async Task Restore_latest_refuses_to_choose_between_the_same_local_path_backed_up_on_two_hosts()
    {
        var server = _fixture.Require();
        var shop = await CreateDatabaseAsync(server, "cli_pg_latest_hosts");
        await _cli.InitAsync();
        var web1 = DatabaseCli.SnapshotId(await _cli.RunAsync("create", "--postgres", server.ConnectionString(shop), "--host", "web1", "--json"));
        await server.ExecuteAsync(shop, "DELETE FROM notes;");
        (await _cli.RunAsync("create", "--postgres", server.ConnectionString(shop), "--host", "web2")).ExitCode.Should().Be(0);

        var guessed = _fixture.NewDatabaseName("cli_pg_latest_hosts_guessed");
        var ambiguous = await _cli.RunAsync("restore", "latest", "--to-postgres", server.ConnectionString(), "--database", guessed);
        var chosen = _fixture.NewDatabaseName("cli_pg_latest_hosts_chosen");
        var byHost = await _cli.RunAsync("restore", "latest", "--host", "web1", "--to-postgres", server.ConnectionString(), "--database", chosen);

        ambiguous.ExitCode.Should().Be(2, ambiguous.Stderr);
        ambiguous.Stderr.Should().Contain("'latest' is ambiguous").And.Contain("on host 'web1'").And.Contain("on host 'web2'").And.Contain("--host");
        (await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{guessed}'")).Should().Be(0L);
        byHost.ExitCode.Should().Be(0, byHost.Stderr);
        byHost.Stdout.Should().Contain($"from snapshot {web1[..8]}");
    }

    [SkippableFact]
    public async Task Restore_with_table_restores_only_that_table()
    {
        var server = _fixture.Require();
        var database = await CreateDatabaseAsync(server, "cli_pg_tables");
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "--postgres", server.ConnectionString(database))).ExitCode.Should().Be(0);
        var target = _fixture.NewDatabaseName("cli_pg_one_table");

        var restore = await _cli.RunAsync("restore", "latest", "--to-postgres", server.ConnectionString(target), "--table", "items");

        restore.ExitCode.Should().Be(0, restore.Stderr);
        (await server.ScalarAsync(target, "SELECT count(*) FROM items")).Should().Be(2000L);
        (await server.ScalarAsync(target, "SELECT count(*) FROM pg_class WHERE relname = 'notes'")).Should().Be(0L);

        // A name the snapshot lacks restores nothing, and says so.
        var typo = await _cli.RunAsync("restore", "latest", "--to-postgres", server.ConnectionString(_fixture.NewDatabaseName("cli_pg_typo")), "--table", "item");
        typo.ExitCode.Should().Be(1, typo.Stderr);
        typo.Stderr.Should().Contain("no table named 'item'").And.Contain("items, notes");
    }

    [SkippableFact]
    public async Task Restore_to_postgres_with_verify_compares_the_restored_tables_and_with_table_only_those()
    {
        var server = _fixture.Require();
        var database = await CreateDatabaseAsync(server, "cli_pg_rv");
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "--postgres", server.ConnectionString(database))).ExitCode.Should().Be(0);
        var whole = _fixture.NewDatabaseName("cli_pg_rv_whole");
        var one = _fixture.NewDatabaseName("cli_pg_rv_one");

        var all = await _cli.RunAsync("restore", "latest", "--to-postgres", server.ConnectionString(), "--database", whole, "--verify");
        var items = await _cli.RunAsync("restore", "latest", "--to-postgres", server.ConnectionString(), "--database", one, "--table", "items", "--verify");
        var refused = await _cli.RunAsync("restore", "latest", "--to-postgres", server.ConnectionString(), "--check-roles", "--verify");

        all.ExitCode.Should().Be(0, all.Stderr);
        all.Stdout.Should().MatchRegex($"Verified '{whole}': [0-9]+ tables and 25[0-9][0-9] rows as recorded at backup time\\.", "items, notes and the notes' sequence");
        items.ExitCode.Should().Be(0, items.Stderr);
        items.Stdout.Should().Contain($"Verified '{one}': 1 table and 2000 rows as recorded at backup time.");
        refused.ExitCode.Should().Be(2);
        refused.Stderr.Should().Contain("--check-roles restores nothing");
    }

    [SkippableFact]
    public async Task Restore_verify_names_a_differing_table_in_the_database_restored_into_and_compares_a_restored_tables_sequence()
    {
        var server = _fixture.Require();
        var database = await CreateDatabaseAsync(server, "cli_pg_rvn");
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "--postgres", server.ConnectionString(database))).ExitCode.Should().Be(0);
        var target = _fixture.NewDatabaseName("cli_pg_rvn_into");
        await server.CreateDatabaseAsync(target);
        await server.ExecuteAsync(target, "CREATE TABLE extra (x int); INSERT INTO extra VALUES (1);");
        var notes = _fixture.NewDatabaseName("cli_pg_rvn_notes");

        var human = await _cli.RunAsync("restore", "latest", "--to-postgres", server.ConnectionString(), "--database", target, "--clean", "--verify");
        var json = await _cli.RunAsync("restore", "latest", "--to-postgres", server.ConnectionString(), "--database", target, "--clean", "--verify", "--json");
        var serial = await _cli.RunAsync("restore", "latest", "--to-postgres", server.ConnectionString(), "--database", notes, "--table", "notes", "--table", "items", "--verify");

        var line = $"{target}.public.extra: not in the snapshot, 1 row found (there before the restore, or created since)";
        human.ExitCode.Should().Be(3, human.Stderr);
        human.Stderr.Should().Contain($"table differs: {line}").And.NotContain($"{database}.public.extra")
            .And.Contain($"error: '{target}' holds 1 table that the snapshot's database '{database}' does not; the 3 tables it does hold are as recorded at backup time.")
            .And.Contain("drop them if they do not belong there, or restore into a new database with --database NAME.")
            .And.NotContain("did not arrive intact", "the snapshot's tables are as recorded: another snapshot would not help")
            .And.NotContain("restore again with --clean", "--clean keeps a table the snapshot does not hold, so it would fail the same way");
        json.ExitCode.Should().Be(3, json.Stderr);
        var verification = JsonDocument.Parse(json.Stdout).RootElement.GetProperty("verification");
        verification.GetProperty("mismatches").EnumerateArray().Select(e => e.GetString()).Should().Equal(line);
        var difference = verification.GetProperty("differences").EnumerateArray().Should().ContainSingle().Subject;
        (difference.GetProperty("database").GetString(), difference.GetProperty("sourceDatabase").GetString(), difference.GetProperty("table").GetString(), difference.GetProperty("kind").GetString())
            .Should().Be((target, database, "public.extra", "notInSnapshot"));
        difference.GetProperty("expectedRows").ValueKind.Should().Be(JsonValueKind.Null);
        difference.GetProperty("foundRows").GetInt64().Should().Be(1);
        difference.GetProperty("expectedChecksum").ValueKind.Should().Be(JsonValueKind.Null);
        difference.GetProperty("message").GetString().Should().Be(line);
        serial.ExitCode.Should().Be(0, serial.Stderr);
        serial.Stdout.Should().Contain($"Verified '{notes}': 3 tables and 2501 rows as recorded at backup time.", "notes, items (which notes references) and the sequence of notes' serial column, a table of one row");
    }

    [SkippableFact]
    public async Task Verify_with_a_scratch_server_compares_every_table_and_reports_the_restore_time()
    {
        var server = _fixture.Require();
        var database = await CreateDatabaseAsync(server, "cli_pg_verify");
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "--postgres", server.ConnectionString(database), "--driver-only")).ExitCode.Should().Be(0);

        var human = await _cli.RunAsync("verify", "latest", "--scratch", server.ConnectionString());
        var json = await _cli.RunAsync("verify", "--scratch", server.ConnectionString(), "--json");

        human.ExitCode.Should().Be(0, human.Stderr);
        human.Stdout.Should().Contain("3 tables compared, 0 differ, 0 integrity findings", "two tables and the serial column's sequence").And.Contain("Achieved RTO");
        json.ExitCode.Should().Be(0, json.Stderr);
        var root = JsonDocument.Parse(json.Stdout).RootElement;
        root.GetProperty("success").GetBoolean().Should().BeTrue();
        root.GetProperty("tablesCompared").GetInt32().Should().Be(3);
        root.GetProperty("restoreDurationSeconds").GetDouble().Should().BePositive();
        root.GetProperty("databases").EnumerateArray().Select(e => e.GetString()).Should().Equal(database);
        (await server.ScalarAsync("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'backup_verify%'")).Should().Be(0L, "the scratch databases are dropped");

        var noScratch = await _cli.RunAsync("verify", "latest");
        noScratch.ExitCode.Should().Be(2);
        noScratch.Stderr.Should().Contain("--scratch CONNSTRING");
    }

    [SkippableFact]
    public async Task Verify_with_a_directory_for_scratch_says_a_connection_string_is_needed()
    {
        var server = _fixture.Require();
        var database = await CreateDatabaseAsync(server, "cli_pg_scratch_dir");
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "--postgres", server.ConnectionString(database))).ExitCode.Should().Be(0);
        Directory.CreateDirectory(_cli.PathOf("scratch"));

        var verify = await _cli.RunAsync("verify", "latest", "--scratch", _cli.PathOf("scratch"));

        verify.ExitCode.Should().Be(2, verify.Stderr);
        verify.Stderr.Should().Contain("is a PostgreSQL backup: --scratch takes the connection string").And.Contain("not a directory").And.NotContain("malformed");
    }

    [SkippableFact]
    public async Task Verify_runs_the_snapshot_as_a_scratch_role_unless_its_sql_is_trusted()
    {
        var server = _fixture.Require();
        var database = await CreateDatabaseAsync(server, "cli_pg_trust");
        await server.ExecuteAsync(database, "CREATE EXTENSION dblink");
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "--postgres", server.ConnectionString(database))).ExitCode.Should().Be(0);

        var scratch = await _cli.RunAsync("verify", "latest", "--scratch", server.ConnectionString());
        var trusted = await _cli.RunAsync("verify", "latest", "--scratch", server.ConnectionString(), "--trust-snapshot-sql");

        scratch.ExitCode.Should().Be(4, scratch.Stderr);
        scratch.Stderr.Should().Contain("'dblink'").And.Contain("UseScratchRole");
        trusted.ExitCode.Should().Be(0, trusted.Stderr);
        trusted.Stdout.Should().Contain("superuser");
        (await _cli.RunAsync("verify", "latest", "--trust-snapshot-sql")).ExitCode.Should().Be(2, "a database snapshot needs --scratch");
    }

    [SkippableFact]
    public async Task The_password_comes_from_a_file_or_PGPASSWORD_and_one_in_the_connection_string_draws_a_warning()
    {
        var server = _fixture.Require();
        var database = await CreateDatabaseAsync(server, "cli_pg_pw");
        await _cli.InitAsync();
        _cli.Environment["BACKUP_DB_PASSWORD"] = null;
        var file = _cli.PathOf("dbpw");
        await File.WriteAllTextAsync(file, PostgresServer.Password + "\n");

        var fromFile = await _cli.RunAsync("create", "--postgres", server.ConnectionString(database), "--db-password-file", file);
        var fromPgPassword = await _cli.RunAsync(["create", "--postgres", server.ConnectionString(database)], null, new() { ["PGPASSWORD"] = PostgresServer.Password });
        var inline = await _cli.RunAsync("create", "--postgres", server.ConnectionString(database) + $";Password={PostgresServer.Password}");

        fromFile.ExitCode.Should().Be(0, fromFile.Stderr);
        fromFile.Stderr.Should().BeEmpty();
        fromPgPassword.ExitCode.Should().Be(0, fromPgPassword.Stderr);
        inline.ExitCode.Should().Be(0, inline.Stderr);
        inline.Stderr.Should().Contain("warning").And.Contain("contains a password").And.NotContain(PostgresServer.Password);
        (await DatabaseCli.CountSnapshotsAsync(_cli)).Should().Be(3);
    }

    [SkippableFact]
    public async Task A_missing_password_or_an_unknown_database_fails_clearly_and_stores_no_snapshot()
    {
        var server = _fixture.Require();
        await _cli.InitAsync();

        var noPassword = await _cli.RunAsync(["create", "--postgres", server.ConnectionString("postgres")], null, new() { ["BACKUP_DB_PASSWORD"] = null, ["PGPASSWORD"] = null });
        var wrongPassword = await _cli.RunAsync(["create", "--postgres", server.ConnectionString("postgres")], null, new() { ["BACKUP_DB_PASSWORD"] = "Not-The-Password-77" });
        var unknown = await _cli.RunAsync("create", "--postgres", server.ConnectionString("no_such_database"));
        var malformed = await _cli.RunAsync("create", "--postgres", "Host=127.0.0.1;Password=Secret-In-String-99;Nonsense");
        var misspelt = await _cli.RunAsync("create", "--postgres", "Hots=127.0.0.1;Database=x");
        var splitPassword = await _cli.RunAsync("create", "--postgres", "Host=127.0.0.1;Password=Secret;In-String-99=x;Database=x");
        var wrongInString = await _cli.RunAsync(["create", "--postgres", server.ConnectionString("postgres") + ";Password=Not-The-Password-88"], null, new() { ["BACKUP_DB_PASSWORD"] = null, ["PGPASSWORD"] = null });

        noPassword.ExitCode.Should().Be(1);
        noPassword.Stderr.Should().StartWith("backup: error:").And.Contain("BACKUP_DB_PASSWORD");
        wrongPassword.ExitCode.Should().Be(1);
        wrongPassword.Stderr.Should().Contain("password authentication failed").And.NotContain("Not-The-Password-77");
        unknown.ExitCode.Should().Be(1);
        unknown.Stderr.Should().Contain("\"no_such_database\" does not exist");
        malformed.ExitCode.Should().Be(2);
        malformed.Stderr.Should().Contain("malformed").And.NotContain("Secret-In-String-99");
        misspelt.ExitCode.Should().Be(2);
        misspelt.Stderr.Should().ContainEquivalentOf("at 'hots'");
        splitPassword.ExitCode.Should().Be(2);
        splitPassword.Stderr.Should().Contain("malformed").And.NotContainEquivalentOf("In-String-99", "the tail of a password split at an unquoted ';' is not named as a key");
        wrongInString.ExitCode.Should().Be(1);
        wrongInString.Stderr.Should().Contain("password authentication failed").And.NotContain("Give the tool the password", "one was given, in the connection string")
            .And.NotContain("Not-The-Password-88");
        (await DatabaseCli.CountSnapshotsAsync(_cli)).Should().Be(0);
    }

    /// <summary>
    /// A server that wants a password and got none used to be reported as one that "cannot be reached", sending the
    /// operator to check the network; it says the server asked for a password, and where the tool takes one from.
    /// A wrong one says which of those sources it came from.
    /// </summary>
    [SkippableFact]
    public async Task A_missing_or_wrong_password_says_so_and_where_the_tool_reads_it_for_backup_and_restore()
    {
        var server = _fixture.Require();
        var database = await CreateDatabaseAsync(server, "cli_pg_no_password");
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "--postgres", server.ConnectionString(database))).ExitCode.Should().Be(0);
        // An empty password file of its own: a ~/.pgpass of whoever runs the tests must not answer for the tool.
        var passFile = _cli.PathOf("empty-pgpass");
        await File.WriteAllTextAsync(passFile, string.Empty);
        var none = new Dictionary<string, string?> { ["BACKUP_DB_PASSWORD"] = null, ["PGPASSWORD"] = null, ["PGPASSFILE"] = passFile };
        var wrong = new Dictionary<string, string?> { ["BACKUP_DB_PASSWORD"] = null, ["PGPASSWORD"] = "Not-The-Password-66", ["PGPASSFILE"] = passFile };
        var target = _fixture.NewDatabaseName("cli_pg_no_password_restored");

        var backups = new[]
        {
            await _cli.RunAsync(["create", "--postgres", server.ConnectionString(database)], null, none),
            await _cli.RunAsync(["restore", "latest", "--to-postgres", server.ConnectionString(target)], null, none),
        };
        var refused = new[]
        {
            await _cli.RunAsync(["create", "--postgres", server.ConnectionString(database)], null, wrong),
            await _cli.RunAsync(["restore", "latest", "--to-postgres", server.ConnectionString(target)], null, wrong),
        };

        foreach (var result in backups)
        {
            result.ExitCode.Should().Be(1, result.Stderr);
            result.Stderr.Should().Contain($"the PostgreSQL server at 127.0.0.1:{server.Port} asked for a password for user 'postgres' and none was given")
                .And.Contain("Give the tool the password with --db-password-file FILE (its first line) or in $BACKUP_DB_PASSWORD or $PGPASSWORD.").And.NotContain("cannot reach");
        }

        foreach (var result in refused)
        {
            result.ExitCode.Should().Be(1, result.Stderr);
            result.Stderr.Should().Contain($"the PostgreSQL server at 127.0.0.1:{server.Port} refused the sign-in (28P01")
                .And.Contain("The password used came from $PGPASSWORD").And.NotContain("Not-The-Password-66");
        }

        (await DatabaseCli.CountSnapshotsAsync(_cli)).Should().Be(1);
        (await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{target}'")).Should().Be(0L);
    }

    [SkippableFact]
    public async Task Contradictory_database_options_are_usage_errors()
    {
        var server = _fixture.Require();
        var database = await CreateDatabaseAsync(server, "cli_pg_usage");
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "--postgres", server.ConnectionString(database))).ExitCode.Should().Be(0);

        var twoSources = await _cli.RunAsync("create", "--postgres", server.ConnectionString(database), "--sqlite", "x.db");
        var withPaths = await _cli.RunAsync("create", "--postgres", server.ConnectionString(database), ".");
        var allWithoutDb = await _cli.RunAsync("create", ".", "--all-databases");
        var noTarget = await _cli.RunAsync("restore", "latest");
        var wrongEngine = await _cli.RunAsync("restore", "latest", "--to-mysql", "Server=127.0.0.1;Database=x");
        var tableOnDirectory = await _cli.RunAsync("restore", "latest", "--target", _cli.PathOf("out"), "--table", "items");
        var noJobs = await _cli.RunAsync("restore", "latest", "--to-postgres", server.ConnectionString(), "--database", "anything", "--jobs", "0");

        foreach (var result in new[] { twoSources, withPaths, allWithoutDb, noTarget, wrongEngine, tableOnDirectory, noJobs })
        {
            result.ExitCode.Should().Be(2, result.Stderr);
            result.Stderr.Should().StartWith("backup: usage error:");
        }

        wrongEngine.Stderr.Should().Contain("restore it with --to-postgres");
        noJobs.Stderr.Should().Contain("--jobs must be 1-64").And.NotContain("Jobs must", "the tool names its own option, not the library's");
    }
    [SkippableFact]
    public async Task All_databases_snapshots_restore_the_database_named_by_source_database()
    {
        var server = _fixture.Require();
        var first = await CreateDatabaseAsync(server, "cli_pg_all_a");
        var second = _fixture.NewDatabaseName("cli_pg_all_b");
        await server.CreateDatabaseAsync(second);
        await server.ExecuteAsync(second, "CREATE TABLE only_here (x int); INSERT INTO only_here SELECT generate_series(1, 42);");
        await _cli.InitAsync();

        var create = await _cli.RunAsync("create", "--postgres", server.ConnectionString("postgres"), "--all-databases");
        var target = _fixture.NewDatabaseName("cli_pg_all_restored");
        var ambiguous = await _cli.RunAsync("restore", "latest", "--to-postgres", server.ConnectionString(target));
        var unknown = await _cli.RunAsync("restore", "latest", "--to-postgres", server.ConnectionString(target), "--source-database", "no_such_db");
        var restore = await _cli.RunAsync("restore", "latest", "--to-postgres", server.ConnectionString(target), "--source-database", second);

        create.ExitCode.Should().Be(0, create.Stderr);
        ambiguous.ExitCode.Should().Be(2);
        ambiguous.Stderr.Should().Contain("--source-database NAME").And.Contain(first).And.Contain(second);
        unknown.ExitCode.Should().Be(2);
        unknown.Stderr.Should().Contain("'no_such_db' is not among them");
        restore.ExitCode.Should().Be(0, restore.Stderr);
        (await server.ScalarAsync(target, "SELECT count(*) FROM only_here")).Should().Be(42L);
    }
}
