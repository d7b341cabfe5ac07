using System.CommandLine;
using Backup.Core.Pipeline;
using Backup.Core.Snapshots;
using Backup.Core.Sources;

namespace Backup.Cli.Commands;

/// <summary><c>backup create</c>: backs up paths, a stream piped on stdin, or a database (--postgres, --mysql, --sqlite) into a new snapshot.</summary>
internal static class CreateCommand
{
    public static Command Create(CommandRunner runner)
    {
        var paths = new Argument<string[]>("PATH") { Description = "Files and directories to back up.", Arity = ArgumentArity.ZeroOrMore };
        var tag = new Option<string[]>("--tag") { Description = "Tag the snapshot (repeatable).", HelpName = "TAG" };
        var host = new Option<string?>("--host") { Description = "Host name to record (and to find the parent snapshot by). Default: this machine's name.", HelpName = "HOST" };
        var level = new Option<string>("--level")
        {
            Description = "full re-reads everything; incremental trusts unchanged files against the latest snapshot; differential against the latest full one.",
            HelpName = "full|incremental|differential",
            DefaultValueFactory = _ => "incremental",
        };
        level.Validators.Add(result =>
        {
            if (result.Tokens is [.., var token] && !Enum.GetNames<BackupLevel>().Contains(token.Value, StringComparer.OrdinalIgnoreCase))
            {
                result.AddError($"'{token.Value}' is not a backup level: use full, incremental or differential.");
            }
        });
        var exclude = new Option<string[]>("--exclude") { Description = "Skip paths matching this gitignore-style pattern, matched below each backup root: '*.log', '/cache' (at the root), 'tmp/' (directories) (repeatable).", HelpName = "PATTERN" };
        var oneFileSystem = new Option<bool>("--one-file-system", "-x") { Description = "Do not cross into other file systems (mount points)." };
        var stdin = new Option<bool>("--stdin") { Description = "Back up the stream piped on stdin instead of paths." };
        var stdinName = new Option<string>("--stdin-name")
        {
            Description = "The name the --stdin stream is stored (and restored) as.",
            HelpName = "NAME",
            DefaultValueFactory = _ => "stdin",
        };
        var databases = DatabaseEngines.All.Select(e => (Engine: e, Option: new Option<string?>(e.BackupOption) { Description = e.BackupDescription, HelpName = e.HelpName })).ToList();
        var allDatabases = new Option<bool>("--all-databases") { Description = $"With {DatabaseEngines.Join(DatabaseEngines.All.Where(e => e.Engine.SupportsAllDatabases).Select(e => e.BackupOption), "or")}: every database on the server (PostgreSQL: plus roles and tablespaces), not only the connection string's." };
        var driverOnly = new Option<bool>("--driver-only") { Description = $"With {DatabaseEngines.Join(DatabaseEngines.All.Where(e => e.Engine.SupportsDriverOnly).Select(e => e.BackupOption), "or")}: read the data through the driver, without pg_dump / mariadb-dump (see docs/cli.md for what the schema covers)." };
        var dbPasswordFile = new Option<FileInfo?>("--db-password-file") { Description = $"Read the database password from the first line of FILE. Default: ${DatabasePasswordResolver.Variable}, then {DatabaseEngines.PasswordVariables}.", HelpName = "FILE" };
        var command = new Command("create", $"Back up files and directories, a stream piped on stdin (--stdin), or a database ({string.Join(", ", DatabaseEngines.All.Select(e => e.BackupOption))}) into a new snapshot.")
        {
            paths, tag, host, level, exclude, oneFileSystem, stdin, stdinName,
        };
        foreach (var (_, option) in databases)
        {
            command.Options.Add(option);
        }

        command.Options.Add(allDatabases);
        command.Options.Add(driverOnly);
        command.Options.Add(dbPasswordFile);
        runner.Bind(command, async (context, ct) =>
        {
            var pathList = context.Get(paths) ?? [];

            var fromStdin = context.Get(stdin);
            var database = DatabaseRequest(context, databases, allDatabases, driverOnly, dbPasswordFile);
            if (database is not null && (fromStdin || pathList.Length > 0))
            {
                throw new CliUsageException($"Give {database.OptionName}, --stdin or paths: one kind of source per snapshot.");
            }

            if (database is null && (context.Get(allDatabases) || context.Get(driverOnly) || context.Get(dbPasswordFile) is not null))
            {
                throw new CliUsageException($"--all-databases, --driver-only and --db-password-file need {DatabaseEngines.Join(DatabaseEngines.All.Where(e => !e.IsFile).Select(e => e.BackupOption), "or")}.");
            }

            if (fromStdin && pathList.Length > 0)
            {
                throw new CliUsageException("Give either --stdin or paths, not both.");
            }

            if (!fromStdin && pathList.Length == 0 && database is null)
            {
                throw new CliUsageException($"Nothing to back up: give one or more paths, --stdin, {DatabaseEngines.Join(DatabaseEngines.All.Select(e => e.BackupOption), "or")}.");
            }

            if (fromStdin && !context.Console.IsInputRedirected)
            {
                throw new CliUsageException("--stdin reads a piped stream, but stdin is a terminal; pipe the data in (producer | backup create --stdin).");
            }

            if (!fromStdin && context.ParseResult.GetResult(stdinName) is { Implicit: false })
            {
                throw new CliUsageException("--stdin-name needs --stdin.");
            }

            var options = new BackupOptions { Level = Enum.Parse<BackupLevel>(context.Get(level)!, ignoreCase: true), Tags = context.Get(tag) ?? [], Hostname = context.Get(host) };
            try
            {
                options.Validate();
            }
            catch (ArgumentException ex)
            {
                throw new CliUsageException(ex.Message);
            }

            BackupResult result;
            if (database is not null)
            {
                var databaseProgress = context.CreateProgress("backup");
                try
                {
                    result = await DatabaseCreate.RunAsync(context, database, options, databaseProgress, ct).ConfigureAwait(false);
                }
                finally
                {
                    databaseProgress.Finish();
                }

                return await ReportAsync(context, result).ConfigureAwait(false);
            }

            IBackupSource source;
            if (fromStdin)
            {
                var name = context.Get(stdinName)!;
                var input = new CancellableReadStream(context.Console.OpenStandardInput());
                // An empty stream is what 'pg_dump db | backup create --stdin' gets when pg_dump fails at once (a refused
                // sign-in, say): saved, it would pass for a good backup and push real ones out of retention (restic
                // refuses empty stdin too). Failing here writes no snapshot and exits 1.
                source = StreamSource.FromStream(
                    name,
                    input,
                    "stream",
                    _ => input.BytesRead > 0
                        ? ValueTask.CompletedTask
                        : throw new InvalidDataException(
                            "nothing arrived on stdin, so no snapshot was saved. If a program was piped in, it most likely failed: " +
                            "see its errors above, fix them and run the backup again."));
            }
            else
            {
                source = FileSources.Create(pathList, context.Get(exclude) ?? [], context.Get(oneFileSystem));
                foreach (var warning in FileSources.ExcludesThatMatchNothing(pathList, context.Get(exclude) ?? []))
                {
                    await context.Output.WarnAsync(warning).ConfigureAwait(false);
                }
            }

            await using var repository = await RepositoryOpener.OpenAsync(context, writes: true, ct).ConfigureAwait(false);
            var progress = context.CreateProgress("backup");
            try
            {
                result = await new BackupService(repository).BackupAsync(source, options, progress.Enabled ? progress : null, ct).ConfigureAwait(false);
            }
            finally
            {
                progress.Finish();
            }

            var exitCode = await ReportAsync(context, result).ConfigureAwait(false);
            if (!fromStdin && options.Level != BackupLevel.Full && result.Snapshot.Level == BackupLevel.Full)
            {
                // As Bacula says "No prior Full backup Job record found ... Doing FULL backup": a level asked for and not
                // run must be said, not only shown as "(full)", or a first differential looks like a broken chain.
                await context.Output.InfoAsync(
                    $"note: ran as a full backup, as no file could be taken from an earlier {(options.Level == BackupLevel.Differential ? "full snapshot" : "snapshot")} " +
                    $"of these paths from host {result.Snapshot.Hostname} (there is none, or every file changed since).").ConfigureAwait(false);
            }

            return exitCode;
        });
        return command;
    }

