using System.Text;
using Backup.Core.Tests.Fuzzing;
using Backup.Providers.MySql;

namespace Backup.Providers.Tests;

/// <summary>
/// Seeded random mutations of what a MariaDB/MySQL restore reads back from a snapshot (a manifest's CREATE statements,
/// data.sql's row lines): someone who can write the repository shapes them, so each reader must answer with a verdict
/// (a problem, a refusal, a statement kept whole), never an exception of its own. Replay a failure from the reader,
/// seed and iteration it names.
/// </summary>
public sealed class MySqlDumpReaderFuzzTests
{
    // A few seconds in the suite; for a longer run set BACKUP_FUZZ_SEEDS and BACKUP_FUZZ_ITERATIONS.
    private static readonly int Seeds = FromEnvironment("BACKUP_FUZZ_SEEDS", 4);
    private static readonly int IterationsPerSeed = FromEnvironment("BACKUP_FUZZ_ITERATIONS", 500);

    // What the writer would not put there but a forger can: separators and quotes SHOW CREATE never places so.
    private static readonly string[] SqlTokens = ["`", "'", "\"", "\n", "\t", " ", "(", ")", ",", "\\", "/*", "*/", "#", "-- ", "AUTO_INCREMENT", "KEY ", "  `", "` ", "X'", ";", "\r", "\0", "é", "\u202E"];

    private const string Table = """
        CREATE TABLE `t` (
          `id` int(11) NOT NULL AUTO_INCREMENT,
          `v` int(11) NOT NULL,
          `p` int(11) DEFAULT NULL,
          PRIMARY KEY (`v`),
          KEY `t_id` (`id`),
          UNIQUE KEY `t_p` (`p`),
          CONSTRAINT `t_fk` FOREIGN KEY (`p`) REFERENCES `o` (`a`) ON DELETE CASCADE
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
        """;

    [Fact]
    public void Table_definitions_are_checked_and_split_without_throwing_anything_but_a_refusal()
    {
        var table = Table.ReplaceLineEndings("\n");
        MyDeferredKeys.Split(MyDefinition.Checked(table, MyDefinition.Kind.Table, "t", "shop", "shop")).Keys.Should().NotBeEmpty("the unmutated table is valid and has keys to split off");

        Fuzz("table definition", table, statement =>
        {
            string checkedStatement;
            try
            {
                checkedStatement = MyDefinition.Checked(statement, MyDefinition.Kind.Table, "t", "shop", "shop");
            }
            catch (DatabaseRestoreException)
            {
                return;
            }

            var split = MyDeferredKeys.Split(checkedStatement);
            _ = split.Create.Length + split.Keys.Sum(k => k.Length) + split.ForeignKeys.Sum(k => k.Length);
        });
    }

    [Fact]
    public void An_auto_increment_column_whose_name_is_followed_by_a_tab_keeps_its_key_in_the_create()
    {
        // SHOW CREATE puts a space after a column's name; a forged manifest need not, and the restore threw
        // ArgumentOutOfRangeException looking for that space.
        var create = "CREATE TABLE `t` (\n  `id`\tint NOT NULL AUTO_INCREMENT,\n  `v` int NOT NULL,\n  PRIMARY KEY (`v`),\n  KEY `t_id` (`id`),\n  KEY `t_v` (`v`)\n) ENGINE=InnoDB";

        var split = MyDeferredKeys.Split(MyDefinition.Checked(create, MyDefinition.Kind.Table, "t", "shop", "shop"));

        split.Keys.Should().Equal("ADD KEY `t_v` (`v`)");
        split.Create.Should().Contain("KEY `t_id` (`id`)", "the auto-increment column needs its key when the table is created");
    }

    [Theory]
    [InlineData((int)MyDefinition.Kind.View, "v", "CREATE ALGORITHM=UNDEFINED SQL SECURITY DEFINER VIEW `v` AS select `t`.`id` AS `id`, 'a''b' AS `s` from `t` where `t`.`v` in (1,2)")]
    [InlineData((int)MyDefinition.Kind.Routine, "p", "CREATE PROCEDURE `p`(IN x INT)\nBEGIN\n  SELECT x, 'y' FROM `t` WHERE `id` = x;\nEND")]
    [InlineData((int)MyDefinition.Kind.Trigger, "stamp", "CREATE TRIGGER stamp BEFORE INSERT ON `t` FOR EACH ROW SET NEW.v = 1")]
    [InlineData((int)MyDefinition.Kind.Event, "tick", "CREATE EVENT `tick` ON SCHEDULE EVERY 1 HOUR STARTS '2026-01-01 00:00:00' ON COMPLETION NOT PRESERVE ENABLE DO SELECT 1")]
    public void Other_definitions_are_checked_without_throwing_anything_but_a_refusal(int kindValue, string name, string statement)
    {
        var kind = (MyDefinition.Kind)kindValue;
        MyDefinition.Checked(statement, kind, name, "shop", "shop");

        Fuzz($"{kind} definition", statement, mutated =>
        {
            try
            {
                _ = MyDefinition.Checked(mutated, kind, name, "restored", "shop", default, eventDisabled: kind == MyDefinition.Kind.Event).Length;
            }
            catch (DatabaseRestoreException)
            {
            }
        });
    }

    [Fact]
    public void Row_lines_get_a_verdict()
    {
        var names = new[] { "id", "s", "b" };
        var columns = new MyTableColumns(MyDriverData.InsertPrefix("t", names), names, [true, false, true]);
        var tables = new Dictionary<string, MyTableColumns>(StringComparer.Ordinal) { ["t"] = columns };
        var line = $"{columns.Prefix}(1,'a\\'b\\\\',X'00ff'),(-2.5e3,NULL,'');";
        MyRowStatement.Problem(line, tables).Should().BeNull("the unmutated line is a row insert as a backup writes it");

        Fuzz("row line", line, mutated => _ = MyRowStatement.Problem(mutated, tables)?.Length);
        Fuzz("row line without its column list", $"INSERT INTO `t` (`id`, `s`) VALUES (1,'x');", mutated => _ = MyRowStatement.Problem(mutated, tables)?.Length);
    }

    /// <summary>Runs <paramref name="read"/> on mutations of <paramref name="valid"/>; collects every exception.</summary>
    private static void Fuzz(string reader, string valid, Action<string> read)
    {
        var failures = new List<string>();
        for (var seed = 1; seed <= Seeds; seed++)
        {
            var mutator = new ByteMutator(seed);
            var tokens = new Random(seed);
            var current = valid;
            for (var iteration = 0; iteration < IterationsPerSeed; iteration++)
            {
                var start = iteration % 8 == 0 ? valid : current;
                current = tokens.Next(2) == 0
                    ? Encoding.UTF8.GetString(mutator.Mutate(Encoding.UTF8.GetBytes(start)))
                    : start.Insert(tokens.Next(start.Length + 1), SqlTokens[tokens.Next(SqlTokens.Length)]);
                try
                {
                    read(current);
                }
                catch (Exception ex)
                {
                    failures.Add($"{reader} seed {seed} iteration {iteration}: {ex.GetType().Name}: {ex.Message} (input {Printable(current)})");
                }
            }
        }

        failures.Should().BeEmpty();
    }

    private static string Printable(string text) => text.Length > 300 ? text[..300].ReplaceLineEndings("\\n") + "…" : text.ReplaceLineEndings("\\n");

    private static int FromEnvironment(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var value) && value > 0 ? value : fallback;
}
