using Backup.Core.Pipeline;
using Backup.Core.Sources;
using Backup.Providers.MySql;
using Backup.Providers.Tests.Servers;
using Microsoft.Extensions.Logging;
using MySqlConnector;
using Xunit.Abstractions;

namespace Backup.Providers.Tests;

/// <summary>The parallel method: several connections in one snapshot, a file per table, checksums from the rows read.</summary>
public sealed class MySqlParallelTests(MariaDbFixture fixture, ITestOutputHelper output) : IClassFixture<MariaDbFixture>
{
    private const string Schema = """
        CREATE TABLE kinds (
            id INT AUTO_INCREMENT PRIMARY KEY, n DECIMAL(30, 10), i BIGINT, f DOUBLE, t TEXT, vc VARCHAR(60),
            b BLOB, j JSON, dt DATETIME(6), ts TIMESTAMP NULL, d DATE, e ENUM('a', 'b', 'c'), bits BIT(8), nothing TEXT,
            total BIGINT AS (i + 1) STORED, half INT AS (id DIV 2) VIRTUAL,
            KEY kinds_vc (vc), UNIQUE KEY kinds_i (i)) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
        CREATE TABLE child (id INT PRIMARY KEY, kind_id INT, note VARCHAR(20), FOREIGN KEY (kind_id) REFERENCES kinds (id)) ENGINE = InnoDB;
        CREATE TABLE `odd/name %` (id INT PRIMARY KEY, raw VARBINARY(16), line TEXT) ENGINE = InnoDB;
        CREATE TABLE counted (id INT AUTO_INCREMENT, v INT NOT NULL, PRIMARY KEY (v), KEY counted_id (id), KEY counted_both (v, id)) ENGINE = InnoDB;
        CREATE TABLE owner (a INT NOT NULL, b INT NOT NULL, PRIMARY KEY (a), UNIQUE KEY owner_b (b)) ENGINE = InnoDB;
        CREATE TABLE owned (id INT PRIMARY KEY, owner_b INT, CONSTRAINT owned_fk FOREIGN KEY (owner_b) REFERENCES owner (b) ON DELETE CASCADE) ENGINE = InnoDB;
        INSERT INTO counted (v) SELECT seq FROM seq_1_to_50;
        INSERT INTO owner SELECT seq, seq * 10 FROM seq_1_to_20;
        INSERT INTO owned SELECT seq, seq * 10 FROM seq_1_to_20;
        CREATE VIEW kinds_view AS SELECT id, vc FROM kinds;
        INSERT INTO kinds (n, i, f, t, vc, b, j, dt, ts, d, e, bits)
        SELECT seq * 1.0000000001, seq * 1000000007, seq / 3, CONCAT('héllo wörld ✓ 日本語 🎉 ', seq), CONCAT('v', seq),
               UNHEX(CONCAT(MD5(seq), '00FF')), JSON_OBJECT('k', seq, 'arr', JSON_ARRAY(seq, 'x')),
               TIMESTAMPADD(MINUTE, seq, '2024-03-31 01:30:00.123456'), FROM_UNIXTIME(1700000000 + seq), DATE_ADD('2000-02-29', INTERVAL seq DAY),
               ELT(1 + seq % 3, 'a', 'b', 'c'), seq % 256
        FROM seq_1_to_2000;
        INSERT INTO child SELECT seq, 1 + seq % 2000, CONCAT('c', seq) FROM seq_1_to_3000;
        INSERT INTO `odd/name %` VALUES (1, UNHEX('00FF0A0D5C27225A'), 'two\nlines\r\nand a quote '' and \\ and NUL \0 end'), (2, NULL, NULL), (0, '', '');
        """;

    private static MySqlSourceOptions ParallelOptions(MariaDbServer server, string database, int jobs = 3) => new()
    {
        ConnectionString = server.ConnectionString(database),
        Password = MariaDbServer.Password,
        Method = MySqlBackupMethod.Parallel,
        Jobs = jobs,
        InsertBatchBytes = 8192,
        ClientToolsDirectory = "/nonexistent",
    };

    private async Task<string> CreateAsync(MariaDbServer server, string prefix)
    {
        var database = fixture.NewDatabaseName(prefix);
        await server.ExecuteAsync(null, $"CREATE DATABASE {database}");
        await server.ExecuteAsync(database, Schema);
        return database;
    }