    /// <summary>The database named by --postgres, --mysql or --sqlite (at most one), or null.</summary>
    private static DatabaseCreate.Request? DatabaseRequest(
        CommandContext context, IReadOnlyList<(CliDatabaseEngine Engine, Option<string?> Option)> databases, Option<bool> allDatabases, Option<bool> driverOnly, Option<FileInfo?> passwordFile)
    {
        var given = databases.Select(d => (d.Engine, Value: context.Get(d.Option))).Where(d => d.Value is not null).ToList();
        if (given.Count > 1)
        {
            throw new CliUsageException($"Give one of {DatabaseEngines.Join(databases.Select(d => d.Engine.BackupOption))}.");
        }

        if (given.Count == 0)
        {
            return null;
        }

        var (engine, value) = given[0];
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new CliUsageException($"{engine.BackupOption} needs a value.");
        }

        return new DatabaseCreate.Request(engine, value!, context.Get(allDatabases), context.Get(driverOnly), context.Get(passwordFile));
    }

    private static async Task<int> ReportAsync(CommandContext context, BackupResult result)
    {
        foreach (var problem in result.Problems)
        {
            // Not every problem is an unread entry: a file that changed while it was read is in the snapshot, maybe torn.
            await context.Output.ErrorAsync($"problem with {problem.Path}: {problem.Reason}").ConfigureAwait(false);
        }

        if (result.MissingPacks > 0)
        {
            await context.Output.WarnAsync(
                $"{Format.Count(result.MissingPacks, "pack", "packs")} the index names {(result.MissingPacks == 1 ? "is" : "are")} missing from the repository. " +
                "This snapshot is complete (what it needed from them was stored again), but older snapshots that use them are damaged: " +
                "run 'backup check' to see which, then 'backup repair index' and 'backup repair snapshots'.").ConfigureAwait(false);
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
                $"{Format.Count(s.Files, "file", "files")}, {Format.Count(s.Directories, "directory", "directories")}, {Format.Bytes(s.TotalBytes)}; read {Format.Bytes(s.BytesRead)}, " +
                $"added {Format.Bytes(s.BytesAdded)} ({Format.Bytes(s.BytesStored)} stored) in {Format.Seconds(s.Duration)}.").ConfigureAwait(false);
            if (!result.IsComplete)
            {
                await context.Output.WarnAsync($"{Format.Count(result.Problems.Count, "entry was", "entries were")} not read whole (listed above); the snapshot holds everything else.").ConfigureAwait(false);
            }
        }

        return result.IsComplete ? ExitCodes.Success : ExitCodes.Partial;
    }
}
