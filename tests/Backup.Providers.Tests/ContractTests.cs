using Backup.Providers.MySql;
using Backup.Providers.PostgreSql;
using Backup.Providers.Sqlite;

namespace Backup.Providers.Tests;

/// <summary>Tests that need no server.</summary>
public sealed class ContractTests
{
    [Fact]
    public void Checksums_round_trip_through_metadata_and_compare_names_every_kind_of_difference()
    {
        var metadata = new Dictionary<string, string>();
        ChecksumMetadata.Write(metadata, "postgresql", "app", [new() { Table = "public.a", Rows = 10, Checksum = "x" }, new() { Table = "public.b", Rows = 5, Checksum = "y" }, new() { Table = "public.gone", Rows = 1, Checksum = "z" }]);

        var read = ChecksumMetadata.Read(metadata, "postgresql", "app")!;
        var mismatches = ChecksumMetadata.Compare("app", read, [new() { Table = "public.a", Rows = 10, Checksum = "x" }, new() { Table = "public.b", Rows = 5, Checksum = "CHANGED" }, new() { Table = "public.new", Rows = 2, Checksum = "w" }]);

        read.Should().HaveCount(3);
        mismatches.Select(m => m.Table).Should().BeEquivalentTo(["public.b", "public.gone", "public.new"]);
        mismatches.Select(m => m.ToString()).Should().Equal(
            "app.public.b: 5 rows expected, 5 found, but their contents differ",
            "app.public.gone: 1 row expected, table missing",
            "app.public.new: not in the snapshot, 2 rows found");
        mismatches.Select(m => m.Kind).Should().Equal(TableMismatchKind.Contents, TableMismatchKind.Missing, TableMismatchKind.NotInSnapshot);
        ChecksumMetadata.Read(metadata, "postgresql", "other").Should().BeNull();
    }

    [Fact]
    public void Options_are_validated_when_a_source_is_built()
    {
        var noDatabase = () => new PostgreSqlSource(new PostgreSqlSourceOptions { ConnectionString = "Host=localhost" });
        noDatabase.Should().Throw<ArgumentException>().WithMessage("*Database*");
        var badLevel = () => new PostgreSqlSource(new PostgreSqlSourceOptions { ConnectionString = "Host=localhost;Database=x", CompressionLevel = 12 });
        badLevel.Should().Throw<ArgumentException>();
        var badMySql = () => new MySqlSource(new MySqlSourceOptions { ConnectionString = "Server=localhost" });
        badMySql.Should().Throw<ArgumentException>();
        var badSqlite = () => new SqliteSource(new SqliteSourceOptions { DatabasePath = " " });
        badSqlite.Should().Throw<ArgumentException>();
        var malformed = () => new PostgreSqlSource(new PostgreSqlSourceOptions { ConnectionString = "Password=leaky;Nonsense=1" });
        malformed.Should().Throw<ArgumentException>().Which.Message.Should().NotContain("leaky");
    }

    [Fact]
    public void Database_names_become_safe_entry_names()
    {
        PostgreSqlSource.EntryName("a/b%c", PostgreSqlBackupMethod.PgDump, PostgreSqlDumpFormat.Custom).Should().Be("a%2Fb%25c.dump");
        PostgreSqlSource.EntryName("..", PostgreSqlBackupMethod.DriverOnly, PostgreSqlDumpFormat.Custom).Should().NotBe("..");
        MySqlSource.EntryName("shop").Should().Be("shop.sql");
    }
}
