using Backup.Core.Pipeline;
using Backup.Providers.MySql;
using Backup.Providers.Tests.Servers;

namespace Backup.Providers.Tests;

/// <summary>
/// A driver-only backup stops at what it does not cover, saying in the library's names what covers it, and carries
/// that remedy as data for a tool that words it in its own options.
/// </summary>
public sealed class MySqlDriverOnlyCoverageTests(MariaDbFixture fixture) : IClassFixture<MariaDbFixture>
{
    [SkippableTheory]
    [InlineData(MySqlBackupMethod.DriverOnly)]
    [InlineData(MySqlBackupMethod.Parallel)]
    public async Task A_sequence_stops_a_driver_only_backup_saying_the_dump_tool_covers_it(MySqlBackupMethod method)
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("driver_seq");
        await server.ExecuteAsync(null, $"CREATE DATABASE {database}");
        await server.ExecuteAsync(database, "CREATE SEQUENCE numbers");
        await using var repo = await TestRepository.CreateAsync();
        var source = new MySqlSourceOptions { ConnectionString = server.ConnectionString(database), Password = MariaDbServer.Password, Method = method };

        var backup = () => repo.Service.BackupAsync(new MySqlSource(source));

        var failure = (await backup.Should().ThrowAsync<BackupSourceException>()).Which;
        failure.Message.Should().Contain($"'{database}.numbers'").And.EndWith("; use the dump tool (MySqlBackupMethod.Dump).");
        failure.Remedy.Should().Be(BackupSourceRemedy.UseClientTools);
        failure.Problem.Should().Contain($"'{database}.numbers'").And.NotContain("MySqlBackupMethod");
    }
}
