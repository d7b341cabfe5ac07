using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Backup.Cli.Tests.Compatibility;

/// <summary>
/// Repositories written by release 1.0.0 (tests/Compatibility/v1.0.0) open, list, check clean, restore exactly what
/// their sources held, take new backups and forget and prune with the current code.
/// </summary>
public sealed class V1RepositoryTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _cli.Dispose();
    }

    [Theory]
    [InlineData("default-zstd")]
    [InlineData("gzip")]
    [InlineData("none")]
    [InlineData("forgotten")]
    [InlineData("databases")]
    public async Task Snapshots_lists_the_ids_times_hosts_tags_and_paths_1_0_0_wrote(string repository)
    {
        V1Fixtures.CopyInto(_cli, repository);

        var listed = await _cli.RunAsync("snapshots", "--json");

        listed.ExitCode.Should().Be(0, listed.Stderr);
        var actual = JsonDocument.Parse(listed.Stdout).RootElement.EnumerateArray().ToList();
        var expected = V1Fixtures.ExpectedSnapshots(repository);
        actual.Select(s => s.Id()).Should().Equal(expected.Select(s => s.Id()));
        foreach (var (got, want) in actual.Zip(expected))
        {
            got.GetProperty("time").GetDateTimeOffset().Should().Be(want.GetProperty("time").GetDateTimeOffset(), want.Id());
            foreach (var property in new[] { "hostname", "username", "sourceKind", "level" })
            {
                got.GetProperty(property).GetString().Should().Be(want.GetProperty(property).GetString(), $"{property} of {want.Id()}");
            }

            foreach (var property in new[] { "tags", "paths" })
            {
                got.GetProperty(property).EnumerateArray().Select(t => t.GetString()).Should()
                    .Equal(want.GetProperty(property).EnumerateArray().Select(t => t.GetString()), $"{property} of {want.Id()}");
            }

            got.GetProperty("parent").ToString().Should().Be(want.GetProperty("parent").ToString(), $"parent of {want.Id()}");
            got.GetProperty("tree").GetString().Should().Be(want.GetProperty("tree").GetString(), $"tree of {want.Id()}");
        }
    }

    [Theory]
    [InlineData("default-zstd")]
    [InlineData("gzip")]
    [InlineData("none")]
    [InlineData("forgotten")]
    [InlineData("databases")]
    public async Task Check_with_read_data_finds_no_problem(string repository)
    {
        V1Fixtures.CopyInto(_cli, repository);

        var check = await _cli.RunAsync("check", "--read-data", "--json");

        check.ExitCode.Should().Be(0, check.Stdout + check.Stderr);
        var result = JsonDocument.Parse(check.Stdout).RootElement;
        result.GetProperty("success").GetBoolean().Should().BeTrue(check.Stdout);
        result.GetProperty("problems").GetArrayLength().Should().Be(0, check.Stdout);
        result.GetProperty("packsRead").GetInt64().Should().BeGreaterThan(0);
    }

    [Theory]
    [InlineData("default-zstd", "files", 0, "manifest-files-1.tsv")]
    [InlineData("default-zstd", "files", 1, "manifest-files-2.tsv")]
    [InlineData("default-zstd", "v1-fixture", 2, "manifest-files-3.tsv")]
    [InlineData("gzip", "gzip", 0, "manifest-gzip.tsv")]
    [InlineData("none", "none", 0, "manifest-none.tsv")]
    [InlineData("forgotten", "forgotten", 0, "manifest-forgotten.tsv")]
    public async Task A_file_snapshot_restores_the_tree_it_was_taken_of_byte_for_byte_and_in_metadata(string repository, string tag, int nth, string manifest)
    {
        V1Fixtures.CopyInto(_cli, repository);
        var snapshot = V1Fixtures.ExpectedSnapshot(repository, tag, nth);
        var target = _cli.PathOf("restored");

        var restore = await _cli.RunAsync("restore", snapshot.Id()[..8], "--target", target);

        restore.ExitCode.Should().Be(0, restore.Stderr);
        await TreeManifest.ShouldMatchAsync(Path.Combine(target, snapshot.FirstPath().TrimStart('/')), V1Fixtures.PathOf(manifest));
    }

    [Fact]
    public async Task The_stdin_snapshot_restores_and_dumps_the_stream_byte_for_byte()
    {
        V1Fixtures.CopyInto(_cli, "default-zstd");
        var snapshot = V1Fixtures.ExpectedSnapshot("default-zstd", "stdin");
        var expected = File.ReadAllText(V1Fixtures.PathOf("stdin.sha256")).Trim();
        var target = _cli.PathOf("restored");

        var restore = await _cli.RunAsync("restore", snapshot.Id()[..8], "--target", target);
        var dump = await _cli.RunAsync("dump", snapshot.Id()[..8], "dump.sql");

        restore.ExitCode.Should().Be(0, restore.Stderr);
        Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(target, "dump.sql")))).Should().Be(expected);
        dump.ExitCode.Should().Be(0, dump.Stderr);
        Convert.ToHexStringLower(SHA256.HashData(dump.StdoutBytes)).Should().Be(expected);
    }

    [Fact]
    public async Task The_sqlite_snapshot_restores_every_row()
    {
        V1Fixtures.CopyInto(_cli, "default-zstd");
        var snapshot = V1Fixtures.ExpectedSnapshot("default-zstd", "sqlite");
        var restored = _cli.PathOf("shop.db");

        var restore = await _cli.RunAsync("restore", snapshot.Id()[..8], "--to-sqlite", restored);

        restore.ExitCode.Should().Be(0, restore.Stderr);
        (await SqliteRowsAsync(restored)).Should().Equal(File.ReadAllLines(V1Fixtures.PathOf("sqlite-rows.txt")));
    }

    [Fact]
    public async Task A_new_backup_into_a_1_0_0_repository_leaves_its_config_as_it_was_and_every_snapshot_readable()
    {
        V1Fixtures.CopyInto(_cli, "default-zstd");
        var configBefore = await File.ReadAllBytesAsync(Path.Combine(_cli.Repository, "config"));
        var files = _cli.PathOf("new-files");
        Directory.CreateDirectory(files);
        await File.WriteAllTextAsync(Path.Combine(files, "written-by-the-current-code.txt"), "after 1.0.0\n");

        var create = await _cli.RunAsync("create", files, "--tag", "current", "--json");
        var check = await _cli.RunAsync("check", "--read-data");
        var newest = await _cli.RunAsync("restore", DatabaseCli.SnapshotId(create)[..8], "--target", _cli.PathOf("restored-new"));
        var oldest = V1Fixtures.ExpectedSnapshot("default-zstd", "files");
        var first = await _cli.RunAsync("restore", oldest.Id()[..8], "--target", _cli.PathOf("restored-first"));

        (await File.ReadAllBytesAsync(Path.Combine(_cli.Repository, "config"))).Should().Equal(configBefore, "a backup must not upgrade the format under a 1.0.0 reader");
        check.ExitCode.Should().Be(0, check.Stdout + check.Stderr);
        check.Stdout.Should().Contain("Checked 8 snapshot(s)").And.Contain("No problems found.");
        newest.ExitCode.Should().Be(0, newest.Stderr);
        (await File.ReadAllTextAsync(Path.Combine(_cli.PathOf("restored-new"), files.TrimStart('/'), "written-by-the-current-code.txt"))).Should().Be("after 1.0.0\n");
        first.ExitCode.Should().Be(0, first.Stderr);
        await TreeManifest.ShouldMatchAsync(Path.Combine(_cli.PathOf("restored-first"), oldest.FirstPath().TrimStart('/')), V1Fixtures.PathOf("manifest-files-1.tsv"));
    }

    [Fact]
    public async Task Forget_with_prune_removes_the_old_file_snapshots_and_the_rest_still_restore()
    {
        V1Fixtures.CopyInto(_cli, "default-zstd");
        var differential = V1Fixtures.ExpectedSnapshot("default-zstd", "v1-fixture", 2);

        var forget = await _cli.RunAsync("forget", "--keep-last", "1", "--prune", "--unindexed-grace", "0");
        var listed = await _cli.RunAsync("snapshots", "--json");
        var check = await _cli.RunAsync("check", "--read-data");
        var files = await _cli.RunAsync("restore", differential.Id()[..8], "--target", _cli.PathOf("restored"));
        var sqlite = await _cli.RunAsync("restore", V1Fixtures.ExpectedSnapshot("default-zstd", "sqlite").Id()[..8], "--to-sqlite", _cli.PathOf("shop.db"));

        forget.ExitCode.Should().Be(0, forget.Stderr);
        var remaining = JsonDocument.Parse(listed.Stdout).RootElement.EnumerateArray().Select(s => s.Id()).ToList();
        remaining.Should().Equal(V1Fixtures.ExpectedSnapshots("default-zstd").Skip(2).Select(s => s.Id()),
            "the full and incremental file snapshots go; the differential one (whose parent went) and each database's and the stream's stay");
        check.ExitCode.Should().Be(0, check.Stdout + check.Stderr);
        check.Stdout.Should().Contain("No problems found.");
        files.ExitCode.Should().Be(0, files.Stderr);
        await TreeManifest.ShouldMatchAsync(Path.Combine(_cli.PathOf("restored"), differential.FirstPath().TrimStart('/')), V1Fixtures.PathOf("manifest-files-3.tsv"));
        sqlite.ExitCode.Should().Be(0, sqlite.Stderr);
        (await SqliteRowsAsync(_cli.PathOf("shop.db"))).Should().Equal(File.ReadAllLines(V1Fixtures.PathOf("sqlite-rows.txt")));
    }

    [Fact]
    public async Task A_wrong_password_is_refused_as_one()
    {
        V1Fixtures.CopyInto(_cli, "default-zstd");
        _cli.Environment["BACKUP_PASSWORD"] = "not-" + V1Fixtures.Password;

        var listed = await _cli.RunAsync("snapshots");

        listed.ExitCode.Should().Be(11, listed.Stderr);
    }

    /// <summary>The rows as make-v1-repositories.sh had sqlite3 print them ('|'-separated, SQL literals from quote()).</summary>
    private static async Task<List<string>> SqliteRowsAsync(string file)
    {
        await using var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 'items', id, name, quote(price), hex(payload), quote(note) FROM items UNION ALL SELECT 'notes', id, item_id, body, '', '' FROM notes ORDER BY 1, 2";
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(string.Join('|', Enumerable.Range(0, reader.FieldCount).Select(i => Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
        }

        return rows;
    }
}
