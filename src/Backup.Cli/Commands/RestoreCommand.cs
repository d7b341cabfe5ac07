using System.CommandLine;
using Backup.Core.Restore;

namespace Backup.Cli.Commands;

/// <summary><c>backup restore SNAPSHOT --target DIR</c>: restores a snapshot (or parts of it) into a directory; a database snapshot with --to-postgres, --to-mysql or --to-sqlite.</summary>
internal static class RestoreCommand
{
    public static Command Create(CommandRunner runner)
    {
        var snapshotArgument = new Argument<string>("SNAPSHOT") { Description = "Snapshot ID (a unique prefix of at least 4 digits) or 'latest'.", Validators = { SnapshotIds.Validate } };
        var target = new Option<string>("--target", "-t") { Description = "Directory to restore into (created when missing). Entries keep their snapshot paths below it.", HelpName = "DIR" };
        var include = new Option<string[]>("--include", "-i") { Description = "Restore only this snapshot path and what is below it (repeatable).", HelpName = "PATH" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace entries that already exist in the target." };
        var skipExisting = new Option<bool>("--skip-existing") { Description = "Leave entries that already exist in the target alone (a file that differs from the snapshot is listed as a problem)." };
        var overwriteChanged = new Option<bool>("--overwrite-changed") { Description = "Replace existing entries but files with the snapshot's size and modification time: resumes a restore that was stopped." };
        var devices = new Option<bool>("--devices") { Description = "Create device nodes even when not restoring into '/' (a container or system image); as root only." };
        var noDevices = new Option<bool>("--no-devices") { Description = "Never create device nodes, not even when restoring into '/'. Default: only into '/', their original place." };
        var verify = new Option<bool>("--verify") { Description = "Read each restored file back and compare it with the snapshot, chunk by chunk; a file that differs is removed and named (exit 3). With a database restore: compare the restored tables (only those of --table) with the row counts and checksums recorded at backup time; a table that differs is named and the database left as restored (exit 3)." };
        var noLock = new Option<bool>("--no-lock") { Description = "Take no lock, for a repository on read-only media; a prune running meanwhile could delete what the restore reads." };
        var databaseOptions = DatabaseEngines.All.Select(e => (Engine: e, Option: new Option<string?>(e.RestoreOption) { Description = e.RestoreHelp, HelpName = e.HelpName })).ToList();
        var database = new Option<string?>("--database") { Description = "The database to restore into (created; it must not exist unless --clean).", HelpName = "NAME" };
        var sourceDatabase = new Option<string?>("--source-database") { Description = "Which database of a multi-database (--all-databases) snapshot to restore.", HelpName = "NAME" };
        var clean = new Option<bool>("--clean") { Description = "Restore over an existing database (PostgreSQL: drops the objects it recreates; MariaDB/MySQL: drops and recreates the database; SQLite: replaces the file)." };
        var table = new Option<string[]>("--table") { Description = $"With {RestoreOptions(e => e.SupportsTableSelection)}: restore only this table, with its keys, indexes, defaults, sequences, triggers and grants (repeatable; name or schema.name). With --clean it replaces the table in place, keeping other tables' foreign keys on it.", HelpName = "NAME" };
        var eventsDisabled = new Option<bool>("--events-disabled") { Description = "MariaDB/MySQL: create the snapshot's events disabled, so that a copy restored beside the original does not run its scheduled jobs." };
        var jobs = new Option<int>("--jobs", "-j") { Description = $"With {RestoreOptions(e => e.SupportsParallelRestore)}: tables loaded at once and, for PostgreSQL, indexes built at once (pg_restore -j).", HelpName = "N", DefaultValueFactory = _ => 1 };
        var checkRoles = new Option<bool>("--check-roles") { Description = "With --to-postgres or --to-mysql: restore nothing; say whether the server has the roles (MariaDB/MySQL: accounts) the snapshot's database grants to (a snapshot of one database holds none: a PostgreSQL restore into a server lacking one stops there, a MariaDB/MySQL one leaves the application unable to sign in). Exits 4 when some are missing." };
        var dbPasswordFile = new Option<FileInfo?>("--db-password-file") { Description = $"Read the database password from the first line of FILE. Default: ${DatabasePasswordResolver.Variable}, then {DatabaseEngines.PasswordVariables}.", HelpName = "FILE" };
        var command = new Command("restore", $"Restore a snapshot into a directory, or a database snapshot into a server ({string.Join(", ", DatabaseEngines.All.Where(e => !e.IsFile).Select(e => e.RestoreOption))}) or file ({string.Join(", ", DatabaseEngines.All.Where(e => e.IsFile).Select(e => e.RestoreOption))}). An existing file stops the restore unless --overwrite, --overwrite-changed or --skip-existing is given.")
        {
            snapshotArgument, target, include, overwrite, overwriteChanged, skipExisting, devices, noDevices, verify, noLock,
        };
        foreach (var (_, option) in databaseOptions)
        {
            command.Options.Add(option);
        }

        foreach (var option in new Option[] { database, sourceDatabase, clean, table, jobs, eventsDisabled, checkRoles, dbPasswordFile })
        {
            command.Options.Add(option);
        }

        var latest = new LatestFilter();
        latest.AddTo(command);

        runner.Bind(command, async (context, ct) =>
        {
            var databases = databaseOptions.Select(d => (d.Engine, Value: context.Get(d.Option))).Where(d => d.Value is not null).ToList();
            var databaseOnly = context.Get(database) is not null || context.Get(sourceDatabase) is not null || context.Get(clean) || (context.Get(table) ?? []).Length > 0
                || context.ParseResult.GetResult(jobs) is { Implicit: false } || context.Get(eventsDisabled) || context.Get(checkRoles) || context.Get(dbPasswordFile) is not null;
            if (databases.Count + (context.Get(target) is null ? 0 : 1) != 1)
            {
                throw new CliUsageException($"Give one of {DatabaseEngines.Join(databaseOptions.Select(d => $"{d.Engine.RestoreOption} {d.Engine.HelpName}").Prepend("--target DIR"))}.");
            }

            if (databases.Count == 1)
            {
                if ((context.Get(include) ?? []).Length > 0 || context.Get(overwrite) || context.Get(overwriteChanged) || context.Get(skipExisting) || context.Get(noLock) || context.Get(devices) || context.Get(noDevices))
                {
                    throw new CliUsageException("--include, --overwrite, --overwrite-changed, --skip-existing, --devices, --no-devices and --no-lock apply to --target; a database restore uses --table and --clean.");
                }

                if (context.Get(verify) && context.Get(checkRoles))
                {
                    throw new CliUsageException("--check-roles restores nothing, so there is nothing for --verify to compare; give one of them.");
                }

                var (engine, value) = databases[0];
                var request = new DatabaseRestore.Request(
                    engine, string.IsNullOrWhiteSpace(value) ? throw new CliUsageException($"{engine.RestoreOption} needs a value.") : value!,
                    context.Get(database), context.Get(sourceDatabase), context.Get(clean), context.Get(table) ?? [], context.Get(jobs), context.Get(eventsDisabled), context.Get(dbPasswordFile), context.Get(verify));
                await using var databaseRepository = await RepositoryOpener.OpenAsync(context, ct).ConfigureAwait(false);
                var databaseSnapshot = await latest.FindDatabaseAsync(context, databaseRepository, context.Get(snapshotArgument)!, engine.Engine.Kind, ct).ConfigureAwait(false);
                if (context.Get(checkRoles))
                {
                    return await CheckRolesAsync(context, databaseSnapshot, request, ct).ConfigureAwait(false);
                }

                var restored = await DatabaseRestore.RunAsync(context, databaseRepository, databaseSnapshot, request, ct).ConfigureAwait(false);
                if (context.Json)
                {
                    await context.Output.WriteJsonAsync(
                        new DatabaseRestoreOutput(
                            databaseSnapshot.Id.ToString(), databaseSnapshot.SourceKind, restored.SourceDatabase, restored.TargetDatabase, restored.Bytes, restored.Duration.TotalSeconds,
                            DatabaseRestoreVerificationOutput.Of(restored.Verification)),
                        CliJson.Default.DatabaseRestoreOutput).ConfigureAwait(false);
                }
                else
                {
                    await context.Output.InfoAsync(
                        $"Restored {databaseSnapshot.SourceKind} database '{restored.SourceDatabase}' from snapshot {databaseSnapshot.Id.ToShortString()} into '{restored.TargetDatabase}': " +
                        $"{Format.Bytes(restored.Bytes)} of dump in {Format.Seconds(restored.Duration)}.").ConfigureAwait(false);
                }

                return restored.Verification is { } verification
                    ? await DatabaseRestore.ReportVerificationAsync(context, restored, verification).ConfigureAwait(false)
                    : ExitCodes.Success;
            }

            if (databaseOnly)
            {
                throw new CliUsageException($"--database, --source-database, --clean, --table, --jobs, --events-disabled, --check-roles and --db-password-file apply to {DatabaseEngines.Join(databaseOptions.Select(d => d.Engine.RestoreOption))}.");
            }

            if ((context.Get(overwrite) ? 1 : 0) + (context.Get(overwriteChanged) ? 1 : 0) + (context.Get(skipExisting) ? 1 : 0) > 1)
            {
                throw new CliUsageException("Give one of --overwrite, --overwrite-changed and --skip-existing.");
            }

            if (context.Get(devices) && context.Get(noDevices))
            {
                throw new CliUsageException("Give --devices or --no-devices, not both.");
            }

            var options = new RestoreOptions
            {
                Include = context.Get(include) ?? [],
                Existing = context.Get(overwrite) ? ExistingFileBehavior.Overwrite : context.Get(overwriteChanged) ? ExistingFileBehavior.OverwriteChanged : context.Get(skipExisting) ? ExistingFileBehavior.Skip : ExistingFileBehavior.Fail,
                Lock = !context.Get(noLock),
                Verify = context.Get(verify),
                DeviceNodes = context.Get(devices) ? true : context.Get(noDevices) ? false : null,
            };
            var directory = Path.GetFullPath(context.Get(target)!);
            await using var repository = await RepositoryOpener.OpenAsync(context, ct).ConfigureAwait(false);
            var snapshot = await latest.FindAsync(context, repository, context.Get(snapshotArgument)!, ct).ConfigureAwait(false);
            var renderer = context.CreateProgress("restore");
            long? total = options.Include.Count == 0 && snapshot.Statistics.TotalBytes > 0 ? snapshot.Statistics.TotalBytes : null;
            var progress = renderer.Enabled ? new Progress(renderer, total) : null;
            RestoreResult result;
            try
            {
                result = await new RestoreService(repository).RestoreAsync(snapshot, directory, options, progress, ct).ConfigureAwait(false);
            }
            catch (RestoreTargetFullException full)
            {
                // Every entry not written is named (a directory for all below it), then the error says why and what next.
                renderer.Finish();
                foreach (var problem in full.Result.Problems)
                {
                    await context.Output.ErrorAsync($"could not restore /{problem.Path.TrimStart('/')}: {CliAdvice.Describe(problem)}").ConfigureAwait(false);
                }

                throw;
            }
            finally
            {
                renderer.Finish();
            }

            foreach (var problem in result.Problems)
            {
                await context.Output.ErrorAsync($"could not restore /{problem.Path.TrimStart('/')}: {CliAdvice.Describe(problem)}").ConfigureAwait(false);
            }

            var output = new RestoreOutput(
                snapshot.Id.ToString(), directory, result.Files, result.OtherEntries, result.Directories, result.Bytes, result.Skipped, result.Duration.TotalSeconds, context.Get(verify) ? result.Verified : null,
                [.. result.Problems.Select(p => new ProblemOutput(p.Path, CliAdvice.Describe(p)))]);
            if (context.Json)
            {
                await context.Output.WriteJsonAsync(output, CliJson.Default.RestoreOutput).ConfigureAwait(false);
            }
            else
            {
                await context.Output.InfoAsync(
                    $"Restored snapshot {snapshot.Id.ToShortString()} to {directory}: {Format.Count(result.Files, "file", "files")}, {Format.Count(result.Directories, "directory", "directories")}, " +
                    (result.OtherEntries > 0 ? $"{Format.Count(result.OtherEntries, "symlink or special file", "symlinks and special files")}, " : string.Empty) +
                    $"{Format.Bytes(result.Bytes)} in {Format.Seconds(result.Duration)}" +
                    (result.Skipped > 0 ? $"; {Format.Count(result.Skipped, "existing entry", "existing entries")} left untouched ({(context.Get(overwriteChanged) ? "--overwrite-changed: already as in the snapshot" : "--skip-existing")})" : string.Empty) +
                    (context.Get(verify) ? $"; {Format.Count(result.Verified, "file", "files")} read back and found as in the snapshot." : ".")).ConfigureAwait(false);
                if (!result.IsComplete)
                {
                    await context.Output.WarnAsync($"{Format.Count(result.Problems.Count, "entry was", "entries were")} not (completely) restored.").ConfigureAwait(false);
                }

                if (result.Problems.Any(p => p.RepositoryDamaged))
                {
                    // What is damaged, and which other snapshots share it, is check's to say; restoring again reads the same bytes.
                    await context.Output.WarnAsync(
                        "the repository holds damaged or missing data: run 'backup check --read-data' to see what else it affects, then 'backup repair' as check advises, " +
                        "or restore those entries from another snapshot or a copy of the repository.").ConfigureAwait(false);
                }

                if (snapshot.Partial)
                {
                    await context.Output.WarnAsync(
                        $"snapshot {snapshot.Id.ToShortString()} is partial: its backup could not read some entries (they were listed when it ran), so they are not in it.").ConfigureAwait(false);
                }
            }

            // Missing or damaged repository data is what exit code 12 means, whether a restore or a dump meets it.
            return result.IsComplete ? ExitCodes.Success
                : result.Problems.Any(p => p.RepositoryDamaged) ? ExitCodes.RepositoryDamaged
                : ExitCodes.Partial;
        });
        return command;
    }

    private static async Task<int> CheckRolesAsync(CommandContext context, Backup.Core.Snapshots.Snapshot snapshot, DatabaseRestore.Request request, CancellationToken cancellationToken)
    {
        var check = await DatabaseRestore.CheckRolesAsync(context, snapshot, request, cancellationToken).ConfigureAwait(false);
        if (context.Json)
        {
            await context.Output.WriteJsonAsync(new RoleCheckOutput(snapshot.Id.ToString(), check.Database, check.Known, check.Needed, check.Missing, check.Advice), CliJson.Default.RoleCheckOutput).ConfigureAwait(false);
        }
        else if (!check.Known)
        {
            await context.Output.WarnAsync(check.Advice!).ConfigureAwait(false);
        }
        else if (check.Missing.Count > 0)
        {
            await context.Output.ErrorAsync($"error: {check.Advice}").ConfigureAwait(false);
        }
        else
        {
            // MariaDB/MySQL has accounts ('app'@'%') where PostgreSQL has roles; the check is the same.
            var noun = request.Engine.Engine is Backup.Providers.MySql.MySqlEngine ? "account" : "role";
            await context.Output.InfoAsync(check.Needed.Count == 0
                ? $"Database '{check.Database}' of snapshot {snapshot.Id.ToShortString()} needs no {noun} beyond those every server has."
                : $"The server has every {noun} database '{check.Database}' of snapshot {snapshot.Id.ToShortString()} needs: {string.Join(", ", check.Needed)}.").ConfigureAwait(false);
        }

        return check.Missing.Count > 0 ? ExitCodes.ProblemsFound : ExitCodes.Success;
    }

    private sealed class Progress(ProgressRenderer renderer, long? totalBytes) : IProgress<RestoreProgress>
    {
        public void Report(RestoreProgress value) => renderer.Update(value.Files, value.Bytes, totalBytes, value.Elapsed);
    }

    /// <summary>The restore options of the engines that support what <paramref name="supports"/> asks ("--to-postgres").</summary>
    private static string RestoreOptions(Func<Backup.Providers.IDatabaseEngine, bool> supports) =>
        DatabaseEngines.Join(DatabaseEngines.All.Where(e => supports(e.Engine)).Select(e => e.RestoreOption), "or");
}
