using System.Globalization;
using Backup.Core.Repository;
using Backup.Core;

namespace Backup.Cli;

/// <summary>Applies the environment's lock settings to an opened repository and reports unauthenticated and stale lock objects, and a lock it could not remove, on stderr.</summary>
internal static class LockSettings
{
    public const string TimeToLiveVariable = "BACKUP_LOCK_TTL";

    /// <exception cref="CliUsageException">BACKUP_LOCK_TTL is not a whole number of seconds between 1 and 86400.</exception>
    public static void Apply(CommandContext context, BackupRepository repository)
    {
        if (context.Console.GetEnvironmentVariable(TimeToLiveVariable) is { Length: > 0 } text)
        {
            if (!int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds < 1 || seconds > 86_400)
            {
                throw new CliUsageException($"{TimeToLiveVariable} '{text}' is not a lock lifetime: give whole seconds from 1 to 86400 (900, 15 minutes, unless set).");
            }

            repository.Locking.TimeToLive = TimeSpan.FromSeconds(seconds);
        }

        var error = context.Console.Error;
        repository.Locking.UnauthenticatedLockFound = message => error.WriteLine($"backup: warning: {message}");
        repository.Locking.StaleLockFound = message => error.WriteLine($"backup: note: {message}");
        repository.Locking.LockNotRemoved = message => error.WriteLine($"backup: warning: {message}");
    }
}
