using System.Diagnostics;
using System.Globalization;
using Backup.Providers.PostgreSql;
using Backup.Providers.Tests.Servers;
using Microsoft.Extensions.Logging;

namespace Backup.Providers.Tests;

/// <summary>The sequence values a pg_dump output sets, read from real pg_dump output as a backup streams it.</summary>
public sealed class PostgreSqlDumpSequenceValuesTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private const string Schema = """
        CREATE TABLE orders (id bigserial PRIMARY KEY, note text);
        INSERT INTO orders (note) SELECT 'o' || g FROM generate_series(1, 300) g;
        CREATE SEQUENCE counter START 100; SELECT nextval('counter'), nextval('counter');
        CREATE SEQUENCE untouched;
        CREATE SEQUENCE "Odd Name" INCREMENT -3 MINVALUE -1000000 START -7; SELECT nextval('"Odd Name"');
        CREATE SCHEMA "a.b"; CREATE SEQUENCE "a.b"."it's" START 42; SELECT nextval('"a.b"."it''s"');
        CREATE TABLE padding (t text); INSERT INTO padding SELECT repeat(md5(g::text), 50) FROM generate_series(1, 2000) g;
        """;

    // Text that reads like pg_dump's entry for a sequence: in a table's rows (counter) and in a function's body (other).
    private const string ForgedSchema = """
        CREATE SEQUENCE counter START 100; SELECT nextval('counter');
        CREATE SEQUENCE other START 5;
        CREATE TABLE notes (t text);
        INSERT INTO notes VALUES ('-- Name: counter; Type: SEQUENCE SET; Schema: public; Owner: postgres'), ('SELECT pg_catalog.setval(''public.counter'', 999, true);');
        CREATE FUNCTION forged() RETURNS bigint LANGUAGE sql AS $$
        -- Name: other; Type: SEQUENCE SET; Schema: public; Owner: postgres
        SELECT pg_catalog.setval('public.other', 999, true);
        $$;
        """;

    [SkippableTheory]
    [InlineData(PostgreSqlDumpFormat.Custom)]
    [InlineData(PostgreSqlDumpFormat.Plain)]
    public async Task The_values_are_those_the_dump_sets_however_the_stream_is_cut(PostgreSqlDumpFormat format)
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("seqvalues");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, Schema);
        var dump = await DumpAsync(server, database, format);
        var expected = await SequencesAsync(server, database);
        expected.Should().HaveCount(5);

        foreach (var chunkSize in new[] { 1, 7, 4096, dump.Length })
        {
            var values = Read(format, dump, chunkSize);
            values.Problem.Should().BeNull();
            values.Values.Should().BeEquivalentTo(expected, $"chunks of {chunkSize} bytes");
        }
    }

    [SkippableFact]
    public async Task Rows_that_read_like_a_sequence_entry_do_not_set_its_value_and_a_function_body_that_does_leaves_it_unset()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("seqforged");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, ForgedSchema);
        var dump = await DumpAsync(server, database, PostgreSqlDumpFormat.Plain);

        var values = Read(PostgreSqlDumpFormat.Plain, dump, 4096);

        values.Problem.Should().BeNull();
        values.Values.Should().BeEquivalentTo([new DriverSequence("public", "counter", 100, true)],
            "the rows of a table are skipped, and a sequence set twice (once in a function's body) gets no value: its measured checksum stands");
    }

    [SkippableFact]
    public async Task A_sequence_the_dump_does_not_set_exactly_once_keeps_its_measured_checksum_and_the_log_names_it()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("seqwarn");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, ForgedSchema);
        await using var repo = await TestRepository.CreateAsync();
        using var log = new LogCapture();
        using var factory = LoggerFactory.Create(b => b.AddProvider(log));
        var options = new PostgreSqlSourceOptions { ConnectionString = server.ConnectionString(database), Password = PostgresServer.Password, Method = PostgreSqlBackupMethod.PgDump, Format = PostgreSqlDumpFormat.Plain };

        var snapshot = (await repo.Service.BackupAsync(new PostgreSqlSource(options, factory.CreateLogger<PostgreSqlSource>()))).Snapshot;

        await using var connection = await server.OpenAsync(database);
        ChecksumMetadata.Read(snapshot.Metadata, "postgresql", database).Should().BeEquivalentTo(await PgChecksums.MeasureAsync(connection, CancellationToken.None));
        log.Messages.Should().ContainSingle(m => m.Contains("sequence", StringComparison.Ordinal))
            .Which.Should().Contain("public.other (sequence)").And.Contain("no single SEQUENCE SET entry").And.NotContain("public.counter");
    }

    [SkippableFact]
    public async Task A_custom_archive_cut_inside_its_table_of_contents_or_of_an_unknown_version_gives_no_values()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("seqbroken");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, Schema);
        var dump = await DumpAsync(server, database, PostgreSqlDumpFormat.Custom);

        var cut = Read(PostgreSqlDumpFormat.Custom, dump[..200], 64);
        cut.Problem.Should().Contain("ended inside its table of contents");
        cut.Values.Should().BeEmpty();

        var newer = dump.ToArray();
        newer[6] = 99; // version 1.99
        var unknown = Read(PostgreSqlDumpFormat.Custom, newer, 4096);
        unknown.Problem.Should().Contain("1.99");
        unknown.Values.Should().BeEmpty();

        var notAnArchive = Read(PostgreSqlDumpFormat.Custom, "-- plain text\n"u8.ToArray(), 4096);
        notAnArchive.Problem.Should().NotBeNull();
    }

    private static PgDumpSequenceValues Read(PostgreSqlDumpFormat format, byte[] dump, int chunkSize)
    {
        var values = PgDumpSequenceValues.For(format);
        for (var at = 0; at < dump.Length; at += chunkSize)
        {
            values.Observe(dump.AsSpan(at, Math.Min(chunkSize, dump.Length - at)));
        }

        values.Complete();
        return values;
    }

    private static async Task<List<DriverSequence>> SequencesAsync(PostgresServer server, string database)
    {
        await using var connection = await server.OpenAsync(database);
        return [.. (await DriverManifest.ReadAsync(connection, CancellationToken.None)).Sequences];
    }

    /// <summary>pg_dump's output as a backup reads it: written to a pipe, an archive's data compressed.</summary>
    private static async Task<byte[]> DumpAsync(PostgresServer server, string database, PostgreSqlDumpFormat format)
    {
        var info = new ProcessStartInfo(Path.Combine(PostgresServer.FindBin()!, "pg_dump"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-h", "127.0.0.1", "-p", server.Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-d", database, "--no-password",
                     format == PostgreSqlDumpFormat.Custom ? "--format=custom" : "--format=plain" })
        {
            info.ArgumentList.Add(argument);
        }

        if (format == PostgreSqlDumpFormat.Custom)
        {
            info.ArgumentList.Add("--compress=6");
        }

        info.Environment["PGPASSWORD"] = PostgresServer.Password;
        using var process = Process.Start(info)!;
        using var output = new MemoryStream();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.BaseStream.CopyToAsync(output);
        await process.WaitForExitAsync();
        process.ExitCode.Should().Be(0, await stderr);
        return output.ToArray();
    }
}