    private static async Task<List<TableChecksum>> MeasureAsync(MariaDbServer server, string database)
    {
        await using var connection = await server.OpenAsync(database);
        await using (var settings = new MySqlCommand(MyChecksums.SessionSettings, connection))
        {
            await settings.ExecuteNonQueryAsync();
        }

        return await MyDriverData.MeasureAsync(connection, database, CancellationToken.None);
    }

    private static async Task<string> KeysAsync(MariaDbServer server, string database) =>
        (string)(await server.ScalarAsync(null, $"""
            SELECT CONCAT(
                (SELECT GROUP_CONCAT(CONCAT_WS('.', TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE, INDEX_TYPE) ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX SEPARATOR ' ')
                 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = '{database}'), ' | ',
                (SELECT GROUP_CONCAT(CONCAT_WS('.', TABLE_NAME, CONSTRAINT_NAME, REFERENCED_TABLE_NAME, UNIQUE_CONSTRAINT_NAME, DELETE_RULE) ORDER BY CONSTRAINT_NAME SEPARATOR ' ')
                 FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = '{database}'))
            """))!;

    [Fact]
    public void Secondary_and_foreign_keys_are_split_off_but_the_key_an_auto_increment_column_needs_stays()
    {
        var split = MyDeferredKeys.Split("""
            CREATE TABLE `t` (
              `id` int(11) NOT NULL AUTO_INCREMENT,
              `v` int(11) NOT NULL,
              `p` int(11) DEFAULT NULL,
              PRIMARY KEY (`v`),
              KEY `t_id` (`id`),
              UNIQUE KEY `t_p` (`p`),
              KEY `t_idx` (`p`,`id`),
              FULLTEXT KEY `t_ft` (`v`),
              CONSTRAINT `t_fk` FOREIGN KEY (`p`) REFERENCES `o` (`a`) ON DELETE CASCADE,
              CONSTRAINT `t_chk` CHECK (`v` > 0)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
            """.ReplaceLineEndings("\n"));

        split.Keys.Should().Equal("ADD UNIQUE KEY `t_p` (`p`)", "ADD KEY `t_idx` (`p`,`id`)");
        split.ForeignKeys.Should().Equal("ADD CONSTRAINT `t_fk` FOREIGN KEY (`p`) REFERENCES `o` (`a`) ON DELETE CASCADE");
        split.Create.Should().Be("""
            CREATE TABLE `t` (
              `id` int(11) NOT NULL AUTO_INCREMENT,
              `v` int(11) NOT NULL,
              `p` int(11) DEFAULT NULL,
              PRIMARY KEY (`v`),
              KEY `t_id` (`id`),
              FULLTEXT KEY `t_ft` (`v`),
              CONSTRAINT `t_chk` CHECK (`v` > 0)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
            """.ReplaceLineEndings("\n"));
        MyDeferredKeys.Split("CREATE TABLE `m` (\n  `a` int,\n  KEY `m_a` (`a`)\n) ENGINE=MyISAM").Keys.Should().BeEmpty("only InnoDB builds keys faster afterwards");
    }

    [Fact]
    public void The_row_hash_is_xxh64()
    {
        MyRowChecksum.Hash([]).Should().Be(0xEF46DB3751D8E999UL);
        MyRowChecksum.Hash("a"u8).Should().Be(0xD24EC4F1A98C6E5BUL);
        MyRowChecksum.Hash("abc"u8).Should().Be(0x44BC2CF5AD770999UL);
        MyRowChecksum.Hash("Nobody inspects the spammish repetition"u8).Should().Be(0xFBCEA83C8A378BF1UL);

        // Several 32-byte stripes and a tail (values from the reference xxhsum -H1).
        var bytes = Enumerable.Range(0, 1000).Select(i => (byte)(((i * 7) + 3) % 251)).ToArray();
        MyRowChecksum.Hash(bytes.AsSpan(0, 64)).Should().Be(0x2CD990A1BEED6894UL);
        MyRowChecksum.Hash(bytes.AsSpan(0, 100)).Should().Be(0x778E26DF8290F456UL);
        MyRowChecksum.Hash(bytes).Should().Be(0x021F7A7424085EA4UL);
    }

    [Theory]
    [InlineData(new[] { 0, 1, 65535, 65536, 65537, 200_000, 3, 70_000, 64 * 1024 })]
    public async Task The_batched_pipe_writer_delivers_every_byte_in_order_whatever_the_sizes_of_the_writes(int[] sizes)
    {
        var pipe = new System.IO.Pipelines.Pipe();
        var output = new BatchedPipeWriter(pipe.Writer);
        var expected = new List<byte>();
        var reading = Task.Run(async () =>
        {
            var received = new List<byte>();
            while (true)
            {
                var result = await pipe.Reader.ReadAsync();
                foreach (var segment in result.Buffer)
                {
                    received.AddRange(segment.ToArray());
                }

                pipe.Reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    return received;
                }
            }
        });

