using Backup.Core.Pipeline;
using Backup.Core.Sources;
using Backup.Providers.PostgreSql;
using Backup.Providers.Tests.Servers;
using Npgsql;
using Xunit.Abstractions;

namespace Backup.Providers.Tests;

/// <summary>The parallel method: concurrent COPY in one exported snapshot, checksums from the streams, parallel restore.</summary>
public sealed class PostgreSqlParallelTests(PostgresFixture fixture, ITestOutputHelper output) : IClassFixture<PostgresFixture>
{
    private const string Schema = """
        CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
        CREATE TABLE kinds (
            id serial PRIMARY KEY, n numeric(30, 10), i bigint, f double precision, t text, b bytea, j jsonb, js json,
            arr int[], tarr text[], ts timestamptz, tsl timestamp, d date, iv interval, u uuid, ok boolean, m mood, nothing text);
        CREATE TABLE audit (id bigserial PRIMARY KEY, kind_id int, changed_at timestamptz DEFAULT now());
        CREATE FUNCTION note_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit(kind_id) VALUES (NEW.id); RETURN NEW; END $$;
        CREATE TRIGGER kinds_audit AFTER INSERT OR UPDATE ON kinds FOR EACH ROW EXECUTE FUNCTION note_change();
        CREATE VIEW kinds_view AS SELECT id, t FROM kinds;
        CREATE SEQUENCE counter START 100;
        SELECT nextval('counter'), nextval('counter');
        CREATE INDEX kinds_t ON kinds (t);
        CREATE UNIQUE INDEX kinds_u ON kinds (u);
        CREATE SCHEMA other;
        CREATE TABLE other.child (id int PRIMARY KEY, kind_id int NOT NULL REFERENCES public.kinds(id), note text CHECK (note <> ''));
        CREATE TABLE big (id bigint PRIMARY KEY, payload text, blob bytea);
        INSERT INTO kinds (n, i, f, t, b, j, js, arr, tarr, ts, tsl, d, iv, u, ok, m)
        SELECT g * 1.0000000001, g::bigint * 1000000007, g / 3.0, 'héllo wörld ✓ 日本語 🎉 ' || g,
               decode(md5(g::text), 'hex') || '\x00ff'::bytea, jsonb_build_object('k', g, 'arr', jsonb_build_array(g, 'x')),
               json_build_object('raw', g), ARRAY[g, g + 1], ARRAY['a' || g, NULL, 'ü'], '2024-03-31 01:30:00+02'::timestamptz + g * interval '1 hour',
               '2024-10-27 02:30:00'::timestamp + g * interval '1 minute', '2000-02-29'::date + g, make_interval(days => g, secs => g / 10.0),
               md5(g::text)::uuid, g % 2 = 0, (ARRAY['sad', 'ok', 'happy'])[g % 3 + 1]::mood
        FROM generate_series(1, 500) g;
        INSERT INTO other.child SELECT g, g, 'child ' || g FROM generate_series(1, 50) g;
        INSERT INTO big SELECT g, repeat(md5(g::text), 4), decode(repeat(md5((g * 7)::text), 2), 'hex') FROM generate_series(1, 30000) g;
        """;

    private static PostgreSqlSourceOptions SourceOptions(PostgresServer server, string database) => new()
    {
        ConnectionString = server.ConnectionString(database),
        Password = PostgresServer.Password,
    };

