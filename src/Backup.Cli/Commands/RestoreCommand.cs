using System.CommandLine;
using Backup.Core.Restore;

namespace Backup.Cli.Commands;

/// <summary><c>backup restore SNAPSHOT --target DIR</c>: restores a snapshot (or parts of it) into a directory.</summary>
internal static class RestoreCommand
{
    public static Command Create(CommandRunner runner)
    {
        var snapshotArgument = new Argument<string>("SNAPSHOT") { Description = "Snapshot ID (a unique prefix of at least 4 digits) or 'latest'." };
        var target = new Option<string>("--target", "-t") { Description = "Directory to restore into (created when missing). Entries keep their snapshot paths below it.", HelpName = "DIR", Required = true };
        var include = new Option<string[]>("--include", "-i") { Description = "Restore only this snapshot path and what is below it (repeatable).", HelpName = "PATH" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace entries that already exist in the target." };
        var skipExisting = new Option<bool>("--skip-existing") { Description = "Leave entries that already exist in the target alone." };
        var command = new Command("restore", "Restore a snapshot into a directory. An existing file stops the restore unless --overwrite or --skip-existing is given.")
        {
            snapshotArgument, target, include, overwrite, skipExisting,
        };
        runner.Bind(command, async (context, ct) =>
        {
            if (context.Get(overwrite) && context.Get(skipExisting))
            {
                throw new CliUsageException("Give --overwrite or --skip-existing, not both.");
            }

            var options = new RestoreOptions
            {
                Include = context.Get(include) ?? [],
                Existing = context.Get(overwrite) ? ExistingFileBehavior.Overwrite : context.Get(skipExisting) ? ExistingFileBehavior.Skip : ExistingFileBehavior.Fail,
            };
            var directory = Path.GetFullPath(context.Get(target)!);
            await using var repository = await RepositoryOpener.OpenAsync(context, ct).ConfigureAwait(false);
            var snapshot = await repository.FindSnapshotAsync(context.Get(snapshotArgument)!, ct).ConfigureAwait(false);
            var renderer = context.CreateProgress("restore");
            long? total = options.Include.Count == 0 && snapshot.Statistics.TotalBytes > 0 ? snapshot.Statistics.TotalBytes : null;
            var progress = renderer.Enabled ? new Progress(renderer, total) : null;
            RestoreResult result;
            try
            {
                result = await new RestoreService(repository).RestoreAsync(snapshot, directory, options, progress, ct).ConfigureAwait(false);
            }
            finally
            {
                renderer.Finish();
            }

            foreach (var problem in result.Problems)
            {
                await context.Console.Error.WriteLineAsync($"backup: could not restore /{problem.Path.TrimStart('/')}: {problem.Reason}").ConfigureAwait(false);
            }

            var output = new RestoreOutput(
                snapshot.Id.ToString(), directory, result.Files, result.Directories, result.Bytes, result.Duration.TotalSeconds,
                [.. result.Problems.Select(p => new ProblemOutput(p.Path, p.Reason))]);
            if (context.Json)
            {
                await context.Output.WriteJsonAsync(output, CliJson.Default.RestoreOutput).ConfigureAwait(false);
            }
            else
            {
                await context.Output.InfoAsync(
                    $"Restored snapshot {snapshot.Id.ToShortString()} to {directory}: {result.Files} files, {result.Directories} directories, " +
                    $"{Format.Bytes(result.Bytes)} in {Format.Seconds(result.Duration)}.").ConfigureAwait(false);
                if (!result.IsComplete)
                {
                    await context.Output.WarnAsync($"{result.Problems.Count} entries were not (completely) restored.").ConfigureAwait(false);
                }
            }

            return result.IsComplete ? ExitCodes.Success : ExitCodes.Partial;
        });
        return command;
    }

    private sealed class Progress(ProgressRenderer renderer, long? totalBytes) : IProgress<RestoreProgress>
    {
        public void Report(RestoreProgress value) => renderer.Update(value.Files, value.Bytes, totalBytes, value.Elapsed);
    }
}
