using Backup.Core.Snapshots;
using Backup.Providers.PostgreSql;
using Backup.Providers.Tests.Servers;
using Npgsql;
using Xunit.Abstractions;

namespace Backup.Providers.Tests;

/// <summary>
/// A snapshot whose dump directory was damaged or altered (a file missing, a manifest forged or broken) fails to
/// restore with an error that names the file, before the target database is created; and relations whose
/// "schema.name" reads the same keep their own checksums.
/// </summary>
public sealed class PostgreSqlDamagedSnapshotTests(PostgresFixture fixture, ITestOutputHelper output) : IClassFixture<PostgresFixture>
{
    private const string Schema = """
        CREATE TABLE items (id int PRIMARY KEY, name text);
        CREATE TABLE notes (id int, body text);
        INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 100) g;
        INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 10) g;
        """;

    private async Task<(TestRepository Repo, Snapshot Snapshot, string Entry)> BackUpAsync(PostgresServer server, PostgreSqlBackupMethod method)
    {
        var database = fixture.NewDatabaseName("damaged");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, Schema);
        var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.Service.BackupAsync(new PostgreSqlSource(new PostgreSqlSourceOptions
        {
            ConnectionString = server.ConnectionString(database),
            Password = PostgresServer.Password,
            Method = method,
        }))).Snapshot;
        return (repo, snapshot, snapshot.Metadata[$"postgresql.entry.{database}"]);
    }

    /// <summary>Restores <paramref name="snapshot"/> into a new database, expecting a failure; the database must not have been created.</summary>
    private async Task<DatabaseRestoreException> RestoreFailsAsync(PostgresServer server, TestRepository repo, Snapshot snapshot)
    {
        var target = fixture.NewDatabaseName("damaged_target");
        var restore = () => new PostgreSqlRestorer(repo.Repository).RestoreAsync(snapshot, new PostgreSqlRestoreOptions
        {
            ConnectionString = server.ConnectionString(target),
            Password = PostgresServer.Password,
            Jobs = 2,
        });
        var failure = (await restore.Should().ThrowExactlyAsync<DatabaseRestoreException>()).Which;
        output.WriteLine(failure.Message);
        failure.Message.Should().Contain("damaged or was altered").And.Contain("another snapshot");
        (await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{target}'")).Should().Be(0L, "the dump is checked before the target is created");
        return failure;
    }

    [SkippableTheory]
    [InlineData(PostgreSqlBackupMethod.Parallel, "manifest.json")]
    [InlineData(PostgreSqlBackupMethod.Parallel, "schema.dump")]
    [InlineData(PostgreSqlBackupMethod.Parallel, "tables")]
    [InlineData(PostgreSqlBackupMethod.DriverOnly, "pre-data.sql")]
    [InlineData(PostgreSqlBackupMethod.DriverOnly, "post-data.sql")]
    public async Task A_dump_directory_without_one_of_its_files_fails_naming_the_file(PostgreSqlBackupMethod method, string removed)
    {
        var server = fixture.Require();
        var (repo, snapshot, entry) = await BackUpAsync(server, method);
        await using var _ = repo;
        var damaged = await SnapshotSurgery.ChangeDirectoryAsync(repo.Repository, snapshot, entry, nodes => SnapshotSurgery.Remove(nodes, removed));

        var failure = await RestoreFailsAsync(server, repo, damaged);

        failure.Message.Should().Contain($"'{entry}' has no {removed}");
    }

    [SkippableFact]
    public async Task A_table_the_manifest_lists_without_its_file_fails_naming_the_table()
    {
        var server = fixture.Require();
        var (repo, snapshot, entry) = await BackUpAsync(server, PostgreSqlBackupMethod.Parallel);
        await using var _ = repo;
        string? removed = null;
        var damaged = await SnapshotSurgery.ChangeDirectoryAsync(repo.Repository, snapshot, $"{entry}/tables", nodes =>
        {
            // The smaller table: the other one is loaded first, so a late lookup would fail only after work was done.
            removed = nodes.MinBy(n => n.Size)!.Name;
            SnapshotSurgery.Remove(nodes, removed);
        });

        var failure = await RestoreFailsAsync(server, repo, damaged);

        failure.Message.Should().Contain($"'{entry}/tables' has no {removed}").And.Contain("table public.notes");
    }

    public static TheoryData<string, string?, long?, string> ForgedManifests => new()
    {
        // The entry says 300 MiB: refused before anything is read.
        { "claims to be huge", null, 300L * 1024 * 1024, "a restore reads into memory, so it was not read" },
        // The entry says 10 bytes, the content is longer: reading stops there.
        { "longer than its entry", """{"Version":2}""" + new string(' ', 5000), 10L, "holds more than the 10 bytes its entry records" },
        { "not JSON", "{\"Version\": 2, \"Tables\": [", null, "manifest.json' is damaged: it is not the JSON a backup writes" },
        { "no table list", """{"Version":2,"SchemaSource":"pg_dump-custom","Sequences":[]}""", null, "has no list of tables or of sequences" },
        { "a table without a file", """{"Version":2,"SchemaSource":"pg_dump-custom","Tables":[{"Schema":"public","Name":"items"}],"Sequences":[]}""", null, "lists a table without a schema, name or file" },
    };

    [SkippableTheory]
    [MemberData(nameof(ForgedManifests))]
    public async Task A_forged_or_broken_manifest_fails_with_what_is_wrong(string name, string? content, long? recordedSize, string expected)
    {
        output.WriteLine(name);
        var server = fixture.Require();
        var (repo, snapshot, entry) = await BackUpAsync(server, PostgreSqlBackupMethod.Parallel);
        await using var _ = repo;
        var damaged = await SnapshotSurgery.ChangeDirectoryAsync(repo.Repository, snapshot, entry, async (writer, nodes) =>
        {
            if (content is null)
            {
                var index = nodes.FindIndex(n => n.Name == "manifest.json");
                nodes[index] = nodes[index] with { Size = recordedSize!.Value };
            }
            else
            {
                await SnapshotSurgery.ReplaceFileAsync(writer, nodes, "manifest.json", content, recordedSize);
            }
        });

        var failure = await RestoreFailsAsync(server, repo, damaged);

        failure.Message.Should().Contain(expected);
    }

    [SkippableTheory]
    [InlineData(PostgreSqlBackupMethod.Parallel)]
    [InlineData(PostgreSqlBackupMethod.PgDump)]
    public async Task Tables_whose_schema_dot_name_reads_the_same_keep_their_own_checksums(PostgreSqlBackupMethod method)
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("dotted");
        await server.CreateDatabaseAsync(database);
        // Schema "a.b" with table "c", schema "a" with table "b.c": both were "a.b.c"; and a table named like a sequence's entry.
        await server.ExecuteAsync(database, """
            CREATE SCHEMA "a.b"; CREATE SCHEMA a;
            CREATE TABLE "a.b".c (id int PRIMARY KEY, v text);
            CREATE TABLE a."b.c" (id int PRIMARY KEY, v text);
            INSERT INTO "a.b".c SELECT g, 'first ' || g FROM generate_series(1, 30) g;
            INSERT INTO a."b.c" SELECT g, 'second ' || g FROM generate_series(1, 7) g;
            CREATE SEQUENCE public.s; SELECT nextval('public.s');
            CREATE TABLE public."s (sequence)" (x int); INSERT INTO public."s (sequence)" VALUES (1), (2);
            """);
        await using var repo = await TestRepository.CreateAsync();

        var snapshot = (await repo.Service.BackupAsync(new PostgreSqlSource(new PostgreSqlSourceOptions
        {
            ConnectionString = server.ConnectionString(database),
            Password = PostgresServer.Password,
            Method = method,
        }))).Snapshot;

        var recorded = ChecksumMetadata.Read(snapshot.Metadata, "postgresql", database)!;
        output.WriteLine(string.Join(", ", recorded.Select(t => $"{t.Table}={t.Rows}")));
        recorded.Should().ContainSingle(t => t.Table == "\"a.b\".\"c\"").Which.Rows.Should().Be(30);
        recorded.Should().ContainSingle(t => t.Table == "\"a\".\"b.c\"").Which.Rows.Should().Be(7);
        recorded.Should().ContainSingle(t => t.Table == "\"public\".\"s (sequence)\"").Which.Rows.Should().Be(2);
        recorded.Should().ContainSingle(t => t.Table == "public.s (sequence)").Which.Rows.Should().Be(1);

        if (method == PostgreSqlBackupMethod.Parallel)
        {
            // Each table's own keys are built right after its rows: the plan keeps the two tables apart too.
            var target = fixture.NewDatabaseName("dotted_restored");
            await new PostgreSqlRestorer(repo.Repository).RestoreAsync(snapshot, new PostgreSqlRestoreOptions
            {
                ConnectionString = server.ConnectionString(target),
                Password = PostgresServer.Password,
                Jobs = 2,
                EarlyPostDataMinBytes = 0,
            });
            await using var connection = await server.OpenAsync(target);
            ChecksumMetadata.Compare(database, recorded, await CopyChecksums.MeasureAsync(connection, CancellationToken.None)).Should().BeEmpty();
        }

        var verifier = new PostgreSqlVerifier(repo.Repository);
        var options = new PostgreSqlVerifyOptions { ConnectionString = server.ConnectionString(), Password = PostgresServer.Password };
        var good = await verifier.VerifyAsync(snapshot, options);
        output.WriteLine(good.ToString());
        good.Succeeded.Should().BeTrue();

        // One row of one of the two changes after the restore: that table, and only that one, fails.
        var tampered = await verifier.VerifyAsync(snapshot, options with
        {
            AfterRestore = async (connection, _, ct) =>
            {
                await using var command = new NpgsqlCommand("""UPDATE a."b.c" SET v = 'tampered' WHERE id = 3""", connection);
                await command.ExecuteNonQueryAsync(ct);
            },
        });
        output.WriteLine(tampered.ToString());
        tampered.FailedTables.Should().Equal("\"a\".\"b.c\"");
    }

    [SkippableFact]
    public async Task A_snapshot_that_names_its_checksums_as_earlier_versions_did_still_verifies()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("legacy");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, """
            CREATE TABLE public."v1.2" (id int PRIMARY KEY); INSERT INTO public."v1.2" SELECT generate_series(1, 5);
            CREATE TABLE plain (id int); INSERT INTO plain VALUES (1);
            """);
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.Service.BackupAsync(new PostgreSqlSource(new PostgreSqlSourceOptions { ConnectionString = server.ConnectionString(database), Password = PostgresServer.Password }))).Snapshot;

        // As an earlier version wrote it: no checksum_names key, and "public.v1.2" for the dotted table.
        var metadata = snapshot.Metadata.Where(p => p.Key != PgTableKey.MetadataKey).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var recorded = ChecksumMetadata.Read(metadata, "postgresql", database)!;
        recorded.Select(t => t.Table).Should().Contain("\"public\".\"v1.2\"").And.Contain("public.plain");
        ChecksumMetadata.Write(metadata, "postgresql", database, recorded.Select(t => t.Table == "\"public\".\"v1.2\"" ? t with { Table = "public.v1.2" } : t));
        var old = await repo.Repository.Snapshots.SaveAsync(snapshot with { Metadata = metadata, Time = DateTimeOffset.Now });

        var report = await new PostgreSqlVerifier(repo.Repository).VerifyAsync(old, new PostgreSqlVerifyOptions { ConnectionString = server.ConnectionString(), Password = PostgresServer.Password });

        output.WriteLine(report.ToString());
        report.Succeeded.Should().BeTrue();
        report.TablesCompared.Should().Be(2);
    }

    [SkippableFact]
    public async Task A_function_the_archive_puts_in_public_does_not_stand_in_for_a_built_in_one_in_the_restores_own_statements()
    {
        // A manifest without PopulatedViews (as older versions wrote) has the restore list the empty materialized
        // views itself; a public.quote_ident(name) from the archive, an exact match for the catalog's name columns,
        // once answered that query with SQL of its own, run after REFRESH MATERIALIZED VIEW.
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("shadow");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, """
            CREATE TABLE items (id int PRIMARY KEY, name text);
            INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 10) g;
            CREATE MATERIALIZED VIEW public.mv AS SELECT count(*) AS n FROM items WITH NO DATA;
            CREATE FUNCTION public.quote_ident(name) RETURNS text LANGUAGE sql AS $f$
              SELECT CASE WHEN $1 = 'public'::name
                THEN '"public"."mv"; CREATE TABLE public.injected_by_refresh AS SELECT current_user::text AS u; --'
                ELSE pg_catalog.quote_ident($1::text) END $f$;
            """);
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.Service.BackupAsync(new PostgreSqlSource(new PostgreSqlSourceOptions
        {
            ConnectionString = server.ConnectionString(database),
            Password = PostgresServer.Password,
            Method = PostgreSqlBackupMethod.Parallel,
        }))).Snapshot;
        var entry = snapshot.Metadata[$"postgresql.entry.{database}"];
        var forged = await SnapshotSurgery.ChangeDirectoryAsync(repo.Repository, snapshot, entry, async (writer, nodes) =>
        {
            var tables = (await repo.Repository.Snapshots.LoadTreeAsync(nodes.Single(n => n.Name == "tables").Subtree!.Value)).Nodes;
            await SnapshotSurgery.ReplaceFileAsync(writer, nodes, "manifest.json",
                $$"""{"Version":2,"SchemaSource":"pg_dump-custom","Tables":[{"Schema":"public","Name":"items","File":"{{tables.Single().Name}}"}],"Sequences":[]}""");
        });
        var target = fixture.NewDatabaseName("shadow_target");

        await new PostgreSqlRestorer(repo.Repository).RestoreAsync(forged, new PostgreSqlRestoreOptions
        {
            ConnectionString = server.ConnectionString(target),
            Password = PostgresServer.Password,
        });

        (await server.ScalarAsync(target, "SELECT count(*) FROM pg_class WHERE relname = 'injected_by_refresh'")).Should().Be(0L, "the restore's own statements call the catalog's functions");
        (await server.ScalarAsync(target, "SELECT n FROM public.mv")).Should().Be(10L, "the view was filled");
    }
}
