using System.Text.Json;
using Backup.Providers.Tests.Servers;

namespace Backup.Cli.Tests.Compatibility;

/// <summary>
/// The PostgreSQL snapshots of the 'databases' fixture, a driver-only one (its own manifest and per-table binary COPY
/// files, the format most at risk of drifting) and a pg_dump one of the same typed database, restore into a real server
/// with every row, the sequences' positions and the view, and pass a restore drill against a real scratch server.
/// </summary>
public sealed class V1PostgreSqlFormatsTests : IClassFixture<PostgresFixture>, IDisposable
{
    private readonly PostgresFixture _fixture;
    private readonly CliRunner _cli = new();

    public V1PostgreSqlFormatsTests(PostgresFixture fixture)
    {
        _fixture = fixture;
        _cli.Environment["BACKUP_DB_PASSWORD"] = PostgresServer.Password;
    }

    public void Dispose() => _cli.Dispose();

    /// <summary>The query make-v1-repositories.sh recorded the source database's fingerprint with (times in UTC).</summary>
    private static string Fingerprint => File.ReadAllText(V1Fixtures.PathOf("postgres-typed-fingerprint.sql")).Trim();

    private static string ExpectedFingerprint => File.ReadAllText(V1Fixtures.PathOf("postgres-typed-fingerprint.txt")).Trim();

    [SkippableTheory]
    [InlineData("postgres-driver")]
    [InlineData("postgres-typed")]
    public async Task Restore_to_postgres_gives_the_rows_sequences_and_view_1_0_0_backed_up(string tag)
    {
        var server = _fixture.Require();
        V1Fixtures.CopyInto(_cli, "databases");
        var snapshot = V1Fixtures.ExpectedSnapshot("databases", tag);
        var database = _fixture.NewDatabaseName("compat_v1_pg_typed");

        var restore = await _cli.RunAsync("restore", snapshot.Id()[..8], "--to-postgres", server.ConnectionString(), "--database", database);

        restore.ExitCode.Should().Be(0, restore.Stderr);
        (await server.ScalarAsync(database, Fingerprint)).Should().Be(ExpectedFingerprint);
    }

    [SkippableTheory]
    [InlineData("postgres-driver")]
    [InlineData("postgres-typed")]
    public async Task Verify_against_a_scratch_server_compares_every_table_with_the_checksums_1_0_0_recorded(string tag)
    {
        var server = _fixture.Require();
        V1Fixtures.CopyInto(_cli, "databases");
        var snapshot = V1Fixtures.ExpectedSnapshot("databases", tag);

        var verify = await _cli.RunAsync("verify", snapshot.Id()[..8], "--scratch", server.ConnectionString(), "--json");

        verify.ExitCode.Should().Be(0, verify.Stdout + verify.Stderr);
        var root = JsonDocument.Parse(verify.Stdout).RootElement;
        root.GetProperty("success").GetBoolean().Should().BeTrue(verify.Stdout);
        root.GetProperty("sourceKind").GetString().Should().Be("postgresql");
        root.GetProperty("tablesCompared").GetInt32().Should().Be(4, "two tables and two sequences (ticket_seq and the bigserial's)");
    }
}
