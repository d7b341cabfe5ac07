using System.CommandLine;
using Backup.Core.Repository;
using Backup.Core;

namespace Backup.Cli.Commands;

/// <summary><c>backup init</c>: creates a repository.</summary>
internal static class InitCommand
{
    public static Command Create(CommandRunner runner)
    {
        var compression = new Option<string>("--compression")
        {
            Description = "Compression of stored data: zstd, zstd:LEVEL (1-19), gzip or none.",
            HelpName = "zstd|zstd:N|gzip|none",
            DefaultValueFactory = _ => new RepositoryInitOptions().Compression,
        };
        var label = new Option<string?>("--key-label") { Description = "A label for the first key.", HelpName = "LABEL" };
        var command = new Command("init", "Create a new repository at --repo (or $BACKUP_REPOSITORY), protected by the password.") { compression, label };
        runner.Bind(command, async (context, ct) =>
        {
            var options = new RepositoryInitOptions { Compression = context.Get(compression)!, KeyLabel = context.Get(label) };
            try
            {
                options.Validate();
            }
            catch (ArgumentException ex)
            {
                throw new CliUsageException(ex.Message);
            }

            var location = RepositoryTargets.ResolveLocation(context);

            // The password first, so a missing one leaves no empty directory behind.
            using var credentials = new PasswordResolver(context.Console).Resolve(context.PasswordFile, confirm: true);
            var target = context.CreateTarget(location, create: true);
            await using var repository = await BackupRepository.InitAsync(target, credentials, options, ct).ConfigureAwait(false);
            var keys = await repository.Keys.ListKeysAsync(ct).ConfigureAwait(false);
            var output = new InitOutput(repository.Config.Id, target.Description, repository.Config.Compression, keys.Single(k => k.IsCurrent).Id);
            if (context.Json)
            {
                await context.Output.WriteJsonAsync(output, CliJson.Default.InitOutput).ConfigureAwait(false);
            }
            else
            {
                await context.Output.InfoAsync($"Created repository {output.RepositoryId} in {output.Location} (compression {output.Compression}).").ConfigureAwait(false);
                await context.Output.InfoAsync("Keep the password safe: without it the data cannot be recovered.").ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