    [Fact]
    public void The_stream_checksum_does_not_depend_on_how_the_stream_is_cut()
    {
        // A binary COPY stream of three rows: (1, 'a'), (NULL, ''), (2, 40 bytes), then the trailer.
        var stream = new List<byte>([(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', 0x0A, 0xFF, 0x0D, 0x0A, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
        void Row(params byte[]?[] fields)
        {
            stream.AddRange([0, (byte)fields.Length]);
            foreach (var field in fields)
            {
                stream.AddRange(field is null ? [0xFF, 0xFF, 0xFF, 0xFF] : [0, 0, 0, (byte)field.Length]);
                stream.AddRange(field ?? []);
            }
        }

        Row([0, 0, 0, 1], [(byte)'a']);
        Row(null, []);
        Row([0, 0, 0, 2], [.. Enumerable.Range(0, 40).Select(b => (byte)b)]);
        stream.AddRange([0xFF, 0xFF]);
        var bytes = stream.ToArray();

        var whole = new CopyChecksum();
        whole.Append(bytes);
        whole.Rows.Should().Be(3);
        whole.Complete.Should().BeTrue();
        for (var cut = 1; cut < bytes.Length; cut++)
        {
            var split = new CopyChecksum();
            split.Append(bytes.AsSpan(0, cut));
            split.Append(bytes.AsSpan(cut));
            split.Value.Should().Be(whole.Value, $"cut at {cut}");
            split.Rows.Should().Be(3);
        }

        var bytewise = new CopyChecksum();
        foreach (var b in bytes)
        {
            bytewise.Append([b]);
        }

        bytewise.Value.Should().Be(whole.Value);

        // Rows in another order give the same sum; a changed byte does not.
        var changed = (byte[])bytes.Clone();
        changed[^3] ^= 1;
        var other = new CopyChecksum();
        other.Append(changed);
        other.Value.Should().NotBe(whole.Value);
    }

    [SkippableFact]
    public async Task A_parallel_backup_round_trips_types_indexes_and_constraints_and_verifies_with_stream_checksums()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("par");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, Schema);
        await using var repo = await TestRepository.CreateAsync();

        var result = await repo.Service.BackupAsync(new PostgreSqlSource(SourceOptions(server, database)), new BackupOptions { FilesInFlight = 3 });

        var snapshot = result.Snapshot;
        snapshot.Metadata["postgresql.method"].Should().Be("parallel");
        snapshot.Metadata["postgresql.format"].Should().Be("parallel-copy");
        snapshot.Metadata["postgresql.checksum_kind"].Should().Be(CopyChecksum.Kind);
        var recorded = ChecksumMetadata.Read(snapshot.Metadata, "postgresql", database)!;
        recorded.Should().Contain(t => t.Table == "public.kinds" && t.Rows == 500);
        recorded.Should().Contain(t => t.Table == "public.big" && t.Rows == 30000);
        recorded.Should().Contain(t => t.Table == "other.child" && t.Rows == 50);
        recorded.Should().Contain(t => t.Table == "public.counter (sequence)");

        // The checksums the stream gave are the ones a separate read of the source gives.
        await using (var connection = await server.OpenAsync(database))
        {
            ChecksumMetadata.Compare(database, recorded, await CopyChecksums.MeasureAsync(connection, CancellationToken.None)).Should().BeEmpty();
        }

        var target = fixture.NewDatabaseName("par_restored");
        var restored = await new PostgreSqlRestorer(repo.Repository).RestoreAsync(snapshot, new PostgreSqlRestoreOptions
        {
            ConnectionString = server.ConnectionString(target),
            Password = PostgresServer.Password,
            Jobs = 2,
            // Every table gets its own indexes and keys built right after its rows (the verifier below takes the
            // default, where these small tables all wait for the one post-data pass).
            EarlyPostDataMinBytes = 0,
        });
        output.WriteLine($"restored {restored.Bytes} bytes in {restored.Duration.TotalMilliseconds:F0} ms");
        await using (var connection = await server.OpenAsync(target))
        {
            ChecksumMetadata.Compare(database, recorded, await CopyChecksums.MeasureAsync(connection, CancellationToken.None)).Should().BeEmpty();
        }

        (await server.ScalarAsync(target, "SELECT count(*) FROM pg_indexes WHERE indexname IN ('kinds_t', 'kinds_u', 'kinds_pkey', 'big_pkey', 'child_pkey')")).Should().Be(5L);
        (await server.ScalarAsync(target, "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = 'other.child'::regclass")).Should().Be(1L);
        var orphan = () => server.ExecuteAsync(target, "INSERT INTO other.child VALUES (999, 99999, 'x')");
        await orphan.Should().ThrowAsync<PostgresException>("the foreign key was restored");
        var empty = () => server.ExecuteAsync(target, "INSERT INTO other.child VALUES (998, 1, '')");
        await empty.Should().ThrowAsync<PostgresException>("the check constraint was restored");
        (await server.ScalarAsync(target, "SELECT nextval('counter')")).Should().Be(102L);
        (await server.ScalarAsync(target, "SELECT t FROM kinds_view WHERE id = 1")).Should().Be("héllo wörld ✓ 日本語 🎉 1");
        (await server.ScalarAsync(target, "SELECT m::text FROM kinds WHERE id = 2")).Should().Be("happy");
        await server.ExecuteAsync(target, "INSERT INTO kinds (t) VALUES ('after restore')");
        (await server.ScalarAsync(target, "SELECT count(*) FROM audit")).Should().Be(501L, "the trigger was restored and fires");

        var verifier = new PostgreSqlVerifier(repo.Repository);
        var options = new PostgreSqlVerifyOptions { ConnectionString = server.ConnectionString(), Password = PostgresServer.Password, Jobs = 2 };
        var good = await verifier.VerifyAsync(snapshot, options);
        output.WriteLine(good.ToString());
        good.Succeeded.Should().BeTrue();
        good.TablesCompared.Should().Be(recorded.Count);
        good.Notes.Should().NotContain(n => n.Contains("superuser", StringComparison.Ordinal), "a drill as postgres runs the snapshot as a scratch role");

        var tampered = await verifier.VerifyAsync(snapshot, options with
        {
            AfterRestore = async (connection, _, ct) =>
            {
                await using var command = new NpgsqlCommand("UPDATE big SET payload = 'tampered' WHERE id = 7", connection);
                await command.ExecuteNonQueryAsync(ct);
            },
        });
        output.WriteLine(tampered.ToString());
        tampered.Succeeded.Should().BeFalse();
        tampered.FailedTables.Should().Equal("public.big");
    }

    [SkippableFact]
    public async Task A_drill_runs_as_a_role_that_is_not_a_superuser()
    {
        // The schema a drill restores is pg_dump's SQL, run as the connecting role: docs/databases.md advises a role
        // that may create databases and nothing more, so a snapshot written by someone else cannot reach further.
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("par_drill");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, Schema);
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.Service.BackupAsync(new PostgreSqlSource(SourceOptions(server, database)))).Snapshot;
        var role = fixture.NewDatabaseName("drill");
        await server.ExecuteAsync("postgres", $"CREATE ROLE {role} LOGIN CREATEDB NOSUPERUSER PASSWORD 'drill-pw'");

