using System.Text.Json;
using Backup.Core;
using Backup.Core.Crypto;
using Backup.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Backup.Cli.Tests;

/// <summary>create --sqlite, restore --to-sqlite and verify of a SQLite snapshot.</summary>
public sealed class SqliteCliTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _cli.Dispose();
    }

    private static async Task<string> FingerprintAsync(string path)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT group_concat(id || ':' || name || ':' || hex(data), ',') FROM (SELECT * FROM things ORDER BY id)";
        return (string)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Verify_of_a_sqlite_snapshot_refuses_a_connection_string_for_scratch_without_quoting_it()
    {
        var source = _cli.PathOf("conn.db");
        await SqliteFile.ExecuteAsync(source, "CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT, data BLOB); INSERT INTO things VALUES (1, 'one', x'01');");
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "--sqlite", source)).ExitCode.Should().Be(0);

        var verify = await _cli.RunAsync("verify", "latest", "--scratch", "Host=127.0.0.1;Username=postgres;Password=Scratch-Secret-4711");

        verify.ExitCode.Should().Be(2, verify.Stderr);
        verify.Stderr.Should().Contain("--scratch is a connection string").And.Contain("SQLite snapshot is verified in a scratch directory")
            .And.NotContain("Scratch-Secret-4711");
    }

    [Fact]
    public async Task Create_sqlite_restore_to_sqlite_and_verify_round_trip()
    {
        var source = _cli.PathOf("app.db");
        await SqliteFile.ExecuteAsync(source, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT, data BLOB);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
            INSERT INTO things SELECT i, 'thing ' || i || ' ✓', randomblob(32) FROM n;
            """);
        await _cli.InitAsync();

        var create = await _cli.RunAsync("create", "--sqlite", source, "--tag", "sqlite");
        var restored = _cli.PathOf("restored.db");
        var restore = await _cli.RunAsync("restore", "latest", "--to-sqlite", restored);
        Directory.CreateDirectory(_cli.PathOf("scratch"));
        var verify = await _cli.RunAsync("verify", "latest", "--scratch", _cli.PathOf("scratch"), "--json");

        create.ExitCode.Should().Be(0, create.Stderr);
        restore.ExitCode.Should().Be(0, restore.Stderr);
        (await FingerprintAsync(restored)).Should().Be(await FingerprintAsync(source));
        verify.ExitCode.Should().Be(0, verify.Stderr);
        var root = JsonDocument.Parse(verify.Stdout).RootElement;
        root.GetProperty("success").GetBoolean().Should().BeTrue();
        root.GetProperty("tablesCompared").GetInt32().Should().Be(1);
        Directory.EnumerateFileSystemEntries(_cli.PathOf("scratch")).Should().BeEmpty("the scratch copy is deleted");

        await SqliteFile.ExecuteAsync(restored, "DELETE FROM things WHERE id > 10");
        SqliteConnection.ClearAllPools();
        var refused = await _cli.RunAsync("restore", "latest", "--to-sqlite", restored);
        var replaced = await _cli.RunAsync("restore", "latest", "--to-sqlite", restored, "--clean");

        refused.ExitCode.Should().Be(2);
        refused.Stderr.Should().Contain($"'{restored}' exists (nothing was changed). --clean restores over it: it replaces the whole file");
        replaced.ExitCode.Should().Be(0, replaced.Stderr);
        (await FingerprintAsync(restored)).Should().Be(await FingerprintAsync(source));
    }

    /// <summary>Saves a copy of the latest snapshot whose recorded checksums <paramref name="change"/> makes (null: removes them), as a snapshot that does not match its data, or one from before checksums.</summary>
    private async Task<string> SaveWithChecksumsAsync(Func<string, string>? change)
    {
        await using var repository = await BackupRepository.OpenAsync(new LocalDirectoryTarget(_cli.Repository), RepositoryCredentials.FromPassword(CliRunner.Password));
        var latest = await repository.Snapshots.FindAsync("latest");
        var metadata = new Dictionary<string, string>(latest.Metadata);
        if (change is null)
        {
            metadata.Remove("sqlite.checksums.main").Should().BeTrue();
        }
        else
        {
            metadata["sqlite.checksums.main"] = change(metadata["sqlite.checksums.main"]);
        }

        return (await repository.Snapshots.SaveAsync(latest with { Metadata = metadata, Time = DateTimeOffset.Now })).Id.ToString();
    }

    [Fact]
    public async Task Restore_to_sqlite_with_verify_says_what_it_verified_and_names_a_table_that_differs_leaving_the_file()
    {
        var source = _cli.PathOf("app.db");
        await SqliteFile.ExecuteAsync(source, """
            CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT, data BLOB);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
            INSERT INTO things SELECT i, 'thing ' || i, randomblob(8) FROM n;
            """);
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "--sqlite", source)).ExitCode.Should().Be(0);

        var good = await _cli.RunAsync("restore", "latest", "--to-sqlite", _cli.PathOf("good.db"), "--verify");
        var json = await _cli.RunAsync("restore", "latest", "--to-sqlite", _cli.PathOf("json.db"), "--verify", "--json");
        // The recorded checksums say 299 rows: what the restored file holds is not what was recorded.
        var differing = await SaveWithChecksumsAsync(recorded => recorded.Replace("\"300:", "\"299:", StringComparison.Ordinal));
        var bad = await _cli.RunAsync("restore", differing[..8], "--to-sqlite", _cli.PathOf("bad.db"), "--verify");

        good.ExitCode.Should().Be(0, good.Stderr);
        good.Stdout.Should().Contain($"Verified '{_cli.PathOf("good.db")}': 1 table and 300 rows as recorded at backup time.");
        json.ExitCode.Should().Be(0, json.Stderr);
        var verification = JsonDocument.Parse(json.Stdout).RootElement.GetProperty("verification");
        verification.GetProperty("success").GetBoolean().Should().BeTrue();
        verification.GetProperty("rowsCompared").GetInt64().Should().Be(300);
        bad.ExitCode.Should().Be(3, bad.Stderr);
        bad.Stderr.Should().Contain("table differs: main.things: 299 rows expected, 300 found")
            .And.Contain("was left as restored (nothing was dropped or changed)");
        File.Exists(_cli.PathOf("bad.db")).Should().BeTrue("a mismatch leaves the restored file");
    }

    [Fact]
    public async Task A_differing_table_says_the_same_in_json_as_on_stderr_and_counts_in_the_right_number()
    {
        var source = _cli.PathOf("app.db");
        await SqliteFile.ExecuteAsync(source, "CREATE TABLE things (id INTEGER PRIMARY KEY); INSERT INTO things VALUES (1);");
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "--sqlite", source)).ExitCode.Should().Be(0);
        Directory.CreateDirectory(_cli.PathOf("scratch"));
        // Recorded as 2 rows, restored as the 1 the file holds.
        var differing = await SaveWithChecksumsAsync(recorded => recorded.Replace("\"1:", "\"2:", StringComparison.Ordinal));

        var human = await _cli.RunAsync("restore", differing[..8], "--to-sqlite", _cli.PathOf("human.db"), "--verify");
        var json = await _cli.RunAsync("restore", differing[..8], "--to-sqlite", _cli.PathOf("json.db"), "--verify", "--json");
        var drill = await _cli.RunAsync("verify", differing[..8], "--scratch", _cli.PathOf("scratch"));
        var drillJson = await _cli.RunAsync("verify", differing[..8], "--scratch", _cli.PathOf("scratch"), "--json");

        const string Line = "main.things: 2 rows expected, 1 found";
        human.ExitCode.Should().Be(3, human.Stderr);
        human.Stderr.Should().Contain($"table differs: {Line}\n").And.Contain("1 table differs from the checksums recorded at backup time for the snapshot's database");
        var verification = JsonDocument.Parse(json.Stdout).RootElement.GetProperty("verification");
        verification.GetProperty("mismatches").EnumerateArray().Select(e => e.GetString()).Should().Equal(Line);
        var difference = verification.GetProperty("differences").EnumerateArray().Should().ContainSingle().Subject;
        difference.GetProperty("database").GetString().Should().Be("main");
        difference.GetProperty("table").GetString().Should().Be("things");
        difference.GetProperty("kind").GetString().Should().Be("rowCount");
        difference.GetProperty("expectedRows").GetInt64().Should().Be(2);
        difference.GetProperty("foundRows").GetInt64().Should().Be(1);
        difference.GetProperty("expectedChecksum").GetString().Should().Be(difference.GetProperty("foundChecksum").GetString(), "only the row count was changed");
        difference.GetProperty("message").GetString().Should().Be(Line);

        drill.ExitCode.Should().Be(4, drill.Stderr);
        drill.Stderr.Should().Contain($"table differs: {Line}\n").And.Contain("restore drill failed: 1 table differs, 0 integrity findings");
        drill.Stdout.Should().Contain("1 table compared, 1 differs, 0 integrity findings");
        var drillRoot = JsonDocument.Parse(drillJson.Stdout).RootElement;
        drillRoot.GetProperty("mismatches").EnumerateArray().Select(e => e.GetString()).Should().Equal(Line);
        drillRoot.GetProperty("differences")[0].GetProperty("message").GetString().Should().Be(Line);
        drillRoot.GetProperty("rowsCompared").GetInt64().Should().Be(2, "as recorded");
    }

    [Fact]
    public async Task Restore_with_verify_of_a_snapshot_without_checksums_refuses_before_restoring()
    {
        var source = _cli.PathOf("app.db");
        await SqliteFile.ExecuteAsync(source, "CREATE TABLE things (id INTEGER PRIMARY KEY); INSERT INTO things VALUES (1);");
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "--sqlite", source)).ExitCode.Should().Be(0);
        var old = await SaveWithChecksumsAsync(null);

        var restore = await _cli.RunAsync("restore", old[..8], "--to-sqlite", _cli.PathOf("old.db"), "--verify");

        restore.ExitCode.Should().Be(2, restore.Stderr);
        restore.Stderr.Should().Contain("recorded no table checksums").And.Contain("cannot be verified").And.Contain("Nothing was restored");
        File.Exists(_cli.PathOf("old.db")).Should().BeFalse();
    }

    [Fact]
    public async Task A_missing_sqlite_file_fails_clearly_and_stores_no_snapshot()
    {
        await _cli.InitAsync();

        var missing = await _cli.RunAsync("create", "--sqlite", _cli.PathOf("nope.db"));
        var driverOnly = await _cli.RunAsync("create", "--sqlite", _cli.PathOf("nope.db"), "--driver-only");

        missing.ExitCode.Should().Be(1);
        missing.Stderr.Should().Contain("nope.db").And.Contain("does not exist");
        driverOnly.ExitCode.Should().Be(2);
        (await DatabaseCli.CountSnapshotsAsync(_cli)).Should().Be(0);
        File.Exists(_cli.PathOf("nope.db")).Should().BeFalse("no empty database is created in its place");
    }
}
