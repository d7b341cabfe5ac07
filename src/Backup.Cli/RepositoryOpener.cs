using Backup.Core.Repository;

namespace Backup.Cli;

/// <summary>Opens the repository a command names, with the password found by <see cref="PasswordResolver"/>.</summary>
internal static class RepositoryOpener
{
    public static async Task<BackupRepository> OpenAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var target = RepositoryTargets.Create(RepositoryTargets.ResolveLocation(context), create: false, context.Console.GetEnvironmentVariable);

        // Fail on a missing repository before asking for a password.
        _ = await BackupRepository.ReadConfigAsync(target, cancellationToken).ConfigureAwait(false);
        using var credentials = new PasswordResolver(context.Console).Resolve(context.PasswordFile);
        return await BackupRepository.OpenAsync(target, credentials, cancellationToken).ConfigureAwait(false);
    }
}
