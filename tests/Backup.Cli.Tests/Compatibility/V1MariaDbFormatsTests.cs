using System.Text.Json;
using Backup.Providers.Tests.Servers;
using MySqlConnector;

namespace Backup.Cli.Tests.Compatibility;

/// <summary>
/// The MariaDB snapshots of the 'databases' fixture, a driver-only one (its own manifest.json and data.sql, the format
/// most at risk of drifting) and an --all-databases one, restore into a real server with every row, the AUTO_INCREMENT
/// counter and the view, and pass a restore drill against a real scratch server.
/// </summary>
public sealed class V1MariaDbFormatsTests : IClassFixture<MariaDbFixture>, IDisposable
{
    /// <summary>The query make-v1-repositories.sh recorded the 'shop' database's fingerprint with (V1MariaDbSnapshotTests has it too).</summary>
    private const string ShopFingerprint = "SELECT CONCAT(MD5(GROUP_CONCAT(CONCAT_WS('|', id, name, IFNULL(price, 'N'), IFNULL(HEX(payload), 'N'), IFNULL(seen, 'N'), IFNULL(doc, 'N')) ORDER BY id SEPARATOR ',')), (SELECT MD5(GROUP_CONCAT(CONCAT_WS('|', id, item_id, body) ORDER BY id SEPARATOR ',')) FROM notes), ':', (SELECT COUNT(*) FROM cheap)) FROM items";

    private readonly MariaDbFixture _fixture;
    private readonly CliRunner _cli = new();

    public V1MariaDbFormatsTests(MariaDbFixture fixture)
    {
        _fixture = fixture;
        _cli.Environment["BACKUP_DB_PASSWORD"] = MariaDbServer.Password;
    }

    public void Dispose() => _cli.Dispose();

    [SkippableFact]
    public async Task Restore_of_the_driver_only_snapshot_gives_the_rows_counter_and_view_1_0_0_backed_up()
    {
        var server = _fixture.Require();
        V1Fixtures.CopyInto(_cli, "databases");
        var snapshot = V1Fixtures.ExpectedSnapshot("databases", "mariadb-driver");
        var database = _fixture.NewDatabaseName("compat_v1_mariadb_driver");

        var restore = await _cli.RunAsync("restore", snapshot.Id()[..8], "--to-mysql", server.ConnectionString(), "--database", database);

        restore.ExitCode.Should().Be(0, restore.Stderr);
        (await FingerprintAsync(server, database, TypedFingerprint)).Should().Be(Expected("mariadb-typed-fingerprint.txt"));
    }

    [SkippableTheory]
    [InlineData("typed", "mariadb-typed-fingerprint.txt")]
    [InlineData("shop", "mariadb-fingerprint.txt")]
    public async Task Restore_of_one_database_of_the_all_databases_snapshot_gives_its_rows(string sourceDatabase, string expected)
    {
        var server = _fixture.Require();
        V1Fixtures.CopyInto(_cli, "databases");
        var snapshot = V1Fixtures.ExpectedSnapshot("databases", "mariadb-all");
        var database = _fixture.NewDatabaseName("compat_v1_mariadb_all");

        var restore = await _cli.RunAsync("restore", snapshot.Id()[..8], "--to-mysql", server.ConnectionString(), "--source-database", sourceDatabase, "--database", database);

        restore.ExitCode.Should().Be(0, restore.Stderr);
        (await FingerprintAsync(server, database, sourceDatabase == "shop" ? ShopFingerprint : TypedFingerprint)).Should().Be(Expected(expected));
    }

    [SkippableTheory]
    [InlineData("mariadb-driver", 2)]
    [InlineData("mariadb-all", 4)]
    public async Task Verify_against_a_scratch_server_compares_every_table_with_the_checksums_1_0_0_recorded(string tag, int tables)
    {
        var server = _fixture.Require();
        V1Fixtures.CopyInto(_cli, "databases");
        var snapshot = V1Fixtures.ExpectedSnapshot("databases", tag);

        var verify = await _cli.RunAsync("verify", snapshot.Id()[..8], "--scratch", server.ConnectionString(), "--json");

        verify.ExitCode.Should().Be(0, verify.Stdout + verify.Stderr);
        var root = JsonDocument.Parse(verify.Stdout).RootElement;
        root.GetProperty("success").GetBoolean().Should().BeTrue(verify.Stdout);
        root.GetProperty("sourceKind").GetString().Should().Be("mysql");
        root.GetProperty("tablesCompared").GetInt32().Should().Be(tables);
    }

    /// <summary>The query make-v1-repositories.sh recorded the 'typed' database's fingerprint with.</summary>
    private static string TypedFingerprint => File.ReadAllText(V1Fixtures.PathOf("mariadb-typed-fingerprint.sql")).Trim();

    private static string Expected(string file) => File.ReadAllText(V1Fixtures.PathOf(file)).Trim();

    private static async Task<object?> FingerprintAsync(MariaDbServer server, string database, string fingerprint)
    {
        await using var connection = await server.OpenAsync(database);
        await using var command = new MySqlCommand($"SET SESSION group_concat_max_len = 1048576; {fingerprint}", connection);
        return await command.ExecuteScalarAsync();
    }
}
