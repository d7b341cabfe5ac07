using System.CommandLine;
using Backup.Core.Pipeline;
using Backup.Core.Snapshots;
using Backup.Core.Sources;

namespace Backup.Cli.Commands;

/// <summary><c>backup create</c>: backs up paths, or a stream piped on stdin, into a new snapshot.</summary>
internal static class CreateCommand
{
    public static Command Create(CommandRunner runner)
    {
        var paths = new Argument<string[]>("PATH") { Description = "Files and directories to back up.", Arity = ArgumentArity.ZeroOrMore };
        var tag = new Option<string[]>("--tag") { Description = "Tag the snapshot (repeatable).", HelpName = "TAG" };
        var host = new Option<string?>("--host") { Description = "Host name to record (and to find the parent snapshot by). Default: this machine's name.", HelpName = "HOST" };
        var level = new Option<BackupLevel>("--level")
        {
            Description = "full re-reads everything; incremental trusts unchanged files against the latest snapshot; differential against the latest full one.",
            HelpName = "full|incremental|differential",
            DefaultValueFactory = _ => BackupLevel.Incremental,
        };
        var exclude = new Option<string[]>("--exclude") { Description = "Skip paths matching this pattern (repeatable).", HelpName = "PATTERN" };
        var oneFileSystem = new Option<bool>("--one-file-system", "-x") { Description = "Do not cross into other file systems (mount points)." };
        var stdin = new Option<bool>("--stdin") { Description = "Back up the stream piped on stdin instead of paths." };
        var stdinName = new Option<string>("--stdin-name")
        {
            Description = "The name the --stdin stream is stored (and restored) as.",
            HelpName = "NAME",
            DefaultValueFactory = _ => "stdin",
        };
        var command = new Command("create", "Back up files and directories (or a stream piped on stdin with --stdin) into a new snapshot.")
        {
            paths, tag, host, level, exclude, oneFileSystem, stdin, stdinName,
        };
        runner.Bind(command, async (context, ct) =>
        {
            var pathList = context.Get(paths) ?? [];
            if (pathList.FirstOrDefault(p => p.StartsWith('-') && !File.Exists(p) && !Directory.Exists(p)) is { } unknown)
            {
                throw new CliUsageException($"Unrecognized option '{unknown}' (there is no such path either). Passwords are never taken from the command line.");
            }

            var fromStdin = context.Get(stdin);
            if (fromStdin && pathList.Length > 0)
            {
                throw new CliUsageException("Give either --stdin or paths, not both.");
            }

            if (!fromStdin && pathList.Length == 0)
            {
                throw new CliUsageException("Nothing to back up: give one or more paths, or --stdin.");
            }

            if (fromStdin && !context.Console.IsInputRedirected)
            {
                throw new CliUsageException("--stdin reads a piped stream, but stdin is a terminal; pipe the data in (producer | backup create --stdin).");
            }

            if (!fromStdin && context.ParseResult.GetResult(stdinName) is { Implicit: false })
            {
                throw new CliUsageException("--stdin-name needs --stdin.");
            }

            var options = new BackupOptions { Level = context.Get(level), Tags = context.Get(tag) ?? [], Hostname = context.Get(host) };
            try
            {
                options.Validate();
            }
            catch (ArgumentException ex)
            {
                throw new CliUsageException(ex.Message);
            }

            IBackupSource source;
            if (fromStdin)
            {
                var name = context.Get(stdinName)!;
                source = StreamSource.FromStream(name, new CancellableReadStream(context.Console.OpenStandardInput()));
            }
            else
            {
                source = FileSources.Create(pathList, context.Get(exclude) ?? [], context.Get(oneFileSystem));
            }

            await using var repository = await RepositoryOpener.OpenAsync(context, ct).ConfigureAwait(false);
            var progress = context.CreateProgress("backup");
            BackupResult result;
            try
            {
                result = await new BackupService(repository).BackupAsync(source, options, progress.Enabled ? progress : null, ct).ConfigureAwait(false);
            }
            finally
            {
                progress.Finish();
            }

            foreach (var problem in result.Problems)
            {
                await context.Console.Error.WriteLineAsync($"backup: could not read {problem.Path}: {problem.Reason}").ConfigureAwait(false);
            }

            var snapshot = result.Snapshot;
            if (context.Json)
            {
                await context.Output.WriteJsonAsync(
                    new CreateOutput(SnapshotOutput.From(snapshot), [.. result.Problems.Select(p => new ProblemOutput(p.Path, p.Reason))]),
                    CliJson.Default.CreateOutput).ConfigureAwait(false);
            }
            else
            {
                var s = snapshot.Statistics;
                await context.Output.InfoAsync(
                    $"Snapshot {snapshot.Id.ToShortString()} saved ({snapshot.Level.ToString().ToLowerInvariant()}{(result.IsComplete ? "" : ", partial")}): " +
                    $"{s.Files} files, {s.Directories} directories, {Format.Bytes(s.TotalBytes)}; read {Format.Bytes(s.BytesRead)}, " +
                    $"added {Format.Bytes(s.BytesAdded)} ({Format.Bytes(s.BytesStored)} stored) in {Format.Seconds(s.Duration)}.").ConfigureAwait(false);
                if (!result.IsComplete)
                {
                    await context.Output.WarnAsync($"{result.Problems.Count} entries could not be read; the snapshot holds everything else.").ConfigureAwait(false);
                }
            }

            return result.IsComplete ? ExitCodes.Success : ExitCodes.Partial;
        });
        return command;
    }
}
