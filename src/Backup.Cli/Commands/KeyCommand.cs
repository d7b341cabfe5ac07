using System.CommandLine;
using Backup.Core.Repository;
using Backup.Core.Storage;

namespace Backup.Cli.Commands;

/// <summary><c>backup key list|add|remove|passwd</c>: manages the passwords that open the repository.</summary>
internal static class KeyCommand
{
    public static Command Create(CommandRunner runner)
    {
        var command = new Command("key", "Manage the keys (passwords) that open the repository.");
        command.Subcommands.Add(List(runner));
        command.Subcommands.Add(Add(runner));
        command.Subcommands.Add(Remove(runner));
        command.Subcommands.Add(Passwd(runner));
        return command;
    }

    private static Option<FileInfo?> NewPasswordFile() => new("--new-password-file")
    {
        Description = "Read the new password from the first line of FILE. Default: the file $BACKUP_NEW_PASSWORD_FILE names, else $BACKUP_NEW_PASSWORD, else a prompt.",
        HelpName = "FILE",
    };

    private static Command List(CommandRunner runner)
    {
        var command = new Command("list", "List the repository's keys (never their secrets).");
        runner.Bind(command, async (context, ct) =>
        {
            await using var repository = await RepositoryOpener.OpenWithoutIndexAsync(context, ct).ConfigureAwait(false);
            var keys = await repository.Keys.ListKeysAsync(ct).ConfigureAwait(false);
            if (context.Json)
            {
                await context.Output.WriteJsonAsync(
                    [.. keys.Select(k => new KeyOutput(k.Id, k.Created, k.Hostname, k.Username, k.Label, k.Algorithm, k.IsCurrent, k.Problem))],
                    CliJson.Default.ListKeyOutput).ConfigureAwait(false);
            }
            else
            {
                await context.Output.TableAsync(
                    ["", "ID", "Created", "Host", "User", "Label", "KDF"],
                    keys.Select(k => (IReadOnlyList<string>)[k.IsCurrent ? "*" : k.Problem is null ? "" : "!", k.Id, Format.Time(k.Created), k.Hostname ?? "", k.Username ?? "", k.Label ?? "", k.Problem is null ? k.Algorithm : "invalid"])).ConfigureAwait(false);
                foreach (var key in keys.Where(k => k.Problem is not null))
                {
                    await context.Output.InfoAsync($"! {key.Id} is invalid and skipped when opening: {key.Problem}.").ConfigureAwait(false);
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Add(CommandRunner runner)
    {
        var newPasswordFile = NewPasswordFile();
        var label = new Option<string?>("--label") { Description = "A label for the new key.", HelpName = "LABEL" };
        var command = new Command("add", "Add a key: another password that opens the repository.") { newPasswordFile, label };
        runner.Bind(command, async (context, ct) =>
        {
            await using var repository = await RepositoryOpener.OpenWithoutIndexAsync(context, writes: true, ct).ConfigureAwait(false);
            using var credentials = new PasswordResolver(context.Console).ResolveNew(context.Get(newPasswordFile));
            var id = await repository.Keys.AddKeyAsync(credentials, context.Get(label), cancellationToken: ct).ConfigureAwait(false);
            await ReportAsync(context, new KeyChangeOutput("added", id), $"Added key {id}.").ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Remove(CommandRunner runner)
    {
        var id = new Argument<string>("ID") { Description = "The key's ID (or a unique prefix of it), as shown by 'backup key list'." };
        var command = new Command("remove", "Remove a key. The key in use and the last key cannot be removed.") { id };
        runner.Bind(command, async (context, ct) =>
        {
            context.RefuseInAppendOnlyMode("key remove", "deletes a key object");
            await using var repository = await RepositoryOpener.OpenWithoutIndexAsync(context, writes: true, ct).ConfigureAwait(false);
            var keyId = context.Get(id)!;

            // Reported by its full ID, as 'key list' shows it, not by the prefix typed (removal refuses an ambiguous one).
            var matching = (await repository.Keys.ListKeysAsync(ct).ConfigureAwait(false)).Where(k => k.Id.StartsWith(keyId, StringComparison.OrdinalIgnoreCase)).ToList();
            var removed = matching.Count == 1 ? matching[0].Id : keyId;
            try
            {
                await repository.Keys.RemoveKeyAsync(keyId, ct).ConfigureAwait(false);
            }
            catch (BackupObjectLockedException locked)
            {
                throw new RepositoryException(
                    $"Key {removed} stays {Until(locked.RetainUntil)}: the storage keeps the key object under the repository's retention lock (extended by " +
                    "'backup retention-lock extend'), so its password keeps opening the repository until then; run 'backup key remove' again after that date. " +
                    $"{NeverRevokes}", locked);
            }

            await ReportAsync(context, new KeyChangeOutput("removed", removed), $"Removed key {removed}.").ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Passwd(CommandRunner runner)
    {
        var newPasswordFile = NewPasswordFile();
        var command = new Command("passwd", "Change the password of the key in use.") { newPasswordFile };
        runner.Bind(command, async (context, ct) =>
        {
            // Refused before anything is written: the new key would be added and the old one, still opening the
            // repository, left in place when its deletion is refused.
            context.RefuseInAppendOnlyMode("key passwd", "adds a key and deletes the old one (the old password would keep working)");
            await using var repository = await RepositoryOpener.OpenWithoutIndexAsync(context, writes: true, ct).ConfigureAwait(false);
            using var credentials = new PasswordResolver(context.Console).ResolveNew(context.Get(newPasswordFile));
            var old = (await repository.Keys.ListKeysAsync(ct).ConfigureAwait(false)).SingleOrDefault(k => k.IsCurrent)?.Id;
            try
            {
                await repository.Keys.ChangePasswordAsync(credentials, cancellationToken: ct).ConfigureAwait(false);
            }
            catch (BackupObjectLockedException locked)
            {
                throw new RepositoryException(
                    $"The new password was added, but the old key {old} stays {Until(locked.RetainUntil)}: the storage keeps it under the repository's retention lock, " +
                    $"so the old password keeps opening the repository until then; remove it with 'backup key remove {old}' after that date. {NeverRevokes}", locked);
            }

            var current = (await repository.Keys.ListKeysAsync(ct).ConfigureAwait(false)).SingleOrDefault(k => k.IsCurrent);
            await ReportAsync(context, new KeyChangeOutput("changed", current?.Id), "Changed the password. Jobs and scripts that read it from BACKUP_PASSWORD or a password file need the new one.").ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// What an operator removing a password must know: a key object wraps the one master key, so whoever opened the
    /// repository with the password could have kept the master key, and no removal takes it back.
    /// </summary>
    private const string NeverRevokes =
        "Removing a password never revokes the master key it already unlocked: if the password leaked, create a new repository ('backup init') and copy " +
        "the snapshots into it ('backup copy'), then stop using this one.";

    private static string Until(DateTimeOffset? retainUntil) =>
        retainUntil is { } until ? $"until {Format.Time(until.ToUniversalTime())} UTC" : "until its retention lock or legal hold ends";

    private static Task ReportAsync(CommandContext context, KeyChangeOutput output, string message) =>
        context.Json ? context.Output.WriteJsonAsync(output, CliJson.Default.KeyChangeOutput) : context.Output.InfoAsync(message);
}
