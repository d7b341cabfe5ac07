using Backup.Providers.Tests.Servers;
using Microsoft.Data.Sqlite;

namespace Backup.Cli.Tests;

/// <summary>
/// Ctrl+C in the middle of a database restore, against real servers: the line printed says how the target database was
/// left and what to run next, and what it says holds. A download limit keeps the restore loading rows long enough to be
/// interrupted while it does.
/// </summary>
public sealed class DatabaseInterruptTests : IClassFixture<PostgresFixture>, IClassFixture<MariaDbFixture>, IDisposable
{
    private const int Rows = 100_000;

    private readonly PostgresFixture _postgres;
    private readonly MariaDbFixture _mariaDb;
    private readonly CliRunner _cli = new();

    public DatabaseInterruptTests(PostgresFixture postgres, MariaDbFixture mariaDb)
    {
        _postgres = postgres;
        _mariaDb = mariaDb;
    }

    public void Dispose() => _cli.Dispose();

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_interrupted_postgres_restore_says_how_it_left_the_target_and_the_restore_it_names_finishes_it(bool clean)
    {
        Skip.If(OperatingSystem.IsWindows(), "POSIX signals");
        var server = _postgres.Require();
        _cli.Environment["BACKUP_DB_PASSWORD"] = PostgresServer.Password;
        var source = _postgres.NewDatabaseName("interrupt_pg");
        await server.CreateDatabaseAsync(source);
        // Random, so that the dump stays 3 MB in the repository: at 256 KiB/s it takes over ten seconds to read.
        await server.ExecuteAsync(source, $"CREATE TABLE big (id int PRIMARY KEY, v bytea); INSERT INTO big SELECT g, decode(md5(random()::text) || md5(random()::text), 'hex') FROM generate_series(1, {Rows}) g;");
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "--postgres", server.ConnectionString(source))).ExitCode.Should().Be(0);
        var target = _postgres.NewDatabaseName("interrupt_pg_target");
        if (clean)
        {
            await server.CreateDatabaseAsync(target);
            await server.ExecuteAsync(target, "CREATE TABLE kept (id int); INSERT INTO kept VALUES (1);");
        }

        string[] restore = clean
            ? ["restore", "latest", "--to-postgres", server.ConnectionString(target), "--clean"]
            : ["restore", "latest", "--to-postgres", server.ConnectionString(), "--database", target];

        var interrupted = await InterruptedAsync([.. restore, "--limit-download", "256K"],
            async () => await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_stat_activity WHERE datname = '{target}' AND query LIKE 'COPY%'") is > 0L);

        interrupted.ExitCode.Should().Be(130, interrupted.Stderr);
        var exists = await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{target}'") is 1L;
        if (clean)
        {
            exists.Should().BeTrue("a database restored over is not dropped");
            var loaded = await server.ScalarAsync(target, "SELECT to_regclass('big') IS NOT NULL") is true ? (long)(await server.ScalarAsync(target, "SELECT count(*) FROM big"))! : 0L;
            loaded.Should().BeLessThan(Rows, "the restore was stopped while it loaded the rows");
            (await server.ScalarAsync(target, "SELECT count(*) FROM kept")).Should().Be(1L, "PostgreSQL's --clean drops only what the dump recreates");
        }
        else
        {
            exists.Should().BeFalse("the database the interrupted restore created is dropped");
        }

        var again = await _cli.RunAsync(restore);

        again.ExitCode.Should().Be(0, again.Stderr);
        (await server.ScalarAsync(target, "SELECT count(*) FROM big")).Should().Be((long)Rows);
        (await server.ScalarAsync(target, "SELECT md5(string_agg(v::text, ',' ORDER BY id)) FROM big")).Should().Be(await server.ScalarAsync(source, "SELECT md5(string_agg(v::text, ',' ORDER BY id)) FROM big"));
        SaysHowTheTargetWasLeft(interrupted, target, clean, "what it held of the snapshot's tables and other objects may be replaced (--clean), the rest of what it held stays");
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_interrupted_mysql_restore_says_how_it_left_the_target_and_the_restore_it_names_finishes_it(bool clean)
    {
        Skip.If(OperatingSystem.IsWindows(), "POSIX signals");
        var server = _mariaDb.Require();
        _cli.Environment["BACKUP_DB_PASSWORD"] = MariaDbServer.Password;
        var source = _mariaDb.NewDatabaseName("interrupt_my");
        await server.ExecuteAsync(null, $"CREATE DATABASE {source}");
        await server.ExecuteAsync(source, $"CREATE TABLE big (id INT PRIMARY KEY, v VARBINARY(32)) ENGINE = InnoDB; INSERT INTO big SELECT seq, CONCAT(UNHEX(MD5(RAND())), UNHEX(MD5(RAND()))) FROM seq_1_to_{Rows};");
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "--mysql", server.ConnectionString(source))).ExitCode.Should().Be(0);
        var target = _mariaDb.NewDatabaseName("interrupt_my_target");
        if (clean)
        {
            await server.ExecuteAsync(null, $"CREATE DATABASE {target}");
            await server.ExecuteAsync(target, "CREATE TABLE kept (id INT); INSERT INTO kept VALUES (1);");
        }

        string[] restore = clean
            ? ["restore", "latest", "--to-mysql", server.ConnectionString(target), "--clean"]
            : ["restore", "latest", "--to-mysql", server.ConnectionString(), "--database", target];

        // The dump creates the table, then inserts its rows: once the table is there, the restore is loading them.
        var interrupted = await InterruptedAsync([.. restore, "--limit-download", "256K"],
            async () => await server.ScalarAsync(null, $"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{target}' AND TABLE_NAME = 'big'") is 1L);

        interrupted.ExitCode.Should().Be(130, interrupted.Stderr);
        var exists = await server.ScalarAsync(null, $"SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{target}'") is 1L;
        if (clean)
        {
            exists.Should().BeTrue("a database restored over is not dropped");
            (await server.ScalarAsync(target, "SELECT COUNT(*) FROM big")).Should().BeOfType<long>().Which.Should().BeLessThan(Rows, "the restore was stopped while it loaded the rows");
            (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{target}' AND TABLE_NAME = 'kept'")).Should().Be(0L, "MariaDB's --clean drops the database first");
        }
        else
        {
            exists.Should().BeFalse("the database the interrupted restore created is dropped");
        }

        var again = await _cli.RunAsync(restore);

        again.ExitCode.Should().Be(0, again.Stderr);
        (await server.ScalarAsync(target, "SELECT COUNT(*) FROM big")).Should().Be((long)Rows);
        (await server.ScalarAsync(target, "SELECT MD5(GROUP_CONCAT(HEX(v) ORDER BY id)) FROM big")).Should().Be(await server.ScalarAsync(source, "SELECT MD5(GROUP_CONCAT(HEX(v) ORDER BY id)) FROM big"));
        SaysHowTheTargetWasLeft(interrupted, target, clean, "what it held before was dropped (--clean)");
    }

    [SkippableFact]
    public async Task An_interrupted_sqlite_restore_says_the_file_is_as_it_was_and_leaves_it_so()
    {
        Skip.If(OperatingSystem.IsWindows(), "POSIX signals");
        var source = _cli.PathOf("source.db");
        await SqliteFile.ExecuteAsync(source, $"""
            CREATE TABLE big (id INTEGER PRIMARY KEY, v BLOB);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {Rows}) INSERT INTO big SELECT i, randomblob(32) FROM n;
            """);
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "--sqlite", source)).ExitCode.Should().Be(0);
        Directory.CreateDirectory(_cli.PathOf("restored"));
        var target = _cli.PathOf("restored/app.db");
        await SqliteFile.ExecuteAsync(target, "CREATE TABLE kept (id INTEGER); INSERT INTO kept VALUES (1);");
        var before = await File.ReadAllBytesAsync(target);
        string[] restore = ["restore", "latest", "--to-sqlite", target, "--clean"];

        var interrupted = await InterruptedAsync([.. restore, "--limit-download", "256K"],
            () => Task.FromResult(Directory.EnumerateFiles(_cli.PathOf("restored")).Count() > 1));

        interrupted.ExitCode.Should().Be(130, interrupted.Stderr);
        (await File.ReadAllBytesAsync(target)).Should().Equal(before, "the file restored over is as it was");
        Directory.EnumerateFiles(_cli.PathOf("restored")).Should().Equal([target], "the temporary file is removed");

        var again = await _cli.RunAsync(restore);

        again.ExitCode.Should().Be(0, again.Stderr);
        (await ScalarAsync(target, "SELECT count(*) FROM big")).Should().Be((long)Rows);
        interrupted.Stderr.Should().Contain($"backup: interrupted; '{target}' is as it was: the restore writes a temporary file beside it")
            .And.Contain("that file was removed. Run the same restore again.");
    }

    /// <summary>The line whose claims the tests above checked: a database restored over is partly restored, one the restore created was dropped.</summary>
    private static void SaysHowTheTargetWasLeft(CliResult interrupted, string target, bool clean, string whatCleanDid)
    {
        if (clean)
        {
            interrupted.Stderr.Should().Contain($"backup: interrupted; '{target}' is partly restored: {whatCleanDid}")
                .And.Contain("only part of the snapshot is in it. The same restore run again with --clean restores the snapshot over it.").And.NotContain("Clean.");
        }
        else
        {
            interrupted.Stderr.Should().Contain($"backup: interrupted. The database '{target}' this restore had created was dropped again. Run the same restore again to start over.");
        }
    }

    /// <summary>Runs the tool with <paramref name="args"/> and sends it SIGINT once <paramref name="loading"/> says the restore is under way.</summary>
    private Task<CliResult> InterruptedAsync(string[] args, Func<Task<bool>> loading) =>
        _cli.RunInterruptedAsync(args, null, null, async process =>
        {
            for (var wait = 0; wait < 2400 && !process.HasExited && !await loading(); wait++)
            {
                await Task.Delay(25);
            }
        }, exitWithin: TimeSpan.FromSeconds(60));

    private static async Task<object?> ScalarAsync(string path, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False;Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }
}
