using System.Text;
using Backup.Core.Tests.Fuzzing;
using Backup.Providers.PostgreSql;

namespace Backup.Providers.Tests;

/// <summary>
/// Seeded random mutations of pg_dump output as the sequence-value readers see it during a backup: a hostile server
/// shapes what pg_dump writes (names, definitions, dependencies), and the backup reads it as it streams. Every outcome
/// must be values or a <see cref="PgDumpSequenceValues.Problem"/>, never an exception, and reading must stay linear in
/// the output's size however it is cut into chunks.
/// </summary>
public sealed class PgDumpSequenceValuesFuzzTests
{
    // A few seconds in the suite; for a longer run set BACKUP_FUZZ_SEEDS and BACKUP_FUZZ_ITERATIONS.
    private static readonly int Seeds = FromEnvironment("BACKUP_FUZZ_SEEDS", 4);
    private static readonly int IterationsPerSeed = FromEnvironment("BACKUP_FUZZ_ITERATIONS", 500);

    [Fact]
    public void A_custom_archive_gives_values_or_a_problem_whatever_its_bytes()
    {
        var archive = PgArchiveBuilder.Build(
            ("TABLE", "orders", "CREATE TABLE public.orders (id bigint);", 2),
            ("SEQUENCE SET", "counter", "SELECT pg_catalog.setval('public.counter', 101, true);", 1),
            ("SEQUENCE SET", "Odd Name", "SELECT pg_catalog.setval('public.\"Odd Name\"', -10, false);", 0));
        var values = Read(PostgreSqlDumpFormat.Custom, archive, 7);
        values.Problem.Should().BeNull();
        values.Values.Should().BeEquivalentTo([new DriverSequence("public", "counter", 101, true), new DriverSequence("public", "Odd Name", -10, false)]);

        Fuzz("custom archive", archive, PostgreSqlDumpFormat.Custom);
    }

    [Fact]
    public void A_plain_script_gives_values_whatever_its_bytes()
    {
        var script = Encoding.UTF8.GetBytes("""
            --
            -- Name: orders; Type: TABLE; Schema: public; Owner: postgres
            --

            CREATE TABLE public.orders (id bigint);

            COPY public.orders (id) FROM stdin;
            1
            \.

            --
            -- Name: counter; Type: SEQUENCE SET; Schema: public; Owner: postgres
            --

            SELECT pg_catalog.setval('public.counter', 101, true);

            """.ReplaceLineEndings("\n"));
        Read(PostgreSqlDumpFormat.Plain, script, 5).Values.Should().BeEquivalentTo([new DriverSequence("public", "counter", 101, true)]);

        Fuzz("plain script", script, PostgreSqlDumpFormat.Plain);
    }

    [Fact]
    public void An_entry_with_millions_of_dependencies_arriving_in_small_chunks_is_read_once_not_once_per_chunk()
    {
        // 4 million dependencies (24 MB) in one entry, read in 4 KiB chunks as a pipe may deliver them: parsing the
        // entry again from its start for every chunk would read about 10^10 dependencies and stall the backup.
        var archive = PgArchiveBuilder.Build(
            ("TABLE", "orders", "CREATE TABLE public.orders (id bigint);", 4_000_000),
            ("SEQUENCE SET", "counter", "SELECT pg_catalog.setval('public.counter', 7, true);", 1));

        var values = Read(PostgreSqlDumpFormat.Custom, archive, 4096);

        values.Problem.Should().BeNull();
        values.Values.Should().BeEquivalentTo([new DriverSequence("public", "counter", 7, true)]);
        ((PgArchiveSequenceValues)values).BytesRead.Should().BeLessThan(4L * archive.Length, "an entry is read again only once its held bytes have doubled, not at every chunk");
    }

    [Fact]
    public void An_entry_that_completes_just_under_the_size_limit_is_read()
    {
        // About 63 MiB of dependencies: the entry fits the 64 MiB an entry may take, whatever reading it waits for.
        var archive = PgArchiveBuilder.Build(
            ("TABLE", "orders", "CREATE TABLE public.orders (id bigint);", 11_000_000),
            ("SEQUENCE SET", "counter", "SELECT pg_catalog.setval('public.counter', 7, true);", 1));

        var values = Read(PostgreSqlDumpFormat.Custom, archive, 65536);

        values.Problem.Should().BeNull();
        values.Values.Should().ContainSingle();
    }

    private static void Fuzz(string reader, byte[] valid, PostgreSqlDumpFormat format)
    {
        var failures = new List<string>();
        int[] chunkSizes = [1, 3, 64, 4096];
        for (var seed = 1; seed <= Seeds; seed++)
        {
            var mutator = new ByteMutator(seed);
            var current = valid;
            for (var iteration = 0; iteration < IterationsPerSeed; iteration++)
            {
                current = mutator.Mutate(iteration % 8 == 0 ? valid : current);
                var chunkSize = chunkSizes[iteration % chunkSizes.Length];
                try
                {
                    var values = Read(format, current, chunkSize);
                    _ = values.Problem?.Length + values.Values.Sum(v => v.Schema.Length + v.Name.Length);
                }
                catch (Exception ex)
                {
                    failures.Add($"{reader} seed {seed} iteration {iteration} (chunks of {chunkSize}): {ex.GetType().Name}: {ex.Message} (input {Convert.ToHexString(current.AsSpan(0, Math.Min(current.Length, 64)))}…)");
                }
            }
        }

        failures.Should().BeEmpty();
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

    private static int FromEnvironment(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var value) && value > 0 ? value : fallback;

    /// <summary>A custom-format archive's head and table of contents (version 1.14, as pg_dump 12 to 15 write it), written as pg_backup_archiver.c does.</summary>
    private static class PgArchiveBuilder
    {
        public static byte[] Build(params (string Description, string Tag, string Definition, int Dependencies)[] entries)
        {
            using var output = new MemoryStream();
            output.Write("PGDMP"u8);
            output.Write([1, 14, 0, 4, 8, 1]);
            Int(output, 0); // compression level
            for (var i = 0; i < 7; i++)
            {
                Int(output, 1); // creation time
            }

            Text(output, "db");
            Text(output, "15.0");
            Text(output, "15.0");
            Int(output, entries.Length);
            var id = 1;
            foreach (var (description, tag, definition, dependencies) in entries)
            {
                Int(output, id++);
                Int(output, 1);
                Text(output, "0");
                Text(output, "0");
                Text(output, tag);
                Text(output, description);
                Int(output, 2); // section
                Text(output, definition);
                Text(output, "");
                Text(output, "");
                Text(output, "public");
                Text(output, null);
                Text(output, null); // table access method
                Text(output, "postgres");
                Text(output, "false");
                for (var d = 0; d < dependencies; d++)
                {
                    Text(output, "1");
                }

                Text(output, null);
                output.Write([3, 0, 0, 0, 0, 0, 0, 0, 0]); // no data offset
            }

            output.Write(new byte[100]); // the data, which passes by
            return output.ToArray();
        }

        private static void Int(Stream output, int value)
        {
            output.WriteByte(value < 0 ? (byte)1 : (byte)0);
            var magnitude = Math.Abs(value);
            for (var i = 0; i < 4; i++)
            {
                output.WriteByte((byte)(magnitude >> (8 * i)));
            }
        }

        private static void Text(Stream output, string? value)
        {
            if (value is null)
            {
                Int(output, -1);
                return;
            }

            var bytes = Encoding.UTF8.GetBytes(value);
            Int(output, bytes.Length);
            output.Write(bytes);
        }
    }
}
