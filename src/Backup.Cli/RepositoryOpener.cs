using Backup.Core.Repository;
using Backup.Core;

namespace Backup.Cli;

/// <summary>Opens the repository a command names, with the password found by <see cref="PasswordResolver"/>.</summary>
internal static class RepositoryOpener
{
    public static Task<BackupRepository> OpenAsync(CommandContext context, CancellationToken cancellationToken) =>
        OpenAsync(context, loadIndex: true, writes: false, cancellationToken);

    /// <summary>
    /// Opens the repository for a command that changes it when <paramref name="writes"/> (not a dry run): one created
    /// with a retention lock is refused here, before even a lock object is written, unless this run gives that lock.
    /// </summary>
    public static Task<BackupRepository> OpenAsync(CommandContext context, bool writes, CancellationToken cancellationToken) =>
        OpenAsync(context, loadIndex: true, writes, cancellationToken);

    /// <summary>
    /// Opens the repository without loading its index: for check, repair, forget and prune (which read the index objects themselves) and must work when an index object is
    /// damaged, and for commands that read no blob (snapshots, key), which need not pay for it.
    /// </summary>
    public static Task<BackupRepository> OpenWithoutIndexAsync(CommandContext context, CancellationToken cancellationToken) =>
        OpenAsync(context, loadIndex: false, writes: false, cancellationToken);

    /// <summary><see cref="OpenWithoutIndexAsync(CommandContext, CancellationToken)"/> for a command that changes the repository when <paramref name="writes"/> (see <see cref="OpenAsync(CommandContext, bool, CancellationToken)"/>).</summary>
    public static Task<BackupRepository> OpenWithoutIndexAsync(CommandContext context, bool writes, CancellationToken cancellationToken) =>
        OpenAsync(context, loadIndex: false, writes, cancellationToken);

    private static async Task<BackupRepository> OpenAsync(CommandContext context, bool loadIndex, bool writes, CancellationToken cancellationToken)
    {
        var target = context.CreateTarget(RepositoryTargets.ResolveLocation(context), create: false);

        // Fail on a missing repository before asking for a password. A password given by file or environment needs no
        // such check: the open reads the config first anyway, and on a remote store a second read costs a request.
        var passwords = new PasswordResolver(context.Console);
        if (!passwords.IsGivenWithoutPrompt(context.PasswordFile))
        {
            _ = await BackupRepository.ReadConfigAsync(target, cancellationToken).ConfigureAwait(false);
        }

        using var credentials = passwords.Resolve(context.PasswordFile);
        var repository = loadIndex
            ? await BackupRepository.OpenAsync(target, credentials, cancellationToken).ConfigureAwait(false)
            : await BackupRepository.OpenWithoutIndexAsync(target, credentials, cancellationToken).ConfigureAwait(false);
        if (writes)
        {
            try
            {
                repository.RequireRetentionLockForWriting();
            }
            catch
            {
                await repository.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        LockSettings.Apply(context, repository);
        await WarnAboutSkippedKeysAsync(context.Output, repository.SkippedKeys).ConfigureAwait(false);
        return repository;
    }

    /// <summary>Unusable key objects do not stop the open, but someone may have altered the keys: the operator hears of it on stderr.</summary>
    private static async Task WarnAboutSkippedKeysAsync(OutputWriter output, IReadOnlyList<RepositoryKeyInfo> skipped)
    {
        foreach (var key in skipped)
        {
            await output.WarnAsync($"skipped key {key.Id}: {key.Problem}. If you did not add it, remove it with 'backup key remove {key.Id}'.").ConfigureAwait(false);
        }
    }
}
