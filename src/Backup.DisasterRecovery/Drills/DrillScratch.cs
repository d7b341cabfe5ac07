using System.Security.Cryptography;
using Backup.Providers;

namespace Backup.DisasterRecovery;

/// <summary>
/// The scratch targets one drill makes: one directory for the drill (file restores and database files go below it)
/// and scratch databases on the plan's servers. Each is registered before it is made, so a restore that fails half
/// way is removed too; <see cref="CleanupAsync"/> removes everything and says what it removed and what it could not.
/// </summary>
internal sealed class DrillScratch(string? root, string system)
{
    private readonly List<(IDatabaseEngine Engine, DatabaseRestoreSettings Target)> _databases = [];
    private readonly string _directory = Path.Combine(
        root is { Length: > 0 } ? Path.GetFullPath(root) : Path.GetTempPath(),
        $"backup-dr-{Sanitize(system)}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}");

    private bool _directoryMade;

    /// <summary>The drill's own directory (made on first use), below which every scratch directory of the drill is.</summary>
    public string Root
    {
        get
        {
            Directory.CreateDirectory(_directory);
            _directoryMade = true;
            return _directory;
        }
    }

    /// <summary>A fresh directory for one step (<paramref name="purpose"/> names it), below the drill's directory.</summary>
    public string NewDirectory(string purpose)
    {
        var path = Path.Combine(_directory, $"{Sanitize(purpose)}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}");
        _directoryMade = true;
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>A unique database name for a scratch database ("dr_" and random hex: valid unquoted on every engine).</summary>
    public static string NewDatabaseName() => "dr_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    /// <summary>Registers a scratch database about to be made, so cleanup drops it whatever happens next.</summary>
    public void AddDatabase(IDatabaseEngine engine, DatabaseRestoreSettings target) => _databases.Add((engine, target));

    /// <summary>Describes a scratch database for the result ("postgres database dr_…"; never its server's password).</summary>
    public static string Describe(IDatabaseEngine engine, DatabaseRestoreSettings target) => $"{engine.Name} database {target.TargetDatabase}";

    /// <summary>
    /// Drops every scratch database and deletes the drill's directory, even after a cancellation (a leftover copy of
    /// production data is worse than a late return): each removal has its own time limit instead of the caller's token.
    /// </summary>
    public async Task<(IReadOnlyList<string> CleanedUp, IReadOnlyList<string> Problems)> CleanupAsync(Action<string, Exception> onProblem)
    {
        var cleaned = new List<string>();
        var problems = new List<string>();
        for (var i = _databases.Count - 1; i >= 0; i--)
        {
            var (engine, target) = _databases[i];
            var what = Describe(engine, target);
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            try
            {
                await engine.DropAsync(target, limit.Token).ConfigureAwait(false);
                cleaned.Add(what);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                problems.Add($"{what}: {ex.Message}");
                onProblem(what, ex);
            }
        }

        if (_directoryMade || Directory.Exists(_directory))
        {
            var what = $"directory {_directory}";
            try
            {
                Directory.Delete(_directory, recursive: true);
                cleaned.Add(what);
            }
            catch (DirectoryNotFoundException)
            {
                // Already gone.
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                problems.Add($"{what}: {ex.Message}");
                onProblem(what, ex);
            }
        }

        return (cleaned, problems);
    }

    /// <summary>A name made safe for a directory: letters, digits and '-' only.</summary>
    private static string Sanitize(string name)
    {
        var safe = new string([.. name.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-')]).Trim('-');
        return safe.Length == 0 ? "x" : safe.Length > 40 ? safe[..40] : safe;
    }
}
