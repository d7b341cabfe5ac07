using System.Diagnostics;

namespace Backup.Core.Repository;

/// <summary>
/// Activities for the phases every command pays before its own work (opening a repository: config, keys, key
/// derivation, index; listing snapshots; taking the lock), on the same ActivitySource name as the services'
/// operations ("Backup", <c>BackupDiagnostics.Name</c>), so a trace shows where an operation's start-up went.
/// </summary>
/// <remarks>
/// The repository layers sit below Diagnostics and may not use it, so they have their own source of the same name:
/// listeners select sources by name and see both. Without a listener <see cref="Start"/> returns null and costs a
/// check of one flag.
/// </remarks>
internal static class RepositoryActivity
{
    private static readonly ActivitySource Source = new("Backup");

    /// <summary>Starts the phase <paramref name="name"/> (such as <c>open.kdf</c>); dispose it to end it. Null when nobody listens.</summary>
    public static Activity? Start(string name) => Source.StartActivity(name, ActivityKind.Internal);
}
