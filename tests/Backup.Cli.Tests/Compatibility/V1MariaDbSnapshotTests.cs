using Backup.Providers.Tests.Servers;
using MySqlConnector;

namespace Backup.Cli.Tests.Compatibility;

/// <summary>The MariaDB snapshot release 1.0.0 wrote restores into a real server with every row it dumped.</summary>
public sealed class V1MariaDbSnapshotTests : IClassFixture<MariaDbFixture>, IDisposable
{
    /// <summary>The query make-v1-repositories.sh recorded the source database's fingerprint with.</summary>
    private const string Fingerprint = "SELECT CONCAT(MD5(GROUP_CONCAT(CONCAT_WS('|', id, name, IFNULL(price, 'N'), IFNULL(HEX(payload), 'N'), IFNULL(seen, 'N'), IFNULL(doc, 'N')) ORDER BY id SEPARATOR ',')), (SELECT MD5(GROUP_CONCAT(CONCAT_WS('|', id, item_id, body) ORDER BY id SEPARATOR ',')) FROM notes), ':', (SELECT COUNT(*) FROM cheap)) FROM items";

    private readonly MariaDbFixture _fixture;
    private readonly CliRunner _cli = new();

    public V1MariaDbSnapshotTests(MariaDbFixture fixture)
    {
        _fixture = fixture;
        _cli.Environment["BACKUP_DB_PASSWORD"] = MariaDbServer.Password;
    }

    public void Dispose() => _cli.Dispose();

    [SkippableFact]
    public async Task Restore_to_mysql_gives_the_rows_1_0_0_backed_up()
    {
        var server = _fixture.Require();
        V1Fixtures.CopyInto(_cli, "default-zstd");
        var snapshot = V1Fixtures.ExpectedSnapshot("default-zstd", "mariadb");
        var database = _fixture.NewDatabaseName("compat_v1_mariadb");

        var restore = await _cli.RunAsync("restore", snapshot.Id()[..8], "--to-mysql", server.ConnectionString(), "--database", database);

        restore.ExitCode.Should().Be(0, restore.Stderr);
        await using var connection = await server.OpenAsync(database);
        await using var command = new MySqlCommand($"SET SESSION group_concat_max_len = 1048576; {Fingerprint}", connection);
        (await command.ExecuteScalarAsync()).Should().Be(File.ReadAllText(V1Fixtures.PathOf("mariadb-fingerprint.txt")).Trim());
    }
}
