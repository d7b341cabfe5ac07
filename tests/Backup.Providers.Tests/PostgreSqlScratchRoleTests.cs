using Backup.Core.Pipeline;
using Backup.Core.Snapshots;
using Backup.Providers.PostgreSql;
using Backup.Providers.Tests.Servers;
using Npgsql;
using Xunit.Abstractions;

namespace Backup.Providers.Tests;

/// <summary>
/// A snapshot's SQL is SQL by nature, and a client that may only add snapshots can write one: test restores and
/// drills connected as a superuser run it as a role made for the scratch database, so it cannot act as the superuser.
/// </summary>
public sealed class PostgreSqlScratchRoleTests(PostgresFixture fixture, ITestOutputHelper output) : IClassFixture<PostgresFixture>
{
    // The CHECK runs for every row loaded. As a superuser it creates a role named after the database it runs in (what
    // COPY … TO PROGRAM could do, made visible); as anyone else it gives the database a search_path that puts its
    // owner's schema before the catalog, which a later superuser session must not take on.
    private const string Probe = """
        CREATE TABLE fine (id int PRIMARY KEY, v text);
        INSERT INTO fine SELECT g, 'v' || g FROM generate_series(1, 200) g;
        CREATE FUNCTION probe(v int) RETURNS boolean LANGUAGE plpgsql AS $$
        BEGIN
            IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
                IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'pwned_' || current_database()) THEN
                    EXECUTE format('CREATE ROLE %I', 'pwned_' || current_database());
                END IF;
            ELSE
                EXECUTE format('ALTER DATABASE %I SET search_path = public, pg_catalog', current_database());
            END IF;
            RETURN true;
        END $$;
        CREATE TABLE probed (id int PRIMARY KEY CHECK (probe(id)));
        """;

    public static TheoryData<PostgreSqlBackupMethod> Methods => new() { PostgreSqlBackupMethod.Parallel, PostgreSqlBackupMethod.PgDump, PostgreSqlBackupMethod.DriverOnly };

    public static TheoryData<PostgreSqlBackupMethod, PostgreSqlDumpFormat> Formats => new()
    {
        { PostgreSqlBackupMethod.Parallel, PostgreSqlDumpFormat.Custom },
        { PostgreSqlBackupMethod.PgDump, PostgreSqlDumpFormat.Custom },
        { PostgreSqlBackupMethod.PgDump, PostgreSqlDumpFormat.Plain },
        { PostgreSqlBackupMethod.DriverOnly, PostgreSqlDumpFormat.Custom },
    };

    private static PostgreSqlSourceOptions SourceOptions(PostgresServer server, string database, PostgreSqlBackupMethod method, PostgreSqlDumpFormat format = PostgreSqlDumpFormat.Custom) => new()
    {
        ConnectionString = server.ConnectionString(database),
        Password = PostgresServer.Password,
        Method = method,
        Format = format,
    };

    private static PostgreSqlVerifyOptions VerifyOptions(PostgresServer server, string prefix) => new()
    {
        ConnectionString = server.ConnectionString(),
        Password = PostgresServer.Password,
        ScratchDatabasePrefix = prefix,
        Jobs = 2,
    };

    private static async Task<(TestRepository Repo, Snapshot Snapshot)> BackUpAsync(PostgresServer server, string database, PostgreSqlBackupMethod method, PostgreSqlDumpFormat format = PostgreSqlDumpFormat.Custom)
    {
        var repo = await TestRepository.CreateAsync();
        return (repo, (await repo.Service.BackupAsync(new PostgreSqlSource(SourceOptions(server, database, method, format)))).Snapshot);
    }

    /// <summary>What the snapshot's SQL runs as its scratch role to sign in as that role from elsewhere.</summary>
    private const string SetsItsPassword = "EXECUTE format('ALTER ROLE %I PASSWORD %L', current_user, 'known-to-the-attacker')";

    /// <summary>
    /// A check function <paramref name="name"/>(int) that runs <paramref name="statement"/> only as a scratch role (whose
    /// name is its database's), so the source's own inserts pass and the snapshot attacks only whoever restores it.
    /// </summary>
    private static string AsTheScratchRole(string name, string statement) => $$"""
        CREATE FUNCTION {{name}}(v int) RETURNS boolean LANGUAGE plpgsql AS $$
        BEGIN
            IF current_user::text = current_database()::text THEN
                {{statement}};
            END IF;
            RETURN true;
        END $$;
        """;

