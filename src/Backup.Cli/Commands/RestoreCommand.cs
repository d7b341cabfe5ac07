using System.CommandLine;
using System.Diagnostics;
using Backup.Core.Pipeline;
using Backup.Core.Snapshots;

namespace Backup.Cli.Commands;

/// <summary><c>backup restore SNAPSHOT --target DIR</c>: restores a snapshot (or parts of it) into a directory.</summary>
internal static class RestoreCommand
{
    public static Command Create(CommandRunner runner)
    {
        var snapshotArgument = new Argument<string>("SNAPSHOT") { Description = "Snapshot ID (a unique prefix of at least 4 digits) or 'latest'." };
        var target = new Option<string>("--target", "-t") { Description = "Directory to restore into (created when missing).", HelpName = "DIR", Required = true };
        var include = new Option<string[]>("--include", "-i") { Description = "Restore only this path of the snapshot (repeatable).", HelpName = "PATH" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace files that already exist in the target." };
        var skipExisting = new Option<bool>("--skip-existing") { Description = "Leave files that already exist in the target alone." };
        var command = new Command("restore", "Restore a snapshot into a directory. Existing files are an error unless --overwrite or --skip-existing is given.")
        {
            snapshotArgument, target, include, overwrite, skipExisting,
        };
        runner.Bind(command, async (context, ct) =>
        {
            if (context.Get(overwrite) && context.Get(skipExisting))
            {
                throw new CliUsageException("Give --overwrite or --skip-existing, not both.");
            }

            var existing = context.Get(overwrite) ? Existing.Overwrite : context.Get(skipExisting) ? Existing.Skip : Existing.Fail;
            var includes = context.Get(include) ?? [];
            var directory = Path.GetFullPath(context.Get(target)!);
            await using var repository = await RepositoryOpener.OpenAsync(context, ct).ConfigureAwait(false);
            var snapshot = await repository.FindSnapshotAsync(context.Get(snapshotArgument)!, ct).ConfigureAwait(false);
            var stopwatch = Stopwatch.StartNew();
            var tree = await repository.LoadTreeAsync(snapshot.Tree, ct).ConfigureAwait(false);
            if (tree.Nodes.Any(n => n.Type != NodeType.File))
            {
                throw new CliUsageException("Restoring directories needs the file restorer, which this build does not have yet; only stream snapshots can be restored.");
            }

            Directory.CreateDirectory(directory);
            var progress = context.CreateProgress("restore");
            long files = 0, bytes = 0;
            var skipped = new List<ProblemOutput>();
            var reader = new ContentReader(repository);
            try
            {
                foreach (var node in tree.Nodes.Where(n => includes.Length == 0 || includes.Any(i => i.Trim('/') == n.Name)))
                {
                    var path = Path.Combine(directory, node.Name);
                    if (File.Exists(path) && existing != Existing.Overwrite)
                    {
                        if (existing == Existing.Fail)
                        {
                            throw new IOException($"'{path}' already exists; give --overwrite or --skip-existing.");
                        }

                        skipped.Add(new ProblemOutput(node.Name, "exists; skipped"));
                        continue;
                    }

                    await using (var output = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
                    {
                        await reader.CopyToAsync(node, output, ct).ConfigureAwait(false);
                    }

                    File.SetLastWriteTimeUtc(path, DateTime.UnixEpoch.AddTicks(node.MtimeNs / 100));
                    files++;
                    bytes += node.Size;
                    progress.Update(files, bytes, snapshot.Statistics.TotalBytes, stopwatch.Elapsed);
                }
            }
            finally
            {
                progress.Finish();
            }

            return await RestoreReport.WriteAsync(context, new RestoreOutput(snapshot.Id.ToString(), directory, files, 0, bytes, stopwatch.Elapsed.TotalSeconds, skipped)).ConfigureAwait(false);
        });
        return command;
    }

    private enum Existing
    {
        Fail,
        Overwrite,
        Skip,
    }
}

/// <summary>The summary a restore prints.</summary>
internal static class RestoreReport
{
    public static async Task<int> WriteAsync(CommandContext context, RestoreOutput output)
    {
        if (context.Json)
        {
            await context.Output.WriteJsonAsync(output, CliJson.Default.RestoreOutput).ConfigureAwait(false);
        }
        else
        {
            await context.Output.InfoAsync(
                $"Restored snapshot {output.SnapshotId[..8]} to {output.Target}: {output.Files} files, {output.Directories} directories, " +
                $"{Format.Bytes(output.Bytes)} in {Format.Seconds(TimeSpan.FromSeconds(output.DurationSeconds))}.").ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }
}
