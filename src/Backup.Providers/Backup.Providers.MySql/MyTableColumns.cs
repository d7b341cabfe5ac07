using System.Text.RegularExpressions;
using MySqlConnector;

namespace Backup.Providers.MySql;

/// <summary>
/// A restored table's stored (not generated) columns, in order, as <see cref="MyRowStatement"/> checks row lines against
/// them: the INSERT start a backup writes, and which columns a line may leave to a harmless default.
/// </summary>
/// <param name="Prefix">How a backup's INSERT of the table starts (<see cref="MyDriverData.InsertPrefix"/>).</param>
/// <param name="Names">The stored columns.</param>
/// <param name="Omittable">Per column, whether its default reads nothing of the server: none, a constant, the time, an auto-increment.</param>
internal sealed partial record MyTableColumns(string Prefix, IReadOnlyList<string> Names, IReadOnlyList<bool> Omittable)
{
    /// <summary>Reads the columns of <paramref name="table"/> in the connection's database.</summary>
    public static async Task<MyTableColumns> ReadAsync(MySqlConnection connection, string table, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        var omittable = new List<bool>();
        await using var command = new MySqlCommand(
            "SELECT COLUMN_NAME, COLUMN_DEFAULT, EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = @t ORDER BY ORDINAL_POSITION", connection);
        command.Parameters.AddWithValue("@t", table);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var extra = reader.IsDBNull(2) ? string.Empty : reader.GetString(2);
            if (MyDriverData.IsGenerated(extra))
            {
                continue;
            }

            names.Add(reader.GetString(0));
            omittable.Add(extra.Contains("auto_increment", StringComparison.OrdinalIgnoreCase) || reader.IsDBNull(1) || HarmlessDefault().IsMatch(reader.GetString(1)));
        }

        return new MyTableColumns(MyDriverData.InsertPrefix(table, names), names, omittable);
    }

    // NULL, a number, a quoted constant (MariaDB quotes literal defaults), the time.
    [GeneratedRegex(@"^(NULL|-?[0-9.]+([eE][-+]?[0-9]+)?|'([^'\\]|''|\\.)*'|(current_timestamp|now|localtimestamp|localtime)(\([0-9]?\))?)$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex HarmlessDefault();
}