    /// <summary>Asserts that no scratch database or role named with <paramref name="prefix"/> is left on the server.</summary>
    private static async Task NothingLeftAsync(PostgresServer server, string prefix)
    {
        (await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_roles WHERE rolname LIKE '{prefix}\\_%'")).Should().Be(0L);
        (await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_database WHERE datname LIKE '{prefix}\\_%'")).Should().Be(0L);
    }

    [SkippableTheory]
    [MemberData(nameof(Formats))]
    public async Task A_superusers_test_restore_runs_the_snapshots_functions_as_a_scratch_role(PostgreSqlBackupMethod method, PostgreSqlDumpFormat format)
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("scratch_role");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, Probe);
        await server.ExecuteAsync(database, "INSERT INTO probed SELECT generate_series(1, 3)"); // as postgres: creates pwned_<database>
        var (repo, snapshot) = await BackUpAsync(server, database, method, format);
        await using var _ = repo;
        var verifier = new PostgreSqlVerifier(repo.Repository);

        var prefix = fixture.NewDatabaseName("sr");
        string? searchPath = null;
        string? owner = null;
        var report = await verifier.VerifyAsync(snapshot, VerifyOptions(server, prefix) with
        {
            AfterRestore = async (connection, _, ct) =>
            {
                await using var path = new NpgsqlCommand("SHOW search_path", connection);
                searchPath = (string?)await path.ExecuteScalarAsync(ct);
                await using var who = new NpgsqlCommand("SELECT pg_catalog.pg_get_userbyid(datdba) = current_database() FROM pg_catalog.pg_database WHERE datname = current_database()", connection);
                owner = (await who.ExecuteScalarAsync(ct))?.ToString();
            },
        });
        output.WriteLine(report.ToString());
        report.Succeeded.Should().BeTrue();
        report.TablesCompared.Should().Be(2);
        report.Notes.Should().NotContain(n => n.Contains("superuser", StringComparison.Ordinal));
        owner.Should().Be("True", "the scratch database belongs to the role made for it");
        searchPath.Should().Be("public", "the superuser's session to the scratch database does not take on the search_path its owner gave it");
        (await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_roles WHERE rolname LIKE 'pwned\\_{prefix}\\_%'")).Should().Be(0L, "the snapshot's function did not run as a superuser");
        (await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_roles WHERE rolname LIKE '{prefix}\\_%'")).Should().Be(0L, "the scratch role went with its database");
        (await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_database WHERE datname LIKE '{prefix}\\_%'")).Should().Be(0L);

        // The same snapshot trusted with the superuser's rights: the probe runs as postgres (which is what the role prevents).
        var trusted = fixture.NewDatabaseName("sr");
        var asSuperuser = await verifier.VerifyAsync(snapshot, VerifyOptions(server, trusted) with { UseScratchRole = false });
        output.WriteLine(asSuperuser.ToString());
        asSuperuser.Succeeded.Should().BeTrue();
        asSuperuser.Notes.Should().Contain(n => n.Contains("the scratch server's role is a superuser", StringComparison.Ordinal));
        (await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_roles WHERE rolname LIKE 'pwned\\_{trusted}\\_%'")).Should().Be(1L);
    }

    [SkippableFact]
    public async Task A_drills_restore_belongs_to_a_scratch_role_until_the_drill_drops_both()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("scratch_drill");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, Probe);
        var (repo, snapshot) = await BackUpAsync(server, database, PostgreSqlBackupMethod.Parallel);
        await using var _ = repo;
        IDatabaseEngine engine = new PostgreSqlEngine();
        var target = new DatabaseRestoreSettings
        {
            Location = server.ConnectionString(),
            Password = PostgresServer.Password,
            TargetDatabase = fixture.NewDatabaseName("dr"),
            ScratchUser = true,
            Jobs = 2,
        };

        await engine.RestoreAsync(repo.Repository, snapshot, target);
        await server.ExecuteAsync(target.TargetDatabase!, "INSERT INTO fine VALUES (1000, 'after')");
        (await server.ScalarAsync("postgres", $"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{target.TargetDatabase}'")).Should().Be(target.TargetDatabase);
        (await server.ScalarAsync("postgres", $"SELECT rolsuper OR rolcreatedb OR rolcreaterole FROM pg_roles WHERE rolname = '{target.TargetDatabase}'")).Should().Be(false);
        var compared = await engine.CompareAsync(snapshot, target);
        output.WriteLine(compared.ToString());
        compared.Succeeded.Should().BeFalse("a row was added after the restore");

        await engine.DropAsync(target);
        (await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{target.TargetDatabase}'")).Should().Be(0L);
        (await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_roles WHERE rolname = '{target.TargetDatabase}'")).Should().Be(0L);
    }

    [SkippableTheory]
    [MemberData(nameof(Formats))]
    public async Task A_snapshot_that_gives_its_scratch_role_a_password_of_its_own_fails_and_leaves_no_role(PostgreSqlBackupMethod method, PostgreSqlDumpFormat format)
    {
        // A password the snapshot's SQL knows would let whoever wrote it sign in as the role from elsewhere.
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("scratch_pw");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, AsTheScratchRole("take", SetsItsPassword));
        await server.ExecuteAsync(database, """
            CREATE TABLE taken (id int PRIMARY KEY CHECK (take(id)));
            INSERT INTO taken VALUES (1);
            """);
        var (repo, snapshot) = await BackUpAsync(server, database, method, format);
        await using var _ = repo;

        var prefix = fixture.NewDatabaseName("sr");
        var report = await new PostgreSqlVerifier(repo.Repository).VerifyAsync(snapshot, VerifyOptions(server, prefix));
        output.WriteLine(report.ToString());
        report.Succeeded.Should().BeFalse();
        report.IntegrityProblems.Should().ContainSingle().Which.Should().Contain("a password of its own");
        await NothingLeftAsync(server, prefix);
    }

    [SkippableFact]
    public async Task A_restore_that_fails_after_the_snapshot_set_its_roles_password_says_so()
    {
        // One table's rows set the password and commit; the next table's fail the restore, as any error might.
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("scratch_pwfail");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, AsTheScratchRole("take", SetsItsPassword));
        await server.ExecuteAsync(database, AsTheScratchRole("fail", "RAISE EXCEPTION 'could not extend file: No space left on device'"));
        await server.ExecuteAsync(database, """
            CREATE TABLE a_taken (id int PRIMARY KEY CHECK (take(id)));
            CREATE TABLE b_failed (id int PRIMARY KEY CHECK (fail(id)));
            INSERT INTO a_taken VALUES (1);
            INSERT INTO b_failed VALUES (1);
            """);
        var (repo, snapshot) = await BackUpAsync(server, database, PostgreSqlBackupMethod.PgDump);
        await using var _ = repo;

        var prefix = fixture.NewDatabaseName("sr");
        var report = await new PostgreSqlVerifier(repo.Repository).VerifyAsync(snapshot, VerifyOptions(server, prefix) with { Jobs = 1 });
        output.WriteLine(report.ToString());
        report.IntegrityProblems.Should().ContainSingle().Which.Should().Contain("a password of its own");
        (await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_roles WHERE rolname LIKE '{prefix}\\_%'")).Should().Be(0L);
    }

    [SkippableFact]
    public async Task A_scratch_database_its_snapshot_made_a_template_is_dropped_with_its_role()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("scratch_tpl");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, AsTheScratchRole("keep", "EXECUTE format('ALTER DATABASE %I IS_TEMPLATE true', current_database())"));
        await server.ExecuteAsync(database, """
            CREATE TABLE kept (id int PRIMARY KEY CHECK (keep(id)));
            INSERT INTO kept VALUES (1);
            """);
        var (repo, snapshot) = await BackUpAsync(server, database, PostgreSqlBackupMethod.Parallel);
        await using var _ = repo;

        var prefix = fixture.NewDatabaseName("sr");
        var report = await new PostgreSqlVerifier(repo.Repository).VerifyAsync(snapshot, VerifyOptions(server, prefix));
        output.WriteLine(report.ToString());
        report.Succeeded.Should().BeTrue();
        await NothingLeftAsync(server, prefix);
    }

    [SkippableFact]
    public async Task Dropping_a_scratch_database_leaves_a_role_of_the_same_name_that_it_did_not_make()
    {
        var server = fixture.Require();
        var name = fixture.NewDatabaseName("dr_namesake");
        await server.CreateDatabaseAsync(name);
        await server.ExecuteAsync("postgres", $"CREATE ROLE {name} NOLOGIN");
        await new PostgreSqlEngine().DropAsync(new DatabaseRestoreSettings { Location = server.ConnectionString(), Password = PostgresServer.Password, TargetDatabase = name });
        (await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{name}'")).Should().Be(0L);
        (await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_roles WHERE rolname = '{name}'")).Should().Be(1L);
    }

    [SkippableTheory]
    [MemberData(nameof(Methods))]
    public async Task Extensions_only_a_superuser_may_create_are_made_for_the_scratch_role(PostgreSqlBackupMethod method)
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("scratch_ext");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, """
            CREATE SCHEMA extras;
            COMMENT ON SCHEMA extras IS 'tools';
            CREATE EXTENSION pgstattuple WITH SCHEMA extras;
            CREATE EXTENSION hstore;
            CREATE EXTENSION earthdistance CASCADE;
            CREATE TABLE t (id int PRIMARY KEY, h hstore, place cube);
            INSERT INTO t SELECT g, ('k=>' || g)::hstore, cube(g) FROM generate_series(1, 100) g;
            CREATE VIEW sizes AS SELECT * FROM extras.pgstattuple('t');
            """);
        var (repo, snapshot) = await BackUpAsync(server, database, method);
        await using var _ = repo;

        var report = await new PostgreSqlVerifier(repo.Repository).VerifyAsync(snapshot, VerifyOptions(server, fixture.NewDatabaseName("sr")));
        output.WriteLine(report.ToString());
        report.Succeeded.Should().BeTrue();
        report.TablesCompared.Should().Be(1);
    }

    [Fact]
    public void A_scratch_roles_script_leaves_out_privileges_forced_row_security_and_the_extensions_made_for_it()
    {
        const string Script = "CREATE SCHEMA geo;\nCREATE EXTENSION IF NOT EXISTS earthdistance WITH SCHEMA geo;\nCOMMENT ON EXTENSION earthdistance IS 'distances';\n"
            + "CREATE TABLE public.t (id integer);\nALTER TABLE ONLY public.t FORCE ROW LEVEL SECURITY;\n\n--\n-- Name: TABLE t; Type: ACL; Schema: public; Owner: postgres\n--\n\n"
            + "SET SESSION AUTHORIZATION app;\nGRANT SELECT ON TABLE public.t TO reader;\nRESET SESSION AUTHORIZATION;\n\n\n--\n-- Name: t; Type: TABLE DATA; Schema: public; Owner: postgres\n--\n\n"
            + "COPY public.t (id) FROM stdin;\n1\n\\.\n";
        var prepared = new PgScratchExtensions.Prepared(new HashSet<string> { "earthdistance" }, new HashSet<string> { "geo" });

        PgDumpScriptFilter.Apply(Script, noOwner: true, scratch: true, prepared).Should().Be(
            "CREATE TABLE public.t (id integer);\n\n--\n-- Name: TABLE t; Type: ACL; Schema: public; Owner: postgres\n--\n\n\n\n--\n-- Name: t; Type: TABLE DATA; Schema: public; Owner: postgres\n--\n\n"
            + "COPY public.t (id) FROM stdin;\n1\n\\.\n");
        PgDumpScriptFilter.Apply(Script, noOwner: true, scratch: false, null).Should().Be(Script, "only a scratch role's restore leaves these out");
    }

    [SkippableTheory]
    [MemberData(nameof(Formats))]
    public async Task What_a_scratch_role_cannot_restore_and_nothing_compared_needs_is_left_out(PostgreSqlBackupMethod method, PostgreSqlDumpFormat format)
    {
        // Found by a sweep of ordinary schemas that a superuser's test restore took and a scratch role's did not.
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("scratch_fp");
        var reader = fixture.NewDatabaseName("fp_reader");
        var app = fixture.NewDatabaseName("fp_app");
        await server.ExecuteAsync("postgres", $"CREATE ROLE {reader}; CREATE ROLE {app}");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, $"""
            CREATE SCHEMA cubes;
            CREATE SCHEMA geo;
            CREATE EXTENSION cube WITH SCHEMA cubes;
            CREATE EXTENSION earthdistance WITH SCHEMA geo;
            CREATE SCHEMA app;
            ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO {reader};
            CREATE TABLE app.places (id int PRIMARY KEY, c cubes.cube);
            INSERT INTO app.places SELECT g, cubes.cube(g) FROM generate_series(1, 20) g;
            GRANT USAGE ON SCHEMA app TO {app};
            GRANT SELECT ON app.places TO {app} WITH GRANT OPTION;
            SET ROLE {app};
            GRANT SELECT ON app.places TO {reader};
            RESET ROLE;
            CREATE TABLE app.tenants (id int PRIMARY KEY, owner_name text);
            INSERT INTO app.tenants SELECT g, 'someone' FROM generate_series(1, 5) g;
            CREATE TABLE app.orders (id int PRIMARY KEY, tenant int REFERENCES app.tenants(id));
            INSERT INTO app.orders SELECT g, g % 5 + 1 FROM generate_series(1, 50) g;
            ALTER TABLE app.tenants ENABLE ROW LEVEL SECURITY;
            ALTER TABLE app.tenants FORCE ROW LEVEL SECURITY;
            CREATE POLICY mine ON app.tenants USING (owner_name = current_user);
            CREATE MATERIALIZED VIEW app.tenant_count AS SELECT count(*) AS n FROM app.tenants;
            CREATE TABLE app.measurements (at date NOT NULL, v int, PRIMARY KEY (at)) PARTITION BY RANGE (at);
            CREATE TABLE app.measurements_2026 PARTITION OF app.measurements FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
            INSERT INTO app.measurements SELECT '2026-01-01'::date + g, g FROM generate_series(0, 30) g;
            CREATE PUBLICATION everything FOR ALL TABLES;
            """);
        var (repo, snapshot) = await BackUpAsync(server, database, method, format);
        await using var _ = repo;

        long? tenants = null;
        var report = await new PostgreSqlVerifier(repo.Repository).VerifyAsync(snapshot, VerifyOptions(server, fixture.NewDatabaseName("sr")) with
        {
            AfterRestore = async (connection, _, ct) =>
            {
                await using var count = new NpgsqlCommand("SELECT n FROM app.tenant_count", connection);
                tenants = (long?)await count.ExecuteScalarAsync(ct);
            },
        });
        output.WriteLine(report.ToString());
        report.Succeeded.Should().BeTrue();
        report.TablesCompared.Should().Be(4);
        tenants.Should().Be(5, "the view was filled with every row, as the backup read them");
    }

