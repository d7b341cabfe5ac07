using Backup.Core.Snapshots;
using Backup.Providers.MySql;
using Backup.Providers.PostgreSql;

namespace Backup.Providers.Tests;

/// <summary>
/// The list of databases a server snapshot holds is metadata in the repository, which a client with append access can
/// write: a list that is not what a backup writes is a damaged snapshot, named as such, not an internal JSON error or
/// a null name reaching the restore.
/// </summary>
public class SnapshotDatabaseListTests
{
    public static TheoryData<string, string> Damaged => new()
    {
        { "mysql", "not json" },
        { "mysql", "null" },
        { "mysql", "{\"a\":1}" },
        { "postgresql", "[\"app\", null]" },
        { "postgresql", "[\"\"]" },
    };

    [Theory]
    [MemberData(nameof(Damaged))]
    public void A_damaged_list_of_databases_is_a_damaged_snapshot(string kind, string recorded)
    {
        var snapshot = new Snapshot { Hostname = "h", SourceKind = kind, Metadata = new Dictionary<string, string> { [$"{kind}.databases"] = recorded } };
        var read = () => kind == "mysql" ? MySqlRestorer.DatabasesOf(snapshot) : PostgreSqlRestorer.DatabasesOf(snapshot);

        read.Should().Throw<DatabaseRestoreException>().WithMessage($"*{kind}.databases*damaged or was altered*Restore from another snapshot*");
    }

    [Theory]
    [InlineData("mysql")]
    [InlineData("postgresql")]
    public void A_list_as_backups_write_it_is_read(string kind)
    {
        var snapshot = new Snapshot { Hostname = "h", SourceKind = kind, Metadata = new Dictionary<string, string> { [$"{kind}.databases"] = "[\"app\",\"billing\"]" } };

        var databases = kind == "mysql" ? MySqlRestorer.DatabasesOf(snapshot) : PostgreSqlRestorer.DatabasesOf(snapshot);

        databases.Should().Equal("app", "billing");
    }
}
