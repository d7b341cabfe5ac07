using System.IO.Pipelines;
using Backup.Core.Pipeline;
using Backup.Core.Sources;
using Backup.Providers.PostgreSql;
using Backup.Providers.Tests.Servers;
using Npgsql;
using Xunit.Abstractions;
using Backup.Core.Content;

namespace Backup.Providers.Tests;

public sealed class PostgreSqlTests(PostgresFixture fixture, ITestOutputHelper output) : IClassFixture<PostgresFixture>
{
    private const string ManyTypesSchema = """
        CREATE TABLE kinds (
            id serial PRIMARY KEY, n numeric(30, 10), i bigint, f double precision, r real, t text, vc varchar(40),
            b bytea, j jsonb, js json, arr int[], tarr text[], ts timestamptz, tsl timestamp, d date, iv interval,
            u uuid, ok boolean, nothing text);
        CREATE TABLE audit (id bigserial PRIMARY KEY, kind_id int, changed_at timestamptz DEFAULT now());
        CREATE FUNCTION note_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit(kind_id) VALUES (NEW.id); RETURN NEW; END $$;
        CREATE TRIGGER kinds_audit AFTER INSERT OR UPDATE ON kinds FOR EACH ROW EXECUTE FUNCTION note_change();
        CREATE FUNCTION twice(x int) RETURNS int IMMUTABLE LANGUAGE sql AS $$ SELECT x * 2 $$;
        CREATE VIEW kinds_view AS SELECT id, t, twice(id) AS doubled FROM kinds;
        CREATE SEQUENCE counter START 100;
        SELECT nextval('counter'), nextval('counter');
        CREATE INDEX kinds_t ON kinds (t);
        CREATE SCHEMA other;
        CREATE TABLE other.child (id int PRIMARY KEY, kind_id int REFERENCES public.kinds(id), note text);
        INSERT INTO kinds (n, i, f, r, t, vc, b, j, js, arr, tarr, ts, tsl, d, iv, u, ok)
        SELECT g * 1.0000000001, g::bigint * 1000000007, g / 3.0, g / 7.0, 'héllo wörld ✓ 日本語 🎉 ' || g, 'v' || g,
               decode(md5(g::text), 'hex') || '\x00ff'::bytea, jsonb_build_object('k', g, 'arr', jsonb_build_array(g, 'x')),
               json_build_object('raw', g), ARRAY[g, g + 1], ARRAY['a' || g, NULL, 'ü'], '2024-03-31 01:30:00+02'::timestamptz + g * interval '1 hour',
               '2024-10-27 02:30:00'::timestamp + g * interval '1 minute', '2000-02-29'::date + g, make_interval(days => g, secs => g / 10.0),
               md5(g::text)::uuid, g % 2 = 0
        FROM generate_series(1, 500) g;
        INSERT INTO other.child SELECT g, g, 'child ' || g FROM generate_series(1, 50) g;
        SELECT lo_from_bytea(0, '\xdeadbeefcafe'::bytea);
        SELECT lo_from_bytea(0, convert_to(repeat('large object ', 1000), 'UTF8'));
        """;

    private static PostgreSqlSourceOptions SourceOptions(PostgresServer server, string database) => new()
    {
        ConnectionString = server.ConnectionString(database),
        Password = PostgresServer.Password,
    };

    private static async Task<List<TableChecksum>> MeasureAsync(PostgresServer server, string database)
    {
        await using var connection = await server.OpenAsync(database);
        return await PgChecksums.MeasureAsync(connection, CancellationToken.None);
    }

