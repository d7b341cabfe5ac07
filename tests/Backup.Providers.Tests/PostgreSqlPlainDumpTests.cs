using System.Text;
using Backup.Core.Snapshots;
using Backup.Providers.PostgreSql;
using Backup.Providers.Tests.Servers;
using Xunit.Abstractions;

namespace Backup.Providers.Tests;

/// <summary>
/// A plain dump is data: one written or altered by someone else (a client that may only add snapshots, a storage
/// attacker with the password) must not run commands on the host that restores or verifies it.
/// </summary>
public sealed class PostgreSqlPlainDumpTests(PostgresFixture fixture, ITestOutputHelper output) : IClassFixture<PostgresFixture>, IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("pg-plain-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private string Marker => Path.Combine(_scratch, "marker");

    /// <summary>What a crafted dump holds after a harmless table; {0} is the marker file a shell command would create.</summary>
    public static TheoryData<string, string> MetaCommands => new()
    {
        { "shell", "\\! touch {0}\n" },
        { "shell after SQL on the same line", "SELECT 1; \\! touch {0}\n" },
        { "output to a pipe", "\\o |touch {0}\nSELECT 1;\n" },
        { "copy to a program", "\\copy (SELECT 1) TO PROGRAM 'touch {0}'\n" },
        { "set, then shell", "\\set ON_ERROR_STOP 0\n\\! touch {0}\n" },
        { "the dump's own restrict pair, then shell", "\\unrestrict k3y\n\\! touch {0}\n" },
        { "a guessed unrestrict, then shell", "\\unrestrict 0000000000000000000000000000000000000000000000000000000000000000\n\\! touch {0}\n" },
        { "shell after COPY data", "COPY crafted (x) FROM stdin;\nrow\n\\.\n\\! touch {0}\n" },
    };

    [SkippableTheory]
    [MemberData(nameof(MetaCommands))]
    public async Task A_crafted_plain_dumps_meta_command_neither_runs_on_restore_nor_on_verify(string name, string payload)
    {
        Skip.If(OperatingSystem.IsWindows(), "the crafted dump comes from a shell script standing in for pg_dump");
        var server = fixture.Require();
        var crafted = "--\n-- PostgreSQL database dump\n--\n\n\\restrict k3y\n\nSET client_encoding = 'UTF8';\nCREATE TABLE crafted (x text);\n"
            + string.Format(System.Globalization.CultureInfo.InvariantCulture, payload, Marker)
            + "CREATE TABLE after_payload (x int);\n";
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = await BackUpPlainDumpAsync(server, repo, crafted);

        var target = fixture.NewDatabaseName("crafted");
        var restore = () => new PostgreSqlRestorer(repo.Repository).RestoreAsync(snapshot, new PostgreSqlRestoreOptions
        {
            ConnectionString = server.ConnectionString(target),
            Password = PostgresServer.Password,
        });
        var failure = await restore.Should().ThrowAsync<DatabaseRestoreException>(name);
        output.WriteLine(failure.Which.Message);
        failure.Which.Message.Should().Contain("meta-command");
        File.Exists(Marker).Should().BeFalse($"the dump's meta-command ({name}) must not run on the restoring host");
        (await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{target}'")).Should().Be(0L, "nothing of a refused dump is left: not even the database it was to go into");

        var report = await new PostgreSqlVerifier(repo.Repository).VerifyAsync(snapshot, new PostgreSqlVerifyOptions { ConnectionString = server.ConnectionString(), Password = PostgresServer.Password });
        output.WriteLine(report.ToString());
        report.Succeeded.Should().BeFalse();
        report.IntegrityProblems.Should().Contain(p => p.Contains("meta-command", StringComparison.Ordinal));
        File.Exists(Marker).Should().BeFalse($"the dump's meta-command ({name}) must not run on the verifying host");
    }

    [SkippableFact]
    public async Task A_real_plain_dump_with_backslashes_in_its_data_round_trips_and_verifies()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("plain");
        await server.CreateDatabaseAsync(database);
        // COPY writes a backslash as \\ and a carriage return as \r: rows that start like meta-commands in the dump.
        await server.ExecuteAsync(database, """
            CREATE TABLE notes (id int PRIMARY KEY, body text);
            INSERT INTO notes VALUES (1, E'\\restrict k'), (2, E'\runrestrict x'), (3, E'\\! touch nothing'), (4, 'plain'), (5, repeat(E'\\', 400));
            CREATE FUNCTION shout(t text) RETURNS text LANGUAGE sql AS $$ SELECT upper(t) || E'\\' $$;
            """);
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.Service.BackupAsync(new PostgreSqlSource(new PostgreSqlSourceOptions
        {
            ConnectionString = server.ConnectionString(database),
            Password = PostgresServer.Password,
            Format = PostgreSqlDumpFormat.Plain,
        }))).Snapshot;
        snapshot.Metadata["postgresql.format"].Should().Be("plain");

        var target = fixture.NewDatabaseName("plain_restored");
        await new PostgreSqlRestorer(repo.Repository).RestoreAsync(snapshot, new PostgreSqlRestoreOptions { ConnectionString = server.ConnectionString(target), Password = PostgresServer.Password });

        (await server.ScalarAsync(target, "SELECT string_agg(body, '|' ORDER BY id) FROM notes")).Should().Be(await server.ScalarAsync(database, "SELECT string_agg(body, '|' ORDER BY id) FROM notes"));
        (await server.ScalarAsync(target, "SELECT shout('a')")).Should().Be("A\\");
        var report = await new PostgreSqlVerifier(repo.Repository).VerifyAsync(snapshot, new PostgreSqlVerifyOptions { ConnectionString = server.ConnectionString(), Password = PostgresServer.Password });
        report.Succeeded.Should().BeTrue(report.ToString());
    }

    /// <summary>Backs up <paramref name="dump"/> as the plain dump of a real database, through a pg_dump that prints it.</summary>
    private async Task<Snapshot> BackUpPlainDumpAsync(PostgresServer server, TestRepository repo, string dump)
    {
        var database = fixture.NewDatabaseName("source");
        await server.CreateDatabaseAsync(database);
        var tools = Directory.CreateDirectory(Path.Combine(_scratch, "tools")).FullName;
        var dumpFile = Path.Combine(_scratch, "crafted.sql");
        await File.WriteAllTextAsync(dumpFile, dump, new UTF8Encoding(false));
        var fake = Path.Combine(tools, "pg_dump");
        await File.WriteAllTextAsync(fake, $"#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'pg_dump (PostgreSQL) 99.0'; exit 0; fi\nexec cat '{dumpFile}'\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var result = await repo.Service.BackupAsync(new PostgreSqlSource(new PostgreSqlSourceOptions
        {
            ConnectionString = server.ConnectionString(database),
            Password = PostgresServer.Password,
            Format = PostgreSqlDumpFormat.Plain,
            ClientToolsDirectory = tools,
            RecordChecksums = false,
        }));
        result.Snapshot.Metadata["postgresql.format"].Should().Be("plain");
        return result.Snapshot;
    }
}