    [SkippableFact]
    public async Task A_snapshot_that_needs_dblink_is_not_test_restored_as_a_scratch_role()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("scratch_dblink");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, "CREATE EXTENSION dblink; CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);");
        var (repo, snapshot) = await BackUpAsync(server, database, PostgreSqlBackupMethod.Parallel);
        await using var _ = repo;
        var verifier = new PostgreSqlVerifier(repo.Repository);

        var prefix = fixture.NewDatabaseName("sr");
        var report = await verifier.VerifyAsync(snapshot, VerifyOptions(server, prefix));
        output.WriteLine(report.ToString());
        report.Succeeded.Should().BeFalse();
        report.IntegrityProblems.Should().ContainSingle().Which.Should().Contain("'dblink'").And.Contain("UseScratchRole");
        (await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_roles WHERE rolname LIKE '{prefix}\\_%'")).Should().Be(0L);

        var trusted = await verifier.VerifyAsync(snapshot, VerifyOptions(server, fixture.NewDatabaseName("sr")) with { UseScratchRole = false });
        trusted.Succeeded.Should().BeTrue();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public async Task A_plain_dumps_ownership_statements_are_left_out_and_nothing_else(int chunk)
    {
        const string Dump = "SET x = 1;\n\n\nALTER TABLE public.t OWNER TO postgres;\n\nCOPY public.t (v) FROM stdin;\n\n\nALTER TABLE public.t OWNER TO postgres;\n\n\\.\n\n\n"
            + "ALTER FUNCTION public.f() OWNER TO app;\n-- not blank after\n\n\nALTER SCHEMA s OWNER TO app;";
        using var sink = new MemoryStream();
        await using (var filter = new PgDumpScriptFilter(sink, noOwner: true, scratch: false, extensions: null))
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(Dump);
            for (var i = 0; i < bytes.Length; i += chunk)
            {
                await filter.WriteAsync(bytes.AsMemory(i, Math.Min(chunk, bytes.Length - i)));
            }
        }

        System.Text.Encoding.UTF8.GetString(sink.ToArray()).Should().Be(
            "SET x = 1;\n\n\n\nCOPY public.t (v) FROM stdin;\n\n\nALTER TABLE public.t OWNER TO postgres;\n\n\\.\n\n\n"
            + "ALTER FUNCTION public.f() OWNER TO app;\n-- not blank after\n\n\nALTER SCHEMA s OWNER TO app;",
            "the data rows and a statement not between blank lines stay; the last line has no blank line after it");
    }
}
