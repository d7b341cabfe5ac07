using System.Text;
using Backup.Core.Snapshots;
using Backup.Providers.MySql;
using Backup.Providers.Tests.Servers;
using Xunit.Abstractions;

namespace Backup.Providers.Tests;

/// <summary>
/// A dump is data: one written or altered by someone else (a client that may only add snapshots) must not run
/// commands on, or read files of, the host that restores or verifies it through the mariadb client.
/// </summary>
public sealed class MySqlCraftedDumpTests(MariaDbFixture fixture, ITestOutputHelper output) : IClassFixture<MariaDbFixture>, IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("my-crafted-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private string Marker => Path.Combine(_scratch, "marker");

    /// <summary>What a crafted dump holds after a harmless table; {0} is the marker file a shell command would create.</summary>
    public static TheoryData<string, string> ClientCommands => new()
    {
        { "system", "\\! touch {0}\n" },
        { "system spelled out", "system touch {0}\n" },
    };

    [SkippableTheory]
    [MemberData(nameof(ClientCommands))]
    public async Task A_crafted_dumps_client_command_does_not_run_on_the_restoring_host(string name, string payload)
    {
        Skip.If(OperatingSystem.IsWindows(), "the crafted dump comes from a shell script standing in for mariadb-dump");
        var server = fixture.Require();
        var crafted = "-- MariaDB dump 10.19\n--\n-- Table structure for table `crafted`\n--\nCREATE TABLE crafted (x text);\n"
            + string.Format(System.Globalization.CultureInfo.InvariantCulture, payload, Marker)
            + "CREATE TABLE after_payload (x int);\n-- Dump completed\n";
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = await BackUpCraftedDumpAsync(server, repo, crafted);

        var target = fixture.NewDatabaseName("crafted");
        try
        {
            await new MySqlRestorer(repo.Repository).RestoreAsync(snapshot, new MySqlRestoreOptions
            {
                ConnectionString = server.ConnectionString(),
                Password = MariaDbServer.Password,
                TargetDatabase = target,
            });
        }
        catch (DatabaseRestoreException ex)
        {
            output.WriteLine(ex.Message);
        }

        File.Exists(Marker).Should().BeFalse($"the dump's client command ({name}) must not run on the restoring host");
    }

    [SkippableFact]
    public async Task A_dump_that_fails_halfway_leaves_no_database_behind_and_one_restored_over_is_said_to_be_partly_restored()
    {
        Skip.If(OperatingSystem.IsWindows(), "the crafted dump comes from a shell script standing in for mariadb-dump");
        var server = fixture.Require();
        var broken = "-- MariaDB dump 10.19\nCREATE TABLE loaded (x int);\nINSERT INTO loaded VALUES (1),(2);\nINSERT INTO no_such_table VALUES (3);\nCREATE TABLE never (x int);\n-- Dump completed\n";
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = await BackUpCraftedDumpAsync(server, repo, broken);
        var target = fixture.NewDatabaseName("halfway");
        var options = new MySqlRestoreOptions { ConnectionString = server.ConnectionString(), Password = MariaDbServer.Password, TargetDatabase = target };
        var restorer = new MySqlRestorer(repo.Repository);

        var restore = () => restorer.RestoreAsync(snapshot, options);

        var failure = (await restore.Should().ThrowExactlyAsync<DatabaseRestoreException>()).Which;
        output.WriteLine(failure.Message);
        failure.Message.Should().Contain("no_such_table").And.EndWith($"The database '{target}' this restore had created was dropped again.");
        (await server.ScalarAsync(null, $"SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{target}'")).Should().Be(0L);

        await server.ExecuteAsync(null, $"CREATE DATABASE {target}");
        var over = () => restorer.RestoreAsync(snapshot, options with { Clean = true });
        var partly = (await over.Should().ThrowExactlyAsync<DatabaseRestoreException>()).Which;
        partly.Message.Should().EndWith($"'{target}' is partly restored; restore it again with Clean.", "the library names its own option, not the CLI's");
        partly.Remedy.Should().Be(DatabaseRestoreRemedy.RestoreAgainWithClean);
        (await server.ScalarAsync(null, $"SELECT count(*) FROM {target}.loaded")).Should().Be(2L, "a database the restore did not create is never dropped");
    }

    /// <summary>Backs up <paramref name="dump"/> as the dump of a real database, through a mariadb-dump that prints it.</summary>
    private async Task<Snapshot> BackUpCraftedDumpAsync(MariaDbServer server, TestRepository repo, string dump)
    {
        var database = fixture.NewDatabaseName("source");
        await server.ExecuteAsync(null, $"CREATE DATABASE {database}");
        var tools = Directory.CreateDirectory(Path.Combine(_scratch, "tools")).FullName;
        var dumpFile = Path.Combine(_scratch, "crafted.sql");
        await File.WriteAllTextAsync(dumpFile, dump, new UTF8Encoding(false));
        var fake = Path.Combine(tools, "mariadb-dump");
        await File.WriteAllTextAsync(fake, $"#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'mariadb-dump from 11.8.0-MariaDB, client 10.19'; exit 0; fi\nexec cat '{dumpFile}'\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var result = await repo.Service.BackupAsync(new MySqlSource(new MySqlSourceOptions
        {
            ConnectionString = server.ConnectionString(database),
            Password = MariaDbServer.Password,
            ClientToolsDirectory = tools,
            RecordChecksums = false,
        }));
        return result.Snapshot;
    }
}