        var report = await new PostgreSqlVerifier(repo.Repository).VerifyAsync(snapshot, new PostgreSqlVerifyOptions
        {
            ConnectionString = server.ConnectionString().Replace("Username=postgres", $"Username={role}", StringComparison.Ordinal),
            Password = "drill-pw",
            Jobs = 2,
        });

        output.WriteLine(report.ToString());
        report.Succeeded.Should().BeTrue();
        report.TablesCompared.Should().BeGreaterThan(0);
        report.Notes.Should().NotContain(n => n.Contains("superuser", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Rows_changed_by_another_connection_during_the_backup_are_not_in_it()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("par_snap");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, "CREATE TABLE a (id int PRIMARY KEY, v text); INSERT INTO a SELECT g, 'v' || g FROM generate_series(1, 20000) g; CREATE TABLE b (id int PRIMARY KEY); INSERT INTO b SELECT generate_series(1, 100);");
        await using var repo = await TestRepository.CreateAsync();

        // Pinned, then changed by another connection before any table is read.
        var source = new AfterPrepare(new PostgreSqlSource(SourceOptions(server, database)), () => server.ExecuteAsync(database,
            "UPDATE a SET v = 'changed' WHERE id <= 1000; DELETE FROM b WHERE id > 50; INSERT INTO a SELECT g, 'new' FROM generate_series(20001, 20500) g;"));
        var snapshot = (await repo.Service.BackupAsync(source)).Snapshot;

        var recorded = ChecksumMetadata.Read(snapshot.Metadata, "postgresql", database)!;
        recorded.Should().Contain(t => t.Table == "public.a" && t.Rows == 20000);
        recorded.Should().Contain(t => t.Table == "public.b" && t.Rows == 100);
        var target = fixture.NewDatabaseName("par_snap_restored");
        await new PostgreSqlRestorer(repo.Repository).RestoreAsync(snapshot, new PostgreSqlRestoreOptions { ConnectionString = server.ConnectionString(target), Password = PostgresServer.Password, Jobs = 2 });
        (await server.ScalarAsync(target, "SELECT count(*) FROM a WHERE v = 'changed' OR v = 'new'")).Should().Be(0L);
        (await server.ScalarAsync(target, "SELECT count(*) FROM b")).Should().Be(100L);
    }