    [SkippableFact]
    public async Task A_database_with_many_types_round_trips_into_a_new_database_with_identical_checksums()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("types");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, ManyTypesSchema);
        await using var repo = await TestRepository.CreateAsync();

        var result = await repo.Service.BackupAsync(new PostgreSqlSource(SourceOptions(server, database)));

        result.IsComplete.Should().BeTrue();
        result.Snapshot.SourceKind.Should().Be("postgresql");
        result.Snapshot.Metadata.Should().ContainKey("postgresql.server_version");
        var recorded = ChecksumMetadata.Read(result.Snapshot.Metadata, "postgresql", database)!;
        recorded.Should().Contain(t => t.Table == "public.kinds" && t.Rows == 500);
        recorded.Should().Contain(t => t.Table == "(large objects)" && t.Rows == 2);
        recorded.Should().Contain(t => t.Table == "public.counter (sequence)");

        var target = fixture.NewDatabaseName("types_restored");
        var restored = await new PostgreSqlRestorer(repo.Repository).RestoreAsync(result.Snapshot.Id.ToString(), new PostgreSqlRestoreOptions
        {
            ConnectionString = server.ConnectionString(target),
            Password = PostgresServer.Password,
            Jobs = 2,
        });

        output.WriteLine($"dump {restored.Bytes} bytes restored in {restored.Duration.TotalMilliseconds:F0} ms");
        var after = await MeasureAsync(server, target);
        ChecksumMetadata.Compare(database, recorded, after).Should().BeEmpty();
        (await server.ScalarAsync(target, "SELECT doubled FROM kinds_view WHERE id = 21")).Should().Be(42);
        (await server.ScalarAsync(target, "SELECT nextval('counter')")).Should().Be(102L);
        await server.ExecuteAsync(target, "INSERT INTO kinds (t) VALUES ('after restore')");
        (await server.ScalarAsync(target, "SELECT count(*) FROM audit")).Should().Be(501L, "the trigger was restored and fires");
        (await server.ScalarAsync(target, "SELECT t FROM kinds WHERE id = 1")).Should().Be("héllo wörld ✓ 日本語 🎉 1");
    }

    [SkippableFact]
    public async Task A_second_dump_of_a_one_percent_changed_database_adds_little()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("dedup");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, """
            CREATE TABLE events (id int PRIMARY KEY, payload text) WITH (autovacuum_enabled = off);
            INSERT INTO events SELECT g, md5(g::text) || repeat(md5((g * 7)::text), 3) FROM generate_series(1, 200000) g;
            CREATE TABLE other (id int PRIMARY KEY, payload text);
            INSERT INTO other SELECT g, repeat(md5((g * 3)::text), 4) FROM generate_series(1, 100000) g;
            """);
        await using var repo = await TestRepository.CreateAsync();
        var first = await repo.Service.BackupAsync(new PostgreSqlSource(SourceOptions(server, database)));

        // 1% of the rows: new ones appended and a contiguous range updated (as most applications change data).
        // Autovacuum stays off for events: on a slow run it vacuums after the first backup, and the new row versions
        // then fill the free space of pages all over the table instead of being appended, so any physical-order dump
        // (pg_dump's or a COPY) changes everywhere; that is the scattered case, which this test is not about.
        await server.ExecuteAsync(database, """
            INSERT INTO events SELECT g, 'new ' || md5(g::text) FROM generate_series(200001, 202000) g;
            UPDATE events SET payload = 'changed ' || id WHERE id BETWEEN 50000 AND 51000;
            """);
        var second = await repo.Service.BackupAsync(new PostgreSqlSource(SourceOptions(server, database)));

        var firstBytes = first.Snapshot.Statistics.BytesAdded;
        var secondBytes = second.Snapshot.Statistics.BytesAdded;
        output.WriteLine($"first backup: {first.Snapshot.Statistics.TotalBytes} bytes dumped, {firstBytes} bytes added; second (1% changed): {second.Snapshot.Statistics.TotalBytes} bytes dumped, {secondBytes} bytes added ({100.0 * secondBytes / firstBytes:F1}% of the first)");
        secondBytes.Should().BeLessThan(firstBytes / 3);
        await server.ExecuteAsync("postgres", $"DROP DATABASE {database}");
    }

    [SkippableFact]
    public async Task A_wrong_password_fails_clearly_writes_no_snapshot_and_never_shows_the_password()
    {
        var server = fixture.Require();
        await using var repo = await TestRepository.CreateAsync();
        const string wrong = "Wrong-Secret-4242";

        var act = () => repo.Service.BackupAsync(new PostgreSqlSource(SourceOptions(server, "postgres") with { Password = wrong }));

        var error = (await act.Should().ThrowAsync<BackupSourceException>()).Which;
        output.WriteLine(error.Message);
        error.Message.Should().Contain("password authentication failed").And.NotContain(wrong);
        (await repo.CountSnapshotsAsync()).Should().Be(0);
    }

    [SkippableFact]
    public async Task A_missing_database_fails_clearly_and_writes_no_snapshot()
    {
        var server = fixture.Require();
        await using var repo = await TestRepository.CreateAsync();

        var act = () => repo.Service.BackupAsync(new PostgreSqlSource(SourceOptions(server, "no_such_db")));

        (await act.Should().ThrowAsync<BackupSourceException>()).Which.Message.Should().Contain("no_such_db").And.Contain("does not exist");
        (await repo.CountSnapshotsAsync()).Should().Be(0);
    }

    [SkippableFact]
    public async Task A_server_that_stops_mid_dump_fails_the_backup_with_pg_dumps_error_and_no_snapshot()
    {
        fixture.Require();
        await using var server = await PostgresServer.StartAsync();
        await server.ExecuteAsync("postgres", "CREATE TABLE big (id int, payload text); INSERT INTO big SELECT g, repeat(md5(g::text), 8) FROM generate_series(1, 160000) g;");
        await using var repo = await TestRepository.CreateAsync();
        await repo.Service.BackupAsync(new PostgreSqlSource(SourceOptions(server, "postgres") with { RecordChecksums = false, Method = PostgreSqlBackupMethod.PgDump }));

        var source = new StopOnFirstRead(new PostgreSqlSource(SourceOptions(server, "postgres") with { RecordChecksums = false, Method = PostgreSqlBackupMethod.PgDump }), server.StopAsync);
        var act = () => repo.Service.BackupAsync(source);

        var error = (await act.Should().ThrowAsync<BackupSourceException>()).Which;
        output.WriteLine(error.Message);
        error.Message.Should().Contain("pg_dump").And.Contain("exited with code").And.NotContain(PostgresServer.Password);
        (await repo.CountSnapshotsAsync()).Should().Be(1, "only the first, good backup was written");
    }

    [SkippableFact]
    public async Task Selective_restore_succeeds_when_pg_restore_stops_reading_before_the_end_of_the_dump()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("selective_early");
        await server.CreateDatabaseAsync(database);

        // The wanted table's data comes first in the archive and megabytes follow it: pg_restore exits without reading
        // them, so the feed always meets a closed pipe.
        await server.ExecuteAsync(database, "CREATE TABLE a_keep (id int PRIMARY KEY); INSERT INTO a_keep SELECT generate_series(1, 50); CREATE TABLE z_bulk (id int, payload text); INSERT INTO z_bulk SELECT g, repeat(md5(g::text), 8) FROM generate_series(1, 40000) g;");
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.Service.BackupAsync(new PostgreSqlSource(SourceOptions(server, database) with { RecordChecksums = false, Method = PostgreSqlBackupMethod.PgDump }))).Snapshot;

        var target = fixture.NewDatabaseName("selective_early_one");
        await new PostgreSqlRestorer(repo.Repository).RestoreAsync(snapshot, new PostgreSqlRestoreOptions { ConnectionString = server.ConnectionString(target), Password = PostgresServer.Password, Tables = ["a_keep"] });

        (await server.ScalarAsync(target, "SELECT count(*) FROM a_keep")).Should().Be(50L);
        (await server.ScalarAsync(target, "SELECT count(*) FROM pg_tables WHERE tablename = 'z_bulk'")).Should().Be(0L);
    }

    [SkippableFact]
    public async Task Selective_restore_brings_back_one_table_and_restoring_over_an_existing_database_needs_clean()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("selective");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, "CREATE TABLE keep (id int PRIMARY KEY, v text); CREATE TABLE skip (id int); INSERT INTO keep SELECT g, 'k' || g FROM generate_series(1, 100) g; INSERT INTO skip VALUES (1);");
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.Service.BackupAsync(new PostgreSqlSource(SourceOptions(server, database)))).Snapshot;
        var restorer = new PostgreSqlRestorer(repo.Repository);

        var target = fixture.NewDatabaseName("selective_one");
        await restorer.RestoreAsync(snapshot, new PostgreSqlRestoreOptions { ConnectionString = server.ConnectionString(target), Password = PostgresServer.Password, Tables = ["keep"] });
        (await server.ScalarAsync(target, "SELECT count(*) FROM keep")).Should().Be(100L);
        (await server.ScalarAsync(target, "SELECT count(*) FROM pg_tables WHERE tablename = 'skip'")).Should().Be(0L);

        // Over the live database: refused without Clean, then restores the backed-up state with it.
        await server.ExecuteAsync(database, "DELETE FROM keep WHERE id > 10; DROP TABLE skip;");
        var over = () => restorer.RestoreAsync(snapshot, new PostgreSqlRestoreOptions { ConnectionString = server.ConnectionString(database), Password = PostgresServer.Password });
        var exists = (await over.Should().ThrowAsync<DatabaseRestoreException>()).Which;
        exists.Message.Should().Be($"Database '{database}' already exists; restore over it with Clean or into another TargetDatabase.");
        exists.Remedy.Should().Be(DatabaseRestoreRemedy.CleanOrAnotherTarget);
        await restorer.RestoreAsync(snapshot, new PostgreSqlRestoreOptions { ConnectionString = server.ConnectionString(database), Password = PostgresServer.Password, Clean = true });
        (await server.ScalarAsync(database, "SELECT count(*) FROM keep")).Should().Be(100L);
        (await server.ScalarAsync(database, "SELECT count(*) FROM skip")).Should().Be(1L);
    }

    [SkippableFact]
    public async Task A_password_file_left_by_a_killed_process_is_deleted_by_the_next_backup()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "processes are looked up in /proc");
        var server = fixture.Require();
        int ended;
        using (var process = System.Diagnostics.Process.Start("true")!)
        {
            ended = process.Id;
            await process.WaitForExitAsync();
        }

        var leftover = Path.Combine(Path.GetTempPath(), $"backup-{ended}-{Guid.NewGuid():N}.pgpass");
        var live = Path.Combine(Path.GetTempPath(), $"backup-{Environment.ProcessId}-{Guid.NewGuid():N}.pgpass");
        await File.WriteAllTextAsync(leftover, "*:*:*:*:left-behind");
        await File.WriteAllTextAsync(live, "*:*:*:*:in-use");
        File.SetLastWriteTimeUtc(leftover, DateTime.UtcNow.AddMinutes(-5));
        File.SetLastWriteTimeUtc(live, DateTime.UtcNow.AddMinutes(-5));

        // A file in use is held under an exclusive lock by the process using it, whatever its name says.
        var holder = new FileStream(live, FileMode.Open, FileAccess.Read, FileShare.None);
        try
        {
            await using var repo = await TestRepository.CreateAsync();
            await repo.Service.BackupAsync(new PostgreSqlSource(SourceOptions(server, "postgres") with { Method = PostgreSqlBackupMethod.PgDump, RecordChecksums = false }));

            File.Exists(leftover).Should().BeFalse("its process ended without deleting it, and it holds a password");
            File.Exists(live).Should().BeTrue("a file held under its lock is in use");
        }
        finally
        {
            await holder.DisposeAsync();
            File.Delete(leftover);
            File.Delete(live);
        }
    }

    [SkippableFact]
    public async Task A_restore_cancelled_while_it_loads_rows_ends_as_cancelled_not_as_a_damaged_snapshot()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("cancel");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, "CREATE TABLE big (id int PRIMARY KEY, v text); INSERT INTO big SELECT g, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) FROM generate_series(1, 400000) g;");
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.Service.BackupAsync(new PostgreSqlSource(SourceOptions(server, database)))).Snapshot;
        var target = fixture.NewDatabaseName("cancel_restored");
        var restorer = new PostgreSqlRestorer(repo.Repository);
        using var cancel = new CancellationTokenSource();

        // Cancelled as soon as rows arrive in the target: the COPY stream is cut mid-row.
        var restore = restorer.RestoreAsync(snapshot, new PostgreSqlRestoreOptions { ConnectionString = server.ConnectionString(target), Password = PostgresServer.Password }, cancel.Token);
        for (var wait = 0; wait < 600 && !restore.IsCompleted; wait++)
        {
            if (await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_stat_activity WHERE datname = '{target}' AND query LIKE 'COPY%'") is > 0L)
            {
                break;
            }

            await Task.Delay(25);
        }

        cancel.Cancel();
        var act = async () => await restore;
        var interrupted = (await act.Should().ThrowAsync<OperationCanceledException>("an interrupted restore is reported as interrupted, not as a damaged snapshot")).Which;
        interrupted.Message.Should().Contain("dropped again");
        interrupted.Should().BeOfType<DatabaseRestoreInterruptedException>("it began to change the target, and says how it left it as data")
            .Which.Remedy.Should().Be(DatabaseRestoreRemedy.None);
        (await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{target}'")).Should().Be(0L, "the database the interrupted restore created is dropped");
    }

    [SkippableTheory]
    [InlineData(PostgreSqlBackupMethod.Parallel)]
    [InlineData(PostgreSqlBackupMethod.PgDump)]
    public async Task A_restore_that_fails_drops_the_database_it_created_and_says_one_it_restored_over_is_partly_restored(PostgreSqlBackupMethod method)
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("owner_gone");
        var role = "owner_" + Guid.NewGuid().ToString("N")[..8];
        await server.ExecuteAsync("postgres", $"CREATE ROLE {role} NOLOGIN");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, $"CREATE TABLE a (id int PRIMARY KEY); INSERT INTO a SELECT generate_series(1, 100); CREATE TABLE b (id int); ALTER TABLE b OWNER TO {role};");
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.Service.BackupAsync(new PostgreSqlSource(SourceOptions(server, database) with { Method = method }))).Snapshot;

        // A new server without the roles the snapshot names as owners, restored with their owners kept: the restore stops at the first missing one.
        await server.ExecuteAsync(database, $"REASSIGN OWNED BY {role} TO postgres");
        await server.ExecuteAsync("postgres", $"DROP ROLE {role}");
        var restorer = new PostgreSqlRestorer(repo.Repository);
        var target = fixture.NewDatabaseName("owner_gone_restored");
        var options = new PostgreSqlRestoreOptions { ConnectionString = server.ConnectionString(target), Password = PostgresServer.Password, NoOwner = false };

        var failed = () => restorer.RestoreAsync(snapshot, options);

        var failure = (await failed.Should().ThrowExactlyAsync<DatabaseRestoreException>()).Which;
        failure.Message.Should().Contain(role).And.Contain($"The database '{target}' this restore had created was dropped again.");
        (await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{target}'")).Should().Be(0L, "a half-restored database must not be left looking like a restored one");

        // So the second attempt (the restoring user owning everything) needs no --clean; and one restored over is said to be what it is.
        await restorer.RestoreAsync(snapshot, options with { NoOwner = true });
        (await server.ScalarAsync(target, "SELECT count(*) FROM a")).Should().Be(100L);
        var over = () => restorer.RestoreAsync(snapshot, options with { Clean = true });
        var partly = (await over.Should().ThrowExactlyAsync<DatabaseRestoreException>()).Which;
        partly.Message.Should().EndWith($"'{target}' is partly restored; restore it again with Clean.", "the library names its own option, not the CLI's");
        partly.Remedy.Should().Be(DatabaseRestoreRemedy.RestoreAgainWithClean);
        (await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{target}'")).Should().Be(1L, "a database the restore did not create is never dropped");
    }

    [SkippableFact]
    public async Task Materialized_views_come_back_filled_as_they_were_and_a_database_with_amcheck_verifies()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("matviews");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, """
            CREATE EXTENSION amcheck SCHEMA public;
            CREATE TABLE sales (id int PRIMARY KEY, region text NOT NULL, amount numeric NOT NULL);
            INSERT INTO sales SELECT g, 'r' || (g % 7), g * 1.5 FROM generate_series(1, 500) g;
            -- "z_totals" sorts after the view it reads, "a_top" before it: the restore must fill them in dependency order.
            CREATE MATERIALIZED VIEW z_totals AS SELECT region, sum(amount) AS total FROM sales GROUP BY region;
            CREATE UNIQUE INDEX z_totals_region ON z_totals (region);
            CREATE MATERIALIZED VIEW a_top AS SELECT region FROM z_totals ORDER BY total DESC LIMIT 3;
            CREATE MATERIALIZED VIEW later AS SELECT id FROM sales WITH NO DATA;
            """);
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.Service.BackupAsync(new PostgreSqlSource(SourceOptions(server, database)))).Snapshot;

        var target = fixture.NewDatabaseName("matviews_restored");
        var restored = await new PostgreSqlRestorer(repo.Repository).RestoreAsync(snapshot, new PostgreSqlRestoreOptions { ConnectionString = server.ConnectionString(target), Password = PostgresServer.Password, Jobs = 2 });

        restored.Bytes.Should().BeGreaterThan(500 * 8, "the dump's size is its files' (the schema archive and each table's rows), not the directory's 0");
        (await server.ScalarAsync(target, "SELECT count(*) FROM z_totals")).Should().Be(7L, "a materialized view that held rows holds them again");
        (await server.ScalarAsync(target, "SELECT count(*) FROM a_top")).Should().Be(3L);
        (await server.ScalarAsync(target, "SELECT relispopulated FROM pg_class WHERE relname = 'later'")).Should().Be(false, "one created WITH NO DATA stays so");

        var verified = await new PostgreSqlVerifier(repo.Repository).VerifyAsync(snapshot, new PostgreSqlVerifyOptions { ConnectionString = server.ConnectionString(), Password = PostgresServer.Password });
        output.WriteLine(verified.ToString());
        verified.IntegrityProblems.Should().BeEmpty("amcheck restored into public is found there, not looked for in pg_catalog");
        verified.Succeeded.Should().BeTrue();
        verified.Notes.Should().NotContain(n => n.Contains("amcheck"));
    }

    [SkippableTheory]
    [InlineData(PostgreSqlBackupMethod.Parallel, PostgreSqlDumpFormat.Custom, false)]
    [InlineData(PostgreSqlBackupMethod.DriverOnly, PostgreSqlDumpFormat.Custom, false)]
    [InlineData(PostgreSqlBackupMethod.PgDump, PostgreSqlDumpFormat.Custom, false)]
    [InlineData(PostgreSqlBackupMethod.PgDump, PostgreSqlDumpFormat.Plain, false)]
    [InlineData(PostgreSqlBackupMethod.Parallel, PostgreSqlDumpFormat.Custom, true)]
    public async Task A_database_being_inserted_into_during_the_backup_passes_its_drill(PostgreSqlBackupMethod method, PostgreSqlDumpFormat format, bool largeObject)
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("busy");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, "CREATE TABLE orders (id bigserial PRIMARY KEY, note text); INSERT INTO orders (note) SELECT 'o' || g FROM generate_series(1, 1000) g;");
        if (largeObject)
        {
            // The parallel method cannot carry a large object: the whole snapshot is taken with pg_dump instead.
            await server.ExecuteAsync(database, "SELECT lo_from_bytea(0, '\\xcafe'::bytea);");
        }

        await using var repo = await TestRepository.CreateAsync();
        using var stop = new CancellationTokenSource();
        var inserted = 0;
        // An application taking order numbers all the while: nextval is not transactional, so the sequence moves on
        // while the backup reads its pinned snapshot.
        var writer = Task.Run(async () =>
        {
            await using var connection = await server.OpenAsync(database);
            while (!stop.IsCancellationRequested)
            {
                await using var insert = new NpgsqlCommand("INSERT INTO orders (note) VALUES ('live')", connection);
                await insert.ExecuteNonQueryAsync();
                Interlocked.Increment(ref inserted);
            }
        });

        Backup.Core.Snapshots.Snapshot snapshot;
        try
        {
            while (Volatile.Read(ref inserted) < 20)
            {
                await Task.Delay(5);
            }

            snapshot = (await repo.Service.BackupAsync(new PostgreSqlSource(SourceOptions(server, database) with { Method = method, Format = format }))).Snapshot;
        }
        finally
        {
            await stop.CancelAsync();
            await writer;
        }

        var report = await new PostgreSqlVerifier(repo.Repository).VerifyAsync(snapshot, new PostgreSqlVerifyOptions { ConnectionString = server.ConnectionString(), Password = PostgresServer.Password });

        output.WriteLine($"{inserted} rows inserted during the backup ({snapshot.Metadata["postgresql.method"]}, {snapshot.Metadata["postgresql.format"]}); {report}");
        snapshot.Metadata["postgresql.method"].Should().Be(method == PostgreSqlBackupMethod.PgDump || largeObject ? "pg_dump" : method == PostgreSqlBackupMethod.Parallel ? "parallel" : "driver");
        report.Succeeded.Should().BeTrue("the sequence is restored to the value the snapshot recorded, and compared with that value: {0}", string.Join("; ", report.FailedTables));
    }

    [SkippableFact]
    public async Task Verification_passes_reports_the_restore_time_and_catches_a_tampered_restore()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("verify");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, ManyTypesSchema);
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.Service.BackupAsync(new PostgreSqlSource(SourceOptions(server, database)))).Snapshot;
        var verifier = new PostgreSqlVerifier(repo.Repository);
        var options = new PostgreSqlVerifyOptions { ConnectionString = server.ConnectionString(), Password = PostgresServer.Password };

        var good = await verifier.VerifyAsync(snapshot, options);
        output.WriteLine(good.ToString());
        output.WriteLine(string.Join("; ", good.Notes));
        good.Succeeded.Should().BeTrue();
        good.TablesCompared.Should().BeGreaterThan(3);
        good.RestoreDuration.Should().BePositive();
        good.Notes.Should().NotContain(n => n.Contains("amcheck"), "amcheck ships with the server");

        var tampered = await verifier.VerifyAsync(snapshot, options with
        {
            AfterRestore = async (connection, _, ct) =>
            {
                await using var command = new NpgsqlCommand("ALTER TABLE kinds DISABLE TRIGGER kinds_audit; UPDATE kinds SET t = 'tampered' WHERE id = 7", connection);
                await command.ExecuteNonQueryAsync(ct);
            },
        });
        output.WriteLine(tampered.ToString());
        tampered.Succeeded.Should().BeFalse();
        tampered.FailedTables.Should().Equal("public.kinds");
        (await server.ScalarAsync("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'backup_verify%'")).Should().Be(0L, "scratch databases are dropped");
    }

    [SkippableFact]
    public async Task Driver_only_mode_round_trips_tables_and_sequences_without_pg_dump_for_the_data()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("driver");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, ManyTypesSchema.Replace("SELECT lo_from_bytea(0, '\\xdeadbeefcafe'::bytea);", string.Empty, StringComparison.Ordinal)
            .Replace("SELECT lo_from_bytea(0, convert_to(repeat('large object ', 1000), 'UTF8'));", string.Empty, StringComparison.Ordinal));
        await using var repo = await TestRepository.CreateAsync();

        var snapshot = (await repo.Service.BackupAsync(new PostgreSqlSource(SourceOptions(server, database) with { Method = PostgreSqlBackupMethod.DriverOnly }))).Snapshot;
        snapshot.Metadata["postgresql.format"].Should().Be("copy-binary");
        var target = fixture.NewDatabaseName("driver_restored");
        await new PostgreSqlRestorer(repo.Repository).RestoreAsync(snapshot, new PostgreSqlRestoreOptions { ConnectionString = server.ConnectionString(target), Password = PostgresServer.Password });

        ChecksumMetadata.Compare(database, ChecksumMetadata.Read(snapshot.Metadata, "postgresql", database)!, await MeasureAsync(server, target)).Should().BeEmpty();
        (await server.ScalarAsync(target, "SELECT doubled FROM kinds_view WHERE id = 4")).Should().Be(8, "pg_dump was available, so the schema is complete");
    }

    [SkippableFact]
    public async Task A_driver_only_snapshot_restores_with_clean_into_a_new_database_and_refuses_an_existing_one_naming_what_works()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("driverclean");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 5);");
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.Service.BackupAsync(new PostgreSqlSource(SourceOptions(server, database) with { Method = PostgreSqlBackupMethod.DriverOnly }))).Snapshot;
        snapshot.Metadata["postgresql.format"].Should().Be("copy-binary");
        var restorer = new PostgreSqlRestorer(repo.Repository);

        // Scripts that always pass Clean: a new target needs nothing dropped, so Clean must not stop it.
        var target = fixture.NewDatabaseName("driverclean_new");
        await restorer.RestoreAsync(snapshot, new PostgreSqlRestoreOptions { ConnectionString = server.ConnectionString(target), Password = PostgresServer.Password, Clean = true });
        (await server.ScalarAsync(target, "SELECT count(*) FROM t")).Should().Be(5L);

        await server.ExecuteAsync(target, "INSERT INTO t VALUES (6)");
        foreach (var clean in new[] { false, true })
        {
            var refused = await FluentActions.Awaiting(() => restorer.RestoreAsync(snapshot, new PostgreSqlRestoreOptions { ConnectionString = server.ConnectionString(target), Password = PostgresServer.Password, Clean = clean }))
                .Should().ThrowAsync<DatabaseRestoreException>();
            refused.Which.Remedy.Should().Be(DatabaseRestoreRemedy.AnotherTarget, "Clean cannot replace it either, so it must not be what the error advises");
            refused.Which.Message.Should().Be($"Database '{target}' already exists, and this snapshot (driver-only, one connection) restores into a new database only; restore into another TargetDatabase, or drop it first.");
        }

        (await server.ScalarAsync(target, "SELECT count(*) FROM t")).Should().Be(6L, "nothing was changed");
    }

    [SkippableFact]
    public async Task A_driver_only_snapshot_restores_as_a_user_who_is_not_a_member_of_the_original_owners_roles()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("nonsuper");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 50) g; CREATE VIEW tv AS SELECT id FROM t; CREATE SEQUENCE s;");
        var role = "restorer_" + Guid.NewGuid().ToString("N")[..8];
        await server.ExecuteAsync("postgres", $"CREATE ROLE {role} LOGIN CREATEDB PASSWORD '{PostgresServer.Password}'");
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.Service.BackupAsync(new PostgreSqlSource(SourceOptions(server, database) with { Method = PostgreSqlBackupMethod.DriverOnly }))).Snapshot;

        // A managed server's admin is rarely a superuser: the objects become the restoring user's, as pg_restore --no-owner makes them.
        var target = fixture.NewDatabaseName("nonsuper_restored");
        await new PostgreSqlRestorer(repo.Repository).RestoreAsync(snapshot, new PostgreSqlRestoreOptions
        {
            ConnectionString = server.ConnectionString(target).Replace("Username=postgres", $"Username={role}", StringComparison.Ordinal),
            Password = PostgresServer.Password,
        });

        (await server.ScalarAsync(target, "SELECT count(*) FROM t")).Should().Be(50L);
        (await server.ScalarAsync(target, "SELECT tableowner FROM pg_tables WHERE tablename = 't'")).Should().Be(role);
        (await server.ScalarAsync(target, "SELECT count(*) FROM tv")).Should().Be(50L);
    }

    [SkippableFact]
    public async Task All_databases_mode_stores_globals_and_every_database()
    {
        var server = fixture.Require();
        await server.CreateDatabaseAsync("app_one");
        await server.CreateDatabaseAsync("app_two");
        await server.ExecuteAsync("app_two", "CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2);");
        await server.ExecuteAsync("postgres", "CREATE ROLE reporting NOLOGIN");
        await using var repo = await TestRepository.CreateAsync();

        var snapshot = (await repo.Service.BackupAsync(new PostgreSqlSource(SourceOptions(server, "postgres") with { AllDatabases = true }))).Snapshot;

        PostgreSqlRestorer.DatabasesOf(snapshot).Should().Contain(["app_one", "app_two", "postgres"]).And.NotContain(["template0", "template1"]);
        var root = await repo.Repository.Snapshots.LoadTreeAsync(snapshot.Tree);
        root.Nodes.Select(n => n.Name).Should().Contain(["app_one", "app_two", "globals.sql", "postgres"], "the parallel method (the default) stores a directory per database");
        var globals = new MemoryStream();
        await new ContentReader(repo.Repository.Blobs).CopyToAsync(root.Nodes.Single(n => n.Name == "globals.sql"), globals);
        System.Text.Encoding.UTF8.GetString(globals.ToArray()).Should().Contain("CREATE ROLE reporting");
        ChecksumMetadata.Read(snapshot.Metadata, "postgresql", "app_two")!.Should().ContainSingle(t => t.Table == "public.t" && t.Rows == 2);
    }

    [SkippableFact]
    public async Task Driver_only_mode_with_a_catalog_schema_restores_tables_sequences_and_primary_keys()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("catalog");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, """
            CREATE SCHEMA app;
            CREATE TABLE app.items (id serial PRIMARY KEY, name text NOT NULL DEFAULT 'x', price numeric(10, 2), data bytea, tags text[], at timestamptz);
            INSERT INTO app.items (name, price, data, tags, at) SELECT 'ü' || g, g / 7.0, '\x00ff'::bytea, ARRAY['a', NULL], now() FROM generate_series(1, 300) g;
            """);
        await using var repo = await TestRepository.CreateAsync();

        var snapshot = (await repo.Service.BackupAsync(new PostgreSqlSource(SourceOptions(server, database) with { Method = PostgreSqlBackupMethod.DriverOnly, SchemaFromCatalog = true }))).Snapshot;
        var target = fixture.NewDatabaseName("catalog_restored");
        await new PostgreSqlRestorer(repo.Repository).RestoreAsync(snapshot, new PostgreSqlRestoreOptions { ConnectionString = server.ConnectionString(target), Password = PostgresServer.Password });

        ChecksumMetadata.Compare(database, ChecksumMetadata.Read(snapshot.Metadata, "postgresql", database)!, await MeasureAsync(server, target)).Should().BeEmpty();
        await server.ExecuteAsync(target, "INSERT INTO app.items (price) VALUES (1)");
        (await server.ScalarAsync(target, "SELECT max(id) FROM app.items")).Should().Be(301, "the sequence position was restored");
        var duplicate = () => server.ExecuteAsync(target, "INSERT INTO app.items (id) VALUES (1)");
        await duplicate.Should().ThrowAsync<Npgsql.PostgresException>("the primary key was restored");
    }
}
