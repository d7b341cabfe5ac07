using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using MySqlConnector;

namespace Backup.Providers.MySql;

/// <summary>
/// Several connections that all see one consistent snapshot, the way mydumper and mariadb-backup get a consistent
/// parallel read: under a brief <c>FLUSH TABLES WITH READ LOCK</c> each connection starts
/// <c>START TRANSACTION WITH CONSISTENT SNAPSHOT</c>; no commit can fall between them, so they all see the same
/// state; then <c>UNLOCK TABLES</c>. Without the RELOAD privilege the lock cannot be taken and a single connection
/// is used (logged). A table is read on whichever connection is free.
/// </summary>
internal sealed class MySnapshotConnections : IAsyncDisposable
{
    private const string Begin = $"{MyChecksums.SessionSettings}; SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ; START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY";
    private readonly List<MySqlConnection> _all;
    private readonly Channel<MySqlConnection> _idle;

    private MySnapshotConnections(List<MySqlConnection> all)
    {
        _all = all;
        _idle = Channel.CreateUnbounded<MySqlConnection>();
        foreach (var connection in all)
        {
            _idle.Writer.TryWrite(connection);
        }
    }

    /// <summary>The connections opened (1 when the global read lock was refused or one was asked for).</summary>
    public int Count => _all.Count;

    /// <summary>The first connection, for the schema (it is in the snapshot too).</summary>
    public MySqlConnection First => _all[0];

    /// <summary>Opens up to <paramref name="jobs"/> connections in one snapshot.</summary>
    public static async Task<MySnapshotConnections> OpenAsync(MyServer server, string? database, int jobs, ILogger logger, CancellationToken cancellationToken)
    {
        var all = new List<MySqlConnection>(jobs);
        try
        {
            all.Add(await server.OpenCheckedAsync(database, cancellationToken).ConfigureAwait(false));
            var locked = false;
            if (jobs > 1)
            {
                try
                {
                    // Bounded: FLUSH TABLES waits for running statements, and while held the lock stalls every writer.
                    await ExecuteAsync(all[0], "SET SESSION lock_wait_timeout = 60; FLUSH TABLES WITH READ LOCK", cancellationToken).ConfigureAwait(false);
                    locked = true;
                }
                catch (MySqlException ex) when (ex.Number is 1227 or 1044 or 1045) // no RELOAD privilege
                {
                    Log.NoParallelSnapshot(logger, jobs);
                }
            }

            try
            {
                await ExecuteAsync(all[0], Begin, cancellationToken).ConfigureAwait(false);
                for (var i = 1; locked && i < jobs; i++)
                {
                    var connection = await server.OpenAsync(database, cancellationToken).ConfigureAwait(false);
                    all.Add(connection);
                    await ExecuteAsync(connection, Begin, cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                if (locked)
                {
                    await ExecuteAsync(all[0], "UNLOCK TABLES", CancellationToken.None).ConfigureAwait(false);
                }
            }

            return new MySnapshotConnections(all);
        }
        catch
        {
            foreach (var connection in all)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>Runs <paramref name="work"/> on a free connection.</summary>
    public async Task<T> RunAsync<T>(Func<MySqlConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        var connection = await _idle.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await work(connection).ConfigureAwait(false);
        }
        finally
        {
            _idle.Writer.TryWrite(connection);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _idle.Writer.TryComplete();
        foreach (var connection in _all)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        _all.Clear();
    }

    private static async Task ExecuteAsync(MySqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