    [SkippableFact]
    public async Task A_table_whose_copy_fails_fails_the_backup_clearly_and_writes_no_snapshot()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("par_fail");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, "CREATE TABLE small (id int); INSERT INTO small VALUES (1); CREATE TABLE huge (id int, payload text); INSERT INTO huge SELECT g, repeat(md5(g::text), 8) FROM generate_series(1, 200000) g;");
        await using var repo = await TestRepository.CreateAsync();

        // The server ends the backend that streams the big table while its COPY is under way.
        var source = new StopOnFirstRead(new PostgreSqlSource(SourceOptions(server, database)), () => server.ExecuteAsync("postgres",
            $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}' AND query LIKE 'COPY %huge%'"),
            path => path.EndsWith(".copy", StringComparison.Ordinal));
        var act = () => repo.Service.BackupAsync(source);

        var error = (await act.Should().ThrowAsync<BackupSourceException>()).Which;
        output.WriteLine(error.Message);
        error.Message.Should().Contain("COPY of public.huge").And.NotContain(PostgresServer.Password);
        (await repo.CountSnapshotsAsync()).Should().Be(0);
    }

    [SkippableFact]
    public async Task A_database_with_large_objects_falls_back_to_pg_dump_and_keeps_them()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("par_lo");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, "CREATE TABLE t (id int PRIMARY KEY, doc oid); INSERT INTO t VALUES (1, lo_from_bytea(0, '\\xdeadbeef'::bytea));");
        await using var repo = await TestRepository.CreateAsync();

        var snapshot = (await repo.Service.BackupAsync(new PostgreSqlSource(SourceOptions(server, database)))).Snapshot;

        snapshot.Metadata["postgresql.method"].Should().Be("pg_dump");
        snapshot.Metadata.Should().NotContainKey("postgresql.checksum_kind");
        ChecksumMetadata.Read(snapshot.Metadata, "postgresql", database)!.Should().Contain(t => t.Table == "(large objects)" && t.Rows == 1);
        var report = await new PostgreSqlVerifier(repo.Repository).VerifyAsync(snapshot, new PostgreSqlVerifyOptions { ConnectionString = server.ConnectionString(), Password = PostgresServer.Password });
        report.Succeeded.Should().BeTrue(report.ToString());
    }

    /// <summary>Runs <paramref name="after"/> once the source has pinned its snapshot, before anything is read.</summary>
    private sealed class AfterPrepare(IBackupSource inner, Func<Task> after) : IBackupSource
    {
        public string Kind => inner.Kind;

        public IReadOnlyList<string> Paths => inner.Paths;

        public async Task PrepareAsync(CancellationToken cancellationToken = default)
        {
            await inner.PrepareAsync(cancellationToken);
            await after();
        }

        public Task<IReadOnlyDictionary<string, string>> GetSnapshotMetadataAsync(CancellationToken cancellationToken = default) => inner.GetSnapshotMetadataAsync(cancellationToken);

        public IAsyncEnumerable<SourceEntry> ReadEntriesAsync(SourceContext context, CancellationToken cancellationToken = default) => inner.ReadEntriesAsync(context, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
