using Backup.Providers.Tests.Servers;

namespace Backup.Cli.Tests.Compatibility;

/// <summary>The PostgreSQL snapshot release 1.0.0 wrote restores into a real server with every row it dumped.</summary>
public sealed class V1PostgreSqlSnapshotTests : IClassFixture<PostgresFixture>, IDisposable
{
    /// <summary>The query make-v1-repositories.sh recorded the source database's fingerprint with.</summary>
    private const string Fingerprint = "SELECT md5(string_agg(i::text, ',' ORDER BY i.id)) || md5(coalesce((SELECT string_agg(n::text, ',' ORDER BY n.id) FROM notes n), '')) || ':' || (SELECT count(*) FROM cheap) FROM items i";

    private readonly PostgresFixture _fixture;
    private readonly CliRunner _cli = new();

    public V1PostgreSqlSnapshotTests(PostgresFixture fixture)
    {
        _fixture = fixture;
        _cli.Environment["BACKUP_DB_PASSWORD"] = PostgresServer.Password;
    }

    public void Dispose() => _cli.Dispose();

    [SkippableFact]
    public async Task Restore_to_postgres_gives_the_rows_1_0_0_backed_up()
    {
        var server = _fixture.Require();
        V1Fixtures.CopyInto(_cli, "default-zstd");
        var snapshot = V1Fixtures.ExpectedSnapshot("default-zstd", "postgres");
        var database = _fixture.NewDatabaseName("compat_v1_pg");

        var restore = await _cli.RunAsync("restore", snapshot.Id()[..8], "--to-postgres", server.ConnectionString(), "--database", database);

        restore.ExitCode.Should().Be(0, restore.Stderr);
        (await server.ScalarAsync(database, Fingerprint)).Should().Be(File.ReadAllText(V1Fixtures.PathOf("postgres-fingerprint.txt")).Trim());
    }
}
