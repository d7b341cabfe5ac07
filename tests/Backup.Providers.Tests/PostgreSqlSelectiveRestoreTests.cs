using Backup.Providers.PostgreSql;
using Backup.Providers.Tests.Servers;

namespace Backup.Providers.Tests;

/// <summary>
/// Restoring single tables (<see cref="PostgreSqlRestoreOptions.Tables"/>, the CLI's --table), the 3 a.m. operation:
/// the table comes back whole (keys, defaults, sequence, indexes, triggers), over a live database nothing else is
/// lost with it, and a mistake stops the restore before it changes anything.
/// </summary>
public sealed class PostgreSqlSelectiveRestoreTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private const string Schema = """
        CREATE TABLE orders (id serial PRIMARY KEY, customer text NOT NULL, total numeric CHECK (total >= 0));
        CREATE INDEX orders_customer ON orders (customer);
        CREATE TABLE order_log (order_id int, at timestamptz DEFAULT now());
        CREATE FUNCTION log_order() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO order_log(order_id) VALUES (NEW.id); RETURN NEW; END $$;
        CREATE TRIGGER orders_logged AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION log_order();
        CREATE TABLE items (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, order_id int NOT NULL REFERENCES orders(id), qty int);
        INSERT INTO orders (customer, total) SELECT 'c' || g, g FROM generate_series(1, 200) g;
        INSERT INTO items (order_id, qty) SELECT g, g % 7 FROM generate_series(1, 100) g;
        """;

    public static TheoryData<PostgreSqlBackupMethod> Methods => [PostgreSqlBackupMethod.Parallel, PostgreSqlBackupMethod.PgDump];

    private static PostgreSqlRestoreOptions Options(PostgresServer server, string database, params string[] tables) =>
        new() { ConnectionString = server.ConnectionString(database), Password = PostgresServer.Password, Tables = tables };

    private async Task<(PostgresServer Server, string Database, TestRepository Repo, Backup.Core.Snapshots.Snapshot Snapshot)> BackUpAsync(PostgreSqlBackupMethod method, string name)
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName(name);
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, Schema);
        var repo = await TestRepository.CreateAsync();
        var source = new PostgreSqlSource(new PostgreSqlSourceOptions { ConnectionString = server.ConnectionString(database), Password = PostgresServer.Password, Method = method, RecordChecksums = false });
        return (server, database, repo, (await repo.Service.BackupAsync(source)).Snapshot);
    }

    private static Task<object?> ConstraintsAsync(PostgresServer server, string database) =>
        server.ScalarAsync(database, "SELECT string_agg(conname || ':' || contype::text || ':' || convalidated::text, ',' ORDER BY conname) FROM pg_constraint WHERE conrelid::regclass::text IN ('orders', 'items')");

    [SkippableTheory]
    [MemberData(nameof(Methods))]
    public async Task A_table_restored_into_a_new_database_comes_with_its_key_default_sequence_index_and_trigger(PostgreSqlBackupMethod method)
    {
        var (server, _, repo, snapshot) = await BackUpAsync(method, "sel_new");
        await using var _ = repo;
        var target = fixture.NewDatabaseName("sel_new_into");
        await server.CreateDatabaseAsync(target);
        await server.ExecuteAsync(target, "CREATE TABLE order_log (order_id int, at timestamptz DEFAULT now()); CREATE FUNCTION log_order() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO order_log(order_id) VALUES (NEW.id); RETURN NEW; END $$;");

        await new PostgreSqlRestorer(repo.Repository).RestoreAsync(snapshot, Options(server, target, "orders") with { Clean = true });

        (await server.ScalarAsync(target, "SELECT count(*) FROM orders")).Should().Be(200L);
        (await server.ScalarAsync(target, "SELECT count(*) FROM pg_tables WHERE tablename = 'items'")).Should().Be(0L, "only the table asked for");
        (await ConstraintsAsync(server, target)).Should().Be("orders_pkey:p:true,orders_total_check:c:true");
        (await server.ScalarAsync(target, "SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_customer'")).Should().Be(1L);
        (await server.ScalarAsync(target, "INSERT INTO orders (customer, total) VALUES ('new', 1) RETURNING id")).Should().Be(201, "the default draws from the sequence, which goes on from the snapshot's value");
        (await server.ScalarAsync(target, "SELECT count(*) FROM order_log")).Should().Be(1L, "the trigger came back too");
    }

    [SkippableTheory]
    [MemberData(nameof(Methods))]
    public async Task A_table_restored_over_a_live_one_keeps_the_other_tables_foreign_keys_on_it(PostgreSqlBackupMethod method)
    {
        var (server, database, repo, snapshot) = await BackUpAsync(method, "sel_over");
        await using var _ = repo;
        await server.ExecuteAsync(database, "DELETE FROM orders WHERE id > 150; UPDATE orders SET customer = 'changed' WHERE id = 1;");
        var before = await ConstraintsAsync(server, database);

        await new PostgreSqlRestorer(repo.Repository).RestoreAsync(snapshot, Options(server, database, "orders") with { Clean = true });

        (await server.ScalarAsync(database, "SELECT count(*) FROM orders")).Should().Be(200L);
        (await server.ScalarAsync(database, "SELECT customer FROM orders WHERE id = 1")).Should().Be("c1");
        (await ConstraintsAsync(server, database)).Should().Be(before, "the items' foreign key on orders is back, validated, and orders has its own keys");
        (await server.ScalarAsync(database, "SELECT count(*) FROM items")).Should().Be(100L, "the other table's rows are untouched");
        (await server.ScalarAsync(database, "INSERT INTO orders (customer, total) VALUES ('new', 1) RETURNING id")).Should().Be(201);
        var orphan = () => server.ExecuteAsync(database, "INSERT INTO items (order_id, qty) VALUES (99999, 1)");
        await orphan.Should().ThrowAsync<Npgsql.PostgresException>("the foreign key holds again");
    }

    [SkippableTheory]
    [MemberData(nameof(Methods))]
    public async Task A_table_a_view_depends_on_is_not_replaced_and_nothing_changes(PostgreSqlBackupMethod method)
    {
        var (server, database, repo, snapshot) = await BackUpAsync(method, "sel_view");
        await using var _ = repo;
        await server.ExecuteAsync(database, "DELETE FROM orders WHERE id > 150; CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;");

        var act = () => new PostgreSqlRestorer(repo.Repository).RestoreAsync(snapshot, Options(server, database, "orders") with { Clean = true });

        (await act.Should().ThrowAsync<DatabaseRestoreException>()).Which.Message.Should().Contain("big_orders").And.Contain("Nothing was changed");
        (await server.ScalarAsync(database, "SELECT count(*) FROM orders")).Should().Be(150L);
        (await server.ScalarAsync(database, "SELECT count(*) FROM big_orders")).Should().Be(50L);
    }

    [SkippableTheory]
    [MemberData(nameof(Methods))]
    public async Task A_table_whose_foreign_key_has_nothing_to_reference_or_a_name_the_snapshot_lacks_stops_before_anything_is_created(PostgreSqlBackupMethod method)
    {
        var (server, _, repo, snapshot) = await BackUpAsync(method, "sel_refuse");
        await using var _ = repo;
        var restorer = new PostgreSqlRestorer(repo.Repository);

        var lonely = fixture.NewDatabaseName("sel_refuse_items");
        var items = () => restorer.RestoreAsync(snapshot, Options(server, lonely, "items"));
        (await items.Should().ThrowAsync<DatabaseRestoreException>()).Which.Message.Should().Contain("items_order_id_fkey").And.Contain("orders").And.Contain("--table");

        var typo = fixture.NewDatabaseName("sel_refuse_typo");
        var misspelt = () => restorer.RestoreAsync(snapshot, Options(server, typo, "order"));
        (await misspelt.Should().ThrowAsync<DatabaseRestoreException>()).Which.Message.Should().Contain("no table named 'order'").And.Contain("items, order_log, orders");

        (await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_database WHERE datname IN ('{lonely}', '{typo}')")).Should().Be(0L, "the databases the failed restores created are gone");
    }

    [SkippableTheory]
    [MemberData(nameof(Methods))]
    public async Task A_partitioned_table_or_a_partition_is_refused_and_nothing_changes(PostgreSqlBackupMethod method)
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("sel_parts");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, """
            CREATE TABLE readings (id int, day date, v int, PRIMARY KEY (id, day)) PARTITION BY RANGE (day);
            CREATE TABLE readings_2025 PARTITION OF readings FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
            CREATE TABLE readings_2026 PARTITION OF readings FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
            INSERT INTO readings SELECT g, '2025-03-01'::date + g % 600, g FROM generate_series(1, 1000) g;
            """);
        await using var repo = await TestRepository.CreateAsync();
        var source = new PostgreSqlSource(new PostgreSqlSourceOptions { ConnectionString = server.ConnectionString(database), Password = PostgresServer.Password, Method = method, RecordChecksums = false });
        var snapshot = (await repo.Service.BackupAsync(source)).Snapshot;
        await server.ExecuteAsync(database, "DELETE FROM readings WHERE day >= '2026-01-01'");
        var left = await server.ScalarAsync(database, "SELECT count(*) FROM readings");
        var restorer = new PostgreSqlRestorer(repo.Repository);

        foreach (var table in method == PostgreSqlBackupMethod.PgDump ? new[] { "readings", "readings_2026" } : ["readings_2026"])
        {
            var act = () => restorer.RestoreAsync(snapshot, Options(server, database, table) with { Clean = true });

            var message = (await act.Should().ThrowAsync<DatabaseRestoreException>()).Which.Message;
            message.Should().Contain("partitioned table or a partition").And.Contain("is as it was before").And.NotContain("restore it again");
            (await server.ScalarAsync(database, "SELECT count(*) FROM readings")).Should().Be(left, "no partition was dropped");
        }
    }

    [SkippableFact]
    public async Task A_bare_name_in_two_schemas_is_refused_and_a_schema_qualified_one_restores_that_table_alone()
    {
        var (server, database, repo, snapshot) = await BackUpAsync(PostgreSqlBackupMethod.Parallel, "sel_schemas");
        await using var _ = repo;
        await server.ExecuteAsync(database, "CREATE SCHEMA audit; CREATE TABLE audit.orders (n int); INSERT INTO audit.orders SELECT generate_series(1, 7);");
        var later = (await repo.Service.BackupAsync(new PostgreSqlSource(new PostgreSqlSourceOptions { ConnectionString = server.ConnectionString(database), Password = PostgresServer.Password, RecordChecksums = false }))).Snapshot;
        await server.ExecuteAsync(database, "DELETE FROM audit.orders WHERE n > 3; DELETE FROM orders WHERE id > 150;");
        var restorer = new PostgreSqlRestorer(repo.Repository);

        var bare = () => restorer.RestoreAsync(later, Options(server, database, "orders") with { Clean = true });
        (await bare.Should().ThrowAsync<DatabaseRestoreException>()).Which.Message.Should().Contain("audit.orders").And.Contain("public.orders").And.Contain("with its schema");

        await restorer.RestoreAsync(later, Options(server, database, "audit.orders") with { Clean = true });
        (await server.ScalarAsync(database, "SELECT count(*) FROM audit.orders")).Should().Be(7L);
        (await server.ScalarAsync(database, "SELECT count(*) FROM public.orders")).Should().Be(150L, "only the table named with its schema");
    }

    [SkippableTheory]
    [MemberData(nameof(Methods))]
    public async Task A_restored_table_whose_own_keys_no_longer_hold_is_restored_with_them_not_valid_and_keeps_the_keys_on_it(PostgreSqlBackupMethod method)
    {
        var (server, database, repo, snapshot) = await BackUpAsync(method, "sel_ownkeys");
        await using var _ = repo;
        await server.ExecuteAsync(database, "CREATE TABLE notes (item_id int REFERENCES items(id)); INSERT INTO notes VALUES (1); DELETE FROM items WHERE order_id = 7; DELETE FROM orders WHERE id = 7;");

        var act = () => new PostgreSqlRestorer(repo.Repository).RestoreAsync(snapshot, Options(server, database, "items") with { Clean = true });

        (await act.Should().ThrowAsync<DatabaseRestoreException>()).Which.Message.Should().Contain("items_order_id_fkey").And.Contain("NOT VALID");
        (await server.ScalarAsync(database, "SELECT count(*) FROM items")).Should().Be(100L, "the snapshot's rows are in");
        (await server.ScalarAsync(database, "SELECT convalidated FROM pg_constraint WHERE conname = 'items_order_id_fkey'")).Should().Be(false);
        (await server.ScalarAsync(database, "SELECT count(*) FROM pg_constraint WHERE conname = 'notes_item_id_fkey' AND convalidated")).Should().Be(1L, "the other table's key on it is back");
    }

    [SkippableFact]
    public async Task A_foreign_key_the_restored_rows_no_longer_satisfy_is_added_back_not_valid_and_the_restore_says_so()
    {
        var (server, database, repo, snapshot) = await BackUpAsync(PostgreSqlBackupMethod.Parallel, "sel_notvalid");
        await using var _ = repo;
        await server.ExecuteAsync(database, "INSERT INTO orders (id, customer, total) VALUES (500, 'late', 1); INSERT INTO items (order_id, qty) VALUES (500, 1);");

        var act = () => new PostgreSqlRestorer(repo.Repository).RestoreAsync(snapshot, Options(server, database, "orders") with { Clean = true });

        (await act.Should().ThrowAsync<DatabaseRestoreException>()).Which.Message.Should().Contain("items_order_id_fkey").And.Contain("NOT VALID").And.Contain("VALIDATE CONSTRAINT");
        (await server.ScalarAsync(database, "SELECT convalidated FROM pg_constraint WHERE conname = 'items_order_id_fkey'")).Should().Be(false, "the key is there, holding for new rows");
        (await server.ScalarAsync(database, "SELECT count(*) FROM orders")).Should().Be(200L);
    }

    [SkippableTheory]
    [MemberData(nameof(Methods))]
    public async Task An_index_or_sequence_of_another_table_with_a_name_the_restored_table_brings_is_neither_dropped_nor_replaced(PostgreSqlBackupMethod method)
    {
        // pg_restore --clean drops an index or a sequence by its name alone, whatever table it now belongs to: here a
        // unique index of another table and a sequence the application draws from, which the restore silently dropped
        // (and replaced the sequence with the snapshot's, 5000 going back to 200) although the database had no orders.
        var (server, _, repo, snapshot) = await BackUpAsync(method, "sel_names");
        await using var _ = repo;
        var target = fixture.NewDatabaseName("sel_names_into");
        await server.CreateDatabaseAsync(target);
        await server.ExecuteAsync(target, "CREATE TABLE order_log (order_id int, at timestamptz DEFAULT now()); CREATE FUNCTION log_order() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO order_log(order_id) VALUES (NEW.id); RETURN NEW; END $$;");
        await server.ExecuteAsync(target, "CREATE TABLE legacy (customer text); CREATE UNIQUE INDEX orders_customer ON legacy (customer); CREATE SEQUENCE orders_id_seq START 5000; SELECT nextval('orders_id_seq');");

        var act = () => new PostgreSqlRestorer(repo.Repository).RestoreAsync(snapshot, Options(server, target, "orders") with { Clean = true });

        (await act.Should().ThrowAsync<DatabaseRestoreException>()).Which.Message.Should().Contain("orders_customer").And.Contain("legacy").And.Contain("orders_id_seq").And.Contain("Nothing was changed");
        (await server.ScalarAsync(target, "SELECT count(*) FROM pg_index WHERE indexrelid = 'orders_customer'::regclass AND indrelid = 'legacy'::regclass AND indisunique")).Should().Be(1L, "the other table's unique index stays");
        (await server.ScalarAsync(target, "SELECT last_value FROM orders_id_seq")).Should().Be(5000L, "the sequence the database had stays as it was");
        (await server.ScalarAsync(target, "SELECT count(*) FROM pg_tables WHERE tablename = 'orders'")).Should().Be(0L);
    }

    [SkippableTheory]
    [MemberData(nameof(Methods))]
    public async Task A_table_renamed_aside_keeps_its_index_and_sequence_and_the_live_table_stays_when_their_names_are_in_the_way(PostgreSqlBackupMethod method)
    {
        var (server, database, repo, snapshot) = await BackUpAsync(method, "sel_aside");
        await using var _ = repo;
        await server.ExecuteAsync(database, "ALTER TABLE orders RENAME TO orders_broken; CREATE TABLE orders (id int); INSERT INTO orders VALUES (1), (2);");

        var act = () => new PostgreSqlRestorer(repo.Repository).RestoreAsync(snapshot, Options(server, database, "orders") with { Clean = true });

        (await act.Should().ThrowAsync<DatabaseRestoreException>()).Which.Message.Should().Contain("orders_broken").And.Contain("Nothing was changed");
        (await server.ScalarAsync(database, "SELECT count(*) FROM orders")).Should().Be(2L, "the live table was not dropped");
        (await server.ScalarAsync(database, "SELECT count(*) FROM pg_indexes WHERE tablename = 'orders_broken'")).Should().Be(2L, "the renamed table keeps its key and index");
    }
}
