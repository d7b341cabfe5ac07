using Npgsql;

namespace Backup.Providers.PostgreSql;

/// <summary>
/// A selective restore (<see cref="PostgreSqlRestoreOptions.Tables"/>) of a custom-format or schema archive: which
/// entries to restore (<see cref="PgTableSelection"/>, in a listing file for <c>pg_restore -L</c>), checked and, with
/// Clean, the tables replaced (<see cref="PgTableReplacement"/>) before pg_restore runs; then
/// <see cref="FinishAsync"/> sets the sequences and adds the other tables' foreign keys back.
/// </summary>
internal sealed class PgTableRestore : IDisposable
{
    private readonly TempFile _list;
    private readonly PgTableSelection _selection;
    private readonly IReadOnlyList<PgTableReplacement.ForeignKey> _incoming;

    private PgTableRestore(TempFile list, PgTableSelection selection, IReadOnlyList<PgTableReplacement.ForeignKey> incoming)
    {
        _list = list;
        _selection = selection;
        _incoming = incoming;
    }

    private bool _finishing;

    /// <summary>The listing file for <c>pg_restore -L</c>.</summary>
    public string ListPath => _list.Path;

    /// <summary>
    /// For a failure between the drop and <see cref="FinishAsync"/>: the other tables' foreign keys that went with the
    /// replaced tables and the statements that add them back (empty when none, or once FinishAsync has taken over).
    /// </summary>
    public string LostKeys => _finishing ? string.Empty : PgTableReplacement.Lost(_incoming);

    /// <summary>
    /// Selects the tables of <paramref name="options"/> from <paramref name="archive"/>, checks that every foreign key
    /// they keep can be created in <paramref name="target"/>, and with Clean drops the tables there.
    /// </summary>
    /// <exception cref="DatabaseRestoreException">A table is not in the archive, a key references a table that is neither restored nor in the target, or something other than a foreign key depends on a table to replace; nothing was changed.</exception>
    public static async Task<PgTableRestore> PrepareAsync(PgServer server, string tool, ToolEnvironment environment, string archive, string target, PostgreSqlRestoreOptions options, CancellationToken cancellationToken)
    {
        var listing = await PostgreSqlRestorer.ReadToolOutputAsync(tool, ["--list", archive], environment, cancellationToken).ConfigureAwait(false);
        var script = await PostgreSqlRestorer.ReadToolOutputAsync(tool, ["--schema-only", "--file=-", archive], environment, cancellationToken).ConfigureAwait(false);
        var selection = Unchanged(() => PgTableSelection.Build(listing, script, options.Tables));

        IReadOnlyList<PgTableReplacement.ForeignKey> incoming = [];
        await using (var connection = await server.OpenAsync(target, cancellationToken).ConfigureAwait(false))
        {
            var missing = new List<PgTableSelection.ForeignKey>();
            foreach (var reference in selection.References)
            {
                await using var find = new NpgsqlCommand("SELECT pg_catalog.to_regclass($1) IS NOT NULL", connection) { Parameters = { new() { Value = reference.Referenced } } };
                if (await find.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true)
                {
                    missing.Add(reference);
                }
            }

            if (missing.Count > 0)
            {
                throw FailedRestore.Unchanged(new DatabaseRestoreException(
                    $"{string.Join("; ", missing.Select(k => $"table {k.Table} has foreign key {k.Name} on {k.Referenced}"))}, which is neither among the tables restored nor in database '{target}'. " +
                    "Restore it too (another --table), or into a database that has it. Nothing was restored."));
            }

            if (options.Clean)
            {
                try
                {
                    incoming = await PgTableReplacement.DropAsync(connection, target, selection.Tables, selection.Relations, cancellationToken).ConfigureAwait(false);
                }
                catch (DatabaseRestoreException ex)
                {
                    // Refused before the drop, whose transaction did not commit.
                    throw FailedRestore.Unchanged(ex);
                }
            }
        }

        var list = await Providers.Secrets.WritePrivateFileAsync(selection.Listing, ".list", cancellationToken).ConfigureAwait(false);
        return new PgTableRestore(list, selection, incoming);
    }

    /// <summary>
    /// After pg_restore: gives the sequences the selected tables own the values in <paramref name="sequences"/> (a
    /// schema archive's manifest; a custom-format archive sets its own), then adds back the other tables' foreign keys
    /// on the replaced tables.
    /// </summary>
    /// <exception cref="DatabaseRestoreException">A foreign key could be added back only NOT VALID (see <see cref="PgTableReplacement.AddForeignKeysAsync"/>).</exception>
    public async Task FinishAsync(PgServer server, string target, IReadOnlyList<DriverSequence> sequences, CancellationToken cancellationToken)
    {
        _finishing = true;
        await using var connection = await server.OpenAsync(target, cancellationToken).ConfigureAwait(false);
        await PostgreSqlRestorer.SetSequencesAsync(connection, sequences.Where(s => _selection.Sequences.Contains((s.Schema, s.Name))), cancellationToken).ConfigureAwait(false);
        await PgTableReplacement.AddForeignKeysAsync(connection, target, [.. _selection.OwnForeignKeys, .. _incoming], cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public void Dispose() => _list.Dispose();

    private static T Unchanged<T>(Func<T> check)
    {
        try
        {
            return check();
        }
        catch (DatabaseRestoreException ex)
        {
            throw FailedRestore.Unchanged(ex);
        }
    }
}