        var next = 0;
        foreach (var size in sizes)
        {
            var bytes = Enumerable.Range(next, size).Select(i => (byte)(i % 253)).ToArray();
            next += size;
            output.Write(bytes);
            expected.AddRange(bytes);
            if (size == 3)
            {
                (await output.FlushAsync(CancellationToken.None)).Should().BeFalse();
            }
        }

        (await output.FlushAsync(CancellationToken.None)).Should().BeFalse();
        await pipe.Writer.CompleteAsync();
        (await reading).Should().Equal(expected);

        var stopped = new System.IO.Pipelines.Pipe();
        await stopped.Reader.CompleteAsync();
        var toStopped = new BatchedPipeWriter(stopped.Writer);
        toStopped.Write([1, 2, 3]);
        (await toStopped.FlushAsync(CancellationToken.None)).Should().BeTrue("the reader has stopped");
    }

    [SkippableFact]
    public async Task A_parallel_backup_round_trips_many_types_with_checksums_taken_from_the_rows_read()
    {
        var server = fixture.Require();
        var database = await CreateAsync(server, "par");
        var before = await MeasureAsync(server, database);
        await using var repo = await TestRepository.CreateAsync();

        var snapshot = (await repo.Service.BackupAsync(new MySqlSource(ParallelOptions(server, database)))).Snapshot;

        snapshot.Metadata["mysql.method"].Should().Be("parallel");
        snapshot.Metadata["mysql.checksum_kind"].Should().Be(MyRowChecksum.Kind);
        snapshot.Metadata["mysql.jobs"].Should().Be("3");
        var recorded = ChecksumMetadata.Read(snapshot.Metadata, "mysql", database)!;
        recorded.Select(t => t.Table).Should().BeEquivalentTo("kinds", "child", "odd/name %", "counted", "owner", "owned");
        ChecksumMetadata.Compare(database, recorded, before).Should().BeEmpty("the checksums taken while reading equal a separate measurement");
        var target = fixture.NewDatabaseName("par_restored");
        var keys = await KeysAsync(server, database);
        await server.ExecuteAsync(null, $"DROP DATABASE {database}");

        var restored = await new MySqlRestorer(repo.Repository).RestoreAsync(snapshot, new MySqlRestoreOptions
        {
            ConnectionString = server.ConnectionString(target),
            Password = MariaDbServer.Password,
            ClientToolsDirectory = "/nonexistent",
            Jobs = 3,
        });

        output.WriteLine($"parallel dump {restored.Bytes} bytes restored in {restored.Duration.TotalMilliseconds:F0} ms");
        ChecksumMetadata.Compare(database, recorded, await MeasureAsync(server, target)).Should().BeEmpty();
        (await KeysAsync(server, target)).Should().Be(keys, "every key and foreign key is back (secondary ones were built after the rows)");
        (await server.ScalarAsync(target, "SELECT HEX(raw) FROM `odd/name %` WHERE id = 1")).Should().Be("00FF0A0D5C27225A");
        (await server.ScalarAsync(target, "SELECT total - i + half FROM kinds WHERE id = 9")).Should().Be(5L, "generated columns are recomputed");
        (await server.ScalarAsync(target, "SELECT vc FROM kinds_view WHERE id = 7")).Should().Be("v7");
        (await server.ScalarAsync(target, "SELECT JSON_VALUE(j, '$.arr[1]') FROM kinds WHERE id = 3")).Should().Be("x");
        (await server.ScalarAsync(target, "SELECT bits + 0 FROM kinds WHERE id = 255")).Should().Be(255L);
        var orphan = () => server.ExecuteAsync(target, "INSERT INTO child VALUES (99999, 99999, 'x')");
        await orphan.Should().ThrowAsync<MySqlException>("the foreign key was restored");
        var duplicate = () => server.ExecuteAsync(target, "INSERT INTO kinds (i) VALUES (1000000007)");
        await duplicate.Should().ThrowAsync<MySqlException>("the unique key was restored");

        var verifier = new MySqlVerifier(repo.Repository);
        var options = new MySqlVerifyOptions { ConnectionString = server.ConnectionString(), Password = MariaDbServer.Password, ClientToolsDirectory = "/nonexistent" };
        var good = await verifier.VerifyAsync(snapshot, options);
        output.WriteLine(good.ToString());
        good.Succeeded.Should().BeTrue();
        good.TablesCompared.Should().Be(6);

        var tampered = await verifier.VerifyAsync(snapshot, options with
        {
            AfterRestore = async (connection, _, ct) =>
            {
                await using var command = new MySqlCommand("UPDATE kinds SET n = n + 0.0000000001 WHERE id = 1500", connection);
                await command.ExecuteNonQueryAsync(ct);
            },
        });
        output.WriteLine(tampered.ToString());
        tampered.Succeeded.Should().BeFalse();
        tampered.FailedTables.Should().Equal("kinds");
    }

    [SkippableFact]
    public async Task Cancelling_a_parallel_backup_ends_it_as_cancelled_and_stops_the_servers_read()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("par_cancel");
        await server.ExecuteAsync(null, $"CREATE DATABASE {database}");
        await server.ExecuteAsync(database, """
            CREATE TABLE big (id INT PRIMARY KEY, pad VARCHAR(200) NOT NULL) ENGINE = InnoDB;
            INSERT INTO big SELECT seq, REPEAT(CHAR(97 + seq % 26), 200) FROM seq_1_to_1500000;
            """);
        await using var repo = await TestRepository.CreateAsync();
        using var cancel = new CancellationTokenSource();
        var backup = repo.Service.BackupAsync(new MySqlSource(ParallelOptions(server, database, jobs: 2)), cancellationToken: cancel.Token);

        // Cancelled while the server sends the table's rows, which takes seconds: the read must end then, not after them.
        var reads = $"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '%FROM `{database}`.`big`%' AND ID <> CONNECTION_ID()";
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (Convert.ToInt64(await server.ScalarAsync(null, reads)) == 0)
        {
            backup.IsCompleted.Should().BeFalse("the backup must still be reading the table when it is cancelled");
            waited.Elapsed.Should().BeLessThan(TimeSpan.FromMinutes(1));
            await Task.Delay(10);
        }

        await cancel.CancelAsync();
        await FluentActions.Awaiting(() => backup).Should().ThrowAsync<OperationCanceledException>();
        waited.Restart();
        while (Convert.ToInt64(await server.ScalarAsync(null, reads)) != 0)
        {
            waited.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(30), "a cancelled backup must not leave its read running on the server");
            await Task.Delay(50);
        }
    }

    [SkippableFact]
    public async Task Tables_read_on_several_connections_come_from_one_instant_while_another_connection_writes()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("par_busy");
        await server.ExecuteAsync(null, $"CREATE DATABASE {database}");
        await server.ExecuteAsync(database, """
            CREATE TABLE a (id INT AUTO_INCREMENT PRIMARY KEY, pad VARCHAR(200)) ENGINE = InnoDB;
            CREATE TABLE b (id INT AUTO_INCREMENT PRIMARY KEY, pad VARCHAR(200)) ENGINE = InnoDB;
            INSERT INTO a (pad) SELECT REPEAT('x', 200) FROM seq_1_to_30000;
            INSERT INTO b (pad) SELECT REPEAT('y', 200) FROM seq_1_to_30000;
            """);
        await using var repo = await TestRepository.CreateAsync();
        using var stop = new CancellationTokenSource();
        var writes = 0;
        var writer = Task.Run(async () =>
        {
            await using var connection = await server.OpenAsync(database);
            while (!stop.IsCancellationRequested)
            {
                // Every commit adds one row to each table: any one instant has as many rows in a as in b.
                await using var command = new MySqlCommand("START TRANSACTION; INSERT INTO a (pad) VALUES ('w'); INSERT INTO b (pad) VALUES ('w'); COMMIT;", connection);
                await command.ExecuteNonQueryAsync();
                writes++;
            }
        });
        await Task.Delay(200);

        var snapshot = (await repo.Service.BackupAsync(new MySqlSource(ParallelOptions(server, database, jobs: 2) with { InsertBatchBytes = 4096 }))).Snapshot;
        await stop.CancelAsync();
        await writer;

        output.WriteLine($"{writes} writing transactions");
        writes.Should().BePositive();
        snapshot.Metadata["mysql.jobs"].Should().Be("2");
        var recorded = ChecksumMetadata.Read(snapshot.Metadata, "mysql", database)!;
        recorded.Single(t => t.Table == "a").Rows.Should().Be(recorded.Single(t => t.Table == "b").Rows);
        var target = fixture.NewDatabaseName("par_busy_restored");
        await new MySqlRestorer(repo.Repository).RestoreAsync(snapshot, new MySqlRestoreOptions { ConnectionString = server.ConnectionString(target), Password = MariaDbServer.Password, Jobs = 2 });
        (await server.ScalarAsync(target, "SELECT COUNT(*) FROM a")).Should().Be(await server.ScalarAsync(target, "SELECT COUNT(*) FROM b"));
        (await server.ScalarAsync(target, "SELECT COUNT(*) FROM a")).Should().Be(recorded.Single(t => t.Table == "a").Rows);
    }

    [SkippableFact]
    public async Task Without_the_reload_privilege_one_connection_reads_and_a_table_that_cannot_be_read_fails_the_backup()
    {
        var server = fixture.Require();
        var database = await CreateAsync(server, "par_limited");
        var user = $"lim_{database}";
        await server.ExecuteAsync(null, $"""
            CREATE USER '{user}'@'%' IDENTIFIED BY 'Lim-1-pass';
            GRANT SELECT, SHOW VIEW ON {database}.kinds TO '{user}'@'%';
            GRANT SELECT, SHOW VIEW ON {database}.child TO '{user}'@'%';
            GRANT SELECT, SHOW VIEW ON {database}.`odd/name %` TO '{user}'@'%';
            GRANT SELECT, SHOW VIEW ON {database}.kinds_view TO '{user}'@'%';
            GRANT SELECT ON {database}.counted TO '{user}'@'%';
            GRANT SELECT ON {database}.owner TO '{user}'@'%';
            GRANT SELECT ON {database}.owned TO '{user}'@'%';
            """);
        var options = ParallelOptions(server, database) with
        {
            ConnectionString = server.ConnectionString(database).Replace("User ID=tester", $"User ID={user}", StringComparison.Ordinal),
            Password = "Lim-1-pass",
        };
        await using var repo = await TestRepository.CreateAsync();
        using var log = new LogCapture();
        using var factory = LoggerFactory.Create(b => b.AddProvider(log));

        var fallback = (await repo.Service.BackupAsync(new MySqlSource(options, factory.CreateLogger<MySqlSource>()))).Snapshot;
        fallback.Metadata["mysql.jobs"].Should().Be("1", "without RELOAD no snapshot can be shared between connections");
        log.Messages.Should().Contain(m => m.Contains("No RELOAD privilege", StringComparison.Ordinal));
        ChecksumMetadata.Read(fallback.Metadata, "mysql", database)!.Should().HaveCount(6);

        await using var source = new MySqlSource(options);
        await source.PrepareAsync();
        await server.ExecuteAsync(null, $"REVOKE SELECT, SHOW VIEW ON {database}.child FROM '{user}'@'%'");
        var act = () => repo.Service.BackupAsync(source);

        var error = (await act.Should().ThrowAsync<BackupSourceException>()).Which;
        output.WriteLine(error.Message);
        error.Message.Should().Contain($"'{database}.child'").And.NotContain("Lim-1-pass");
        (await repo.CountSnapshotsAsync()).Should().Be(1, "only the first backup wrote a snapshot");
    }

    [SkippableTheory]
    [InlineData(MySqlBackupMethod.Parallel)]
    [InlineData(MySqlBackupMethod.DriverOnly)]
    public async Task A_driver_backup_asks_for_fast_compression_of_its_sql_files_only(MySqlBackupMethod method)
    {
        var server = fixture.Require();
        var database = await CreateAsync(server, "fast");
        await using var source = new MySqlSource(ParallelOptions(server, database) with { Method = method });
        await source.PrepareAsync();

        var entries = new List<SourceEntry>();
        await foreach (var entry in source.ReadEntriesAsync(new SourceContext()))
        {
            entries.Add(entry);
        }

        entries.Where(e => e.PreferFastCompression).Select(e => e.Path).Should().NotBeEmpty()
            .And.OnlyContain(p => p.EndsWith(".sql", StringComparison.Ordinal), "the rows are machine-made SQL text, where zstd level 1 stores about what level 2 does");
        entries.Where(e => e.OpenContentAsync is not null && e.Path.EndsWith(".sql", StringComparison.Ordinal)).Should().OnlyContain(e => e.PreferFastCompression);
        entries.Single(e => e.Path.EndsWith("manifest.json", StringComparison.Ordinal)).PreferFastCompression.Should().BeFalse();
    }

    /// <summary>
    /// The backup reads utf8mb4 text as <c>col COLLATE utf8mb4_bin</c> and binary strings as they are, where earlier
    /// versions read every column as <c>CAST(… AS BINARY)</c>. Snapshots of those versions are verified by reading the
    /// restored table with today's query, so every formatted row must come out byte for byte as it did.
    /// </summary>
    [SkippableFact]
    public async Task Every_column_type_formats_to_the_same_bytes_as_when_every_column_was_read_through_a_cast()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("par_cast");
        await server.ExecuteAsync(null, $"CREATE DATABASE {database}");
        await server.ExecuteAsync(database, EveryType);
        await using var connection = await server.OpenAsync(database);
        await using (var names = new MySqlCommand("SET NAMES utf8mb4", connection))
        {
            await names.ExecuteNonQueryAsync();
        }

        var format = MyRowFormat.For(database, "every", await MyDriverData.ColumnsAsync(connection, database, "every", CancellationToken.None));
        format.ColumnExpressions.Should().Contain(e => e.EndsWith(" COLLATE utf8mb4_bin", StringComparison.Ordinal)).And.Contain("`bl`");
        var castEverything = format.ColumnExpressions.Select(e =>
            e.EndsWith(" COLLATE utf8mb4_bin", StringComparison.Ordinal) ? $"CAST({e[..^" COLLATE utf8mb4_bin".Length]} AS BINARY)"
            : e.StartsWith("CAST(", StringComparison.Ordinal) ? e
            : $"CAST({e} AS BINARY)");

        var today = await FormattedRowsAsync(connection, format, $"{format.Select} ORDER BY id");
        var before = await FormattedRowsAsync(connection, format, $"SELECT {string.Join(", ", castEverything)} FROM `{database}`.`every` ORDER BY id");

        today.Should().HaveCount(5);
        for (var row = 0; row < today.Count; row++)
        {
            today[row].Should().Equal(before[row], $"row {row + 1} must format as it did");
        }
    }

    private static async Task<List<byte[]>> FormattedRowsAsync(MySqlConnection connection, MyRowFormat format, string query)
    {
        var rows = new List<byte[]>();
        await using var command = new MySqlCommand(query, connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            format.Format(reader);
            rows.Add(format.Row.ToArray());
        }

        return rows;
    }

    [Theory]
    [InlineData("VIRTUAL GENERATED", true)]
    [InlineData("STORED GENERATED", true)]
    [InlineData("VIRTUAL", true)] // MariaDB before 10.2
    [InlineData("PERSISTENT", true)]
    [InlineData("DEFAULT_GENERATED", false)] // MySQL 8: DEFAULT CURRENT_TIMESTAMP, DEFAULT (UUID()): stored data
    [InlineData("DEFAULT_GENERATED on update CURRENT_TIMESTAMP", false)]
    [InlineData("on update current_timestamp()", false)]
    [InlineData("auto_increment", false)]
    [InlineData("INVISIBLE", false)]
    [InlineData("", false)]
    public void Only_columns_the_server_computes_are_left_out_of_the_rows(string extra, bool generated) =>
        MyDriverData.IsGenerated(extra).Should().Be(generated);

    private const string EveryType = """
        CREATE TABLE every (
            id INT PRIMARY KEY, ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, mi MEDIUMINT, i INT, iu INT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED,
            d65 DECIMAL(65, 30), d0 DECIMAL(10, 0), fl FLOAT, f2 FLOAT(10, 3), db DOUBLE, bit1 BIT(1), bit64 BIT(64),
            ch CHAR(10), vc VARCHAR(200), tx TEXT, lt LONGTEXT, latin VARCHAR(50) CHARACTER SET latin1, bn BINARY(4), vb VARBINARY(300), bl BLOB,
            dt DATE, dtm DATETIME(6), dt0 DATETIME, ts TIMESTAMP(3) NULL, tm TIME(6), yr YEAR,
            en ENUM('', 'a', 'b c', 'é'), st SET('x', 'y', 'z'), js JSON, g GEOMETRY, pt POINT, u UUID, ip INET6
        ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
        INSERT INTO every (id) VALUES (1);
        INSERT INTO every VALUES (2, -128, 0, -32768, -8388608, -2147483648, 0, -9223372036854775808, 0,
            -99999999999999999999999999999999999.999999999999999999999999999999, -9999999999, -3.40282e38, -9999999.999, -1.7976931348623157e308, b'0', 0,
            '', '', '', '', '', X'00000000', X'', X'',
            '1000-01-01', '1000-01-01 00:00:00.000000', '1000-01-01 00:00:00', '1970-01-01 00:00:01.000', '-838:59:59.000000', 1901,
            '', '', '{}', ST_GeomFromText('POINT(0 0)'), POINT(-1.5, 2.25), '00000000-0000-0000-0000-000000000000', '::');
        INSERT INTO every VALUES (3, 127, 255, 32767, 8388607, 2147483647, 4294967295, 9223372036854775807, 18446744073709551615,
            99999999999999999999999999999999999.999999999999999999999999999999, 9999999999, 3.40282e38, 9999999.999, 1.7976931348623157e308, b'1', b'1111111111111111111111111111111111111111111111111111111111111111',
            'ten chars!', CONCAT('quote '' dq " backslash \\ nl \n cr \r nul ', CHAR(0), ' ctrl-z ', CHAR(26), ' tab \t end\\'), 'NULL', REPEAT('long ✓ ', 20000), 'é ÿ ß',
            X'00FF0A0D', X'', X'',
            '9999-12-31', '9999-12-31 23:59:59.999999', '9999-12-31 23:59:59', '2038-01-19 03:14:07.999', '838:59:59.000000', 2155,
            'é', 'x,y,z', '{"k": "v \\" \\\\ \\n ✓ 🎉", "n": [1, 2.5e300, null, true]}', ST_GeomFromText('POLYGON((0 0, 1 0, 1 1, 0 0))'), POINT(1e300, -1e-300),
            'ffffffff-ffff-ffff-ffff-ffffffffffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
        INSERT INTO every (id, fl, db, dtm, tm, vc, tx, lt, latin, dt, dt0, yr, d65, bit64, en, ch) VALUES
            (4, 0.1234567, 0.1e0 + 0.2e0, '2024-02-29 12:34:56.000001', '-00:00:00.5', 'héllo wörld ✓ 日本語 🎉 𝄞', 'X''00''', 'it''s', 'ÀÉÎ',
             '0000-00-00', '0000-00-00 00:00:00', 0, 0.000000000000000000000000000001, b'1000000000000000000000000000000000000000000000000000000000000000', 'b c', 'a '),
            (5, 1e-30, 5e-324, '2000-01-01 00:00:00.5', '00:00:00', '\\', '\\\\''\\n', '\r\n', '', '2000-00-00', '2000-01-00 00:00:00', 2000, -1.5, 1, 'a', '  ');
        UPDATE every SET vb = UNHEX((SELECT GROUP_CONCAT(LPAD(HEX(seq), 2, '0') ORDER BY seq SEPARATOR '') FROM seq_0_to_255)),
                         bl = UNHEX((SELECT GROUP_CONCAT(LPAD(HEX(255 - seq), 2, '0') ORDER BY seq SEPARATOR '') FROM seq_0_to_255)) WHERE id = 3;
        """;

    private static readonly string[] EveryColumn =
    [
        "ti", "tu", "si", "mi", "i", "iu", "bi", "bu", "d65", "d0", "fl", "f2", "db", "bit1", "bit64", "ch", "vc", "tx", "lt", "latin", "bn", "vb", "bl",
        "dt", "dtm", "dt0", "ts", "tm", "yr", "en", "st", "js", "g", "pt", "u", "ip",
    ];

    [SkippableFact]
    public async Task Every_column_type_and_its_edge_values_round_trip_exactly_and_the_snapshot_verifies()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("par_types");
        await server.ExecuteAsync(null, $"CREATE DATABASE {database}");
        await server.ExecuteAsync(database, EveryType);
        await using var repo = await TestRepository.CreateAsync();

        var snapshot = (await repo.Service.BackupAsync(new MySqlSource(ParallelOptions(server, database) with { InsertBatchBytes = 1024 }))).Snapshot;

        snapshot.Metadata["mysql.checksum_kind"].Should().Be(MyRowChecksum.Kind);
        var recorded = ChecksumMetadata.Read(snapshot.Metadata, "mysql", database)!;
        ChecksumMetadata.Compare(database, recorded, await MeasureAsync(server, database)).Should().BeEmpty();
        var target = fixture.NewDatabaseName("par_types_restored");
        await new MySqlRestorer(repo.Repository).RestoreAsync(snapshot, new MySqlRestoreOptions
        {
            ConnectionString = server.ConnectionString(target),
            Password = MariaDbServer.Password,
            ClientToolsDirectory = "/nonexistent",
        });

        // Every column, value and byte: null-safe equality of the values and of their bytes, row by row.
        var same = string.Join(" AND ", EveryColumn.Select(c => c is "g" or "pt"
            ? $"CAST(a.{c} AS BINARY) <=> CAST(b.{c} AS BINARY)"
            : $"a.{c} <=> b.{c} AND CAST(a.{c} AS BINARY) <=> CAST(b.{c} AS BINARY)"));
        (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM {database}.every a JOIN {target}.every b ON a.id = b.id WHERE {same}")).Should().Be(5L);
        (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM {target}.every")).Should().Be(5L);
        (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM {database}.every a JOIN {target}.every b ON a.id = b.id WHERE a.id = 4 AND a.fl + 0e0 = b.fl + 0e0 AND a.fl + 0e0 <> 0.123457e0"))
            .Should().Be(1L, "FLOAT keeps all its bits, not the 6 digits of its text form");
        (await ChecksumTableAsync(server, target)).Should().Be(await ChecksumTableAsync(server, database), "CHECKSUM TABLE sees the same stored rows");

        var verifier = new MySqlVerifier(repo.Repository);
        var options = new MySqlVerifyOptions { ConnectionString = server.ConnectionString(), Password = MariaDbServer.Password, ClientToolsDirectory = "/nonexistent" };
        (await verifier.VerifyAsync(snapshot, options)).Succeeded.Should().BeTrue();
        var tampered = await verifier.VerifyAsync(snapshot, options with
        {
            AfterRestore = async (connection, _, ct) =>
            {
                await using var command = new MySqlCommand("UPDATE every SET vb = CONCAT(vb, X'00') WHERE id = 3", connection);
                await command.ExecuteNonQueryAsync(ct);
            },
        });
        tampered.Succeeded.Should().BeFalse("one more NUL byte in a binary value changes the checksum");
    }

    [SkippableFact]
    public async Task A_snapshot_whose_checksums_the_server_formatted_still_verifies()
    {
        // Parallel snapshots before MyRowFormat recorded mysql.checksum_kind = rowtext-xxh64-sum, hashed over the row
        // text the server built: such a snapshot is simulated with those checksums, measured from the source.
        var server = fixture.Require();
        var database = await CreateAsync(server, "par_old");
        List<TableChecksum> serverText;
        await using (var connection = await server.OpenAsync(database))
        {
            await using (var settings = new MySqlCommand(MyChecksums.SessionSettings, connection))
            {
                await settings.ExecuteNonQueryAsync();
            }

            serverText = await MyDriverData.MeasureServerTextAsync(connection, database, CancellationToken.None);
        }

        await using var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.Service.BackupAsync(new MySqlSource(ParallelOptions(server, database)))).Snapshot;
        var metadata = new Dictionary<string, string>(snapshot.Metadata) { ["mysql.checksum_kind"] = MyRowChecksum.ServerTextKind };
        ChecksumMetadata.Write(metadata, "mysql", database, serverText);
        var old = snapshot with { Metadata = metadata };
        serverText.Select(t => t.Checksum).Should().NotIntersectWith(ChecksumMetadata.Read(snapshot.Metadata, "mysql", database)!.Select(t => t.Checksum), "the two kinds hash different texts");

        var verifier = new MySqlVerifier(repo.Repository);
        var options = new MySqlVerifyOptions { ConnectionString = server.ConnectionString(), Password = MariaDbServer.Password, ClientToolsDirectory = "/nonexistent" };
        var report = await verifier.VerifyAsync(old, options);
        output.WriteLine(report.ToString());
        report.Succeeded.Should().BeTrue();
        report.TablesCompared.Should().Be(6);
        (await verifier.VerifyAsync(old, options with
        {
            AfterRestore = async (connection, _, ct) =>
            {
                await using var command = new MySqlCommand("UPDATE kinds SET t = CONCAT(t, '.') WHERE id = 7", connection);
                await command.ExecuteNonQueryAsync(ct);
            },
        })).FailedTables.Should().Equal("kinds");
    }

    private static async Task<string> ChecksumTableAsync(MariaDbServer server, string database)
    {
        await using var connection = await server.OpenAsync(database);
        await using var command = new MySqlCommand("CHECKSUM TABLE every EXTENDED", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return Convert.ToString(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture)!;
    }
}
