using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Backup.Core;
using Backup.Core.Restore;
using Backup.Core.Snapshots;
using Backup.Extensions.DependencyInjection;
using Backup.Providers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Backup.DisasterRecovery;

/// <summary>
/// Drills a system of a plan: runs its steps in order, each within its timeout, against scratch targets only (file
/// restores into a fresh directory, database restores into a fresh database on the plan's scratch server, HTTP and
/// wait steps against their drill URLs, commands in their drill form), times every step, removes every scratch target
/// whatever happened, and stores the result in the repository of the system's first job.
/// </summary>
internal sealed class RecoveryDrillRunner(
    IBackupRepositoryProvider repositories,
    IOptions<BackupHostingOptions> hosting,
    IEnumerable<IDatabaseEngine> engines,
    DrillHttpClient http,
    TimeProvider time,
    ILogger<RecoveryDrillRunner>? logger = null) : IRecoveryDrillRunner
{
    private readonly ILogger _logger = logger ?? (ILogger)NullLogger.Instance;
    private readonly IReadOnlyList<IDatabaseEngine> _engines = [.. engines];

    /// <inheritdoc />
    public async Task<RecoveryDrillResult> RunAsync(RecoveryPlan plan, string system, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(system);
        if (!plan.Systems.TryGetValue(system, out var target))
        {
            throw new ArgumentException($"The plan has no system called '{system}' (known: {string.Join(", ", plan.Systems.Keys)}).", nameof(system));
        }

        var name = plan.Systems.Keys.First(k => string.Equals(k, system, StringComparison.OrdinalIgnoreCase));
        var resultsRepository = FirstJobRepository(name, target);
        // The result is stored once every step has run: a repository that would refuse it (it records a retention lock
        // its settings here lack) is refused now, before the steps restore production data for a result that is lost.
        var repository = await repositories.GetAsync(resultsRepository, cancellationToken).ConfigureAwait(false);
        repository.RequireRetentionLockForWriting();
        DrillLog.DrillStarted(_logger, name, target.Steps.Count);
        var startedAt = time.GetUtcNow();
        var scratch = new DrillScratch(plan.Scratch.Directory, name);
        var drill = new Drill(plan, scratch);
        var steps = new List<RecoveryStepResult>(target.Steps.Count);
        IReadOnlyList<string> cleaned;
        IReadOnlyList<string> cleanupProblems;
        try
        {
            var stopped = false;
            foreach (var step in target.Steps)
            {
                var stepName = step.Name ?? $"step {steps.Count + 1}";
                if (stopped || step.Kind is not { } kind)
                {
                    steps.Add(new RecoveryStepResult
                    {
                        Name = stepName,
                        Kind = step.Kind ?? RecoveryStepKind.Command,
                        Outcome = stopped ? RecoveryStepOutcome.NotRun : RecoveryStepOutcome.Failed,
                        Error = stopped ? "an earlier step failed" : "the step sets none or more than one of Restore, Command, Http, WaitFor and Verify",
                    });
                    stopped = true;
                    continue;
                }

                var ran = await RunStepAsync(drill, step, stepName, kind, cancellationToken).ConfigureAwait(false);
                if (ran.Outcome == RecoveryStepOutcome.Succeeded && step.Restore is { ConnectionString.Length: > 0 } && drill.Restores.GetValueOrDefault(stepName) is { Engine: { } engine } databaseRestore)
                {
                    // After the step, so the achieved RTO is the restore's alone.
                    ran = ran with { Warnings = await RecoveryServerRolesAsync(name, target.Steps.IndexOf(step), step.Restore, engine, databaseRestore, cancellationToken).ConfigureAwait(false) };
                }

                steps.Add(ran);
                if (ran.Outcome is RecoveryStepOutcome.Failed or RecoveryStepOutcome.TimedOut)
                {
                    DrillLog.StepFailed(_logger, name, stepName, ran.Outcome, ran.Error);
                    stopped = true;
                }
                else
                {
                    DrillLog.StepFinished(_logger, name, stepName, ran.Outcome, ran.Duration.TotalSeconds);
                }
            }
        }
        finally
        {
            // Also after a cancellation: the scratch targets hold copies of production data.
            (cleaned, cleanupProblems) = await scratch.CleanupAsync((what, ex) => DrillLog.CleanupFailed(_logger, ex, name, what)).ConfigureAwait(false);
            foreach (var what in cleaned)
            {
                DrillLog.CleanedUp(_logger, name, what);
            }
        }

        var restored = steps.Where(s => s.SnapshotTime is not null).Select(s => s.SnapshotTime!.Value).ToList();
        var result = new RecoveryDrillResult
        {
            System = name,
            Plan = plan.Name,
            Host = Environment.MachineName,
            StartedAt = startedAt,
            FinishedAt = time.GetUtcNow(),
            Succeeded = steps.All(s => s.Outcome is RecoveryStepOutcome.Succeeded or RecoveryStepOutcome.Skipped),
            TargetRpo = target.Rpo,
            TargetRto = target.Rto,
            AchievedRto = steps.Aggregate(TimeSpan.Zero, (sum, s) => sum + s.Duration),
            AchievedRpo = restored.Count == 0 ? null : startedAt - restored.Min(),
            Steps = steps,
            CleanedUp = cleaned,
            CleanupProblems = cleanupProblems,
        };
        DrillLog.DrillFinished(_logger, name, result.Succeeded ? "succeeded" : "failed", result.AchievedRto, result.AchievedRpo);

        await RecoveryDrillRecords.SaveAsync(repository, result, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// A drill restores into a scratch server as a role that restores no grants, so it cannot show that the server a
    /// recovery restores into (the step's ConnectionString) lacks a role the snapshot needs: asked here, each problem
    /// becomes a warning of the step (the drill itself restored what it should), logged too.
    /// </summary>
    private async Task<IReadOnlyList<string>> RecoveryServerRolesAsync(string system, int index, RestoreStep step, IDatabaseEngine engine, DrillRestore restored, CancellationToken cancellationToken)
    {
        var problems = await RestoreTargetRoles.CheckAsync($"Systems:{system}:Steps:{index}:Restore", step, engine, restored.Snapshot, cancellationToken).ConfigureAwait(false);
        foreach (var problem in problems)
        {
            DrillLog.RecoveryServerRoles(_logger, system, problem.Message);
        }

        return [.. problems.Select(p => p.Message)];
    }

    /// <summary>The repository drill results go to: the one of the system's first job (checked before anything is made).</summary>
    private string FirstJobRepository(string name, RecoverySystem system)
    {
        if (system.Jobs.Count == 0)
        {
            throw new InvalidOperationException($"System '{name}' names no job: its drill results are stored in the repository of its first job.");
        }

        return Job(system.Jobs[0]).Repository is { Length: > 0 } repository
            ? repository
            : throw new InvalidOperationException($"Job '{system.Jobs[0]}' names no repository.");
    }

    private BackupJobOptions Job(string name) =>
        hosting.Value.Jobs.TryGetValue(name, out var job)
            ? job
            : throw new BackupJobNotFoundException(name, hosting.Value.Jobs.Keys);

    private async Task<RecoveryStepResult> RunStepAsync(Drill drill, RecoveryStep step, string name, RecoveryStepKind kind, CancellationToken cancellationToken)
    {
        // The timeout runs on the injected clock, so tests (and a host's fake time) control it too.
        using var timer = new CancellationTokenSource(step.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        var started = time.GetTimestamp();
        StepOutcome outcome;
        try
        {
            outcome = kind switch
            {
                RecoveryStepKind.Restore => await RestoreAsync(drill, name, step.Restore!, linked.Token).ConfigureAwait(false),
                RecoveryStepKind.Command => await CommandAsync(drill, step.Command!, linked.Token).ConfigureAwait(false),
                RecoveryStepKind.Http => await HttpAsync(step.Http!, linked.Token).ConfigureAwait(false),
                RecoveryStepKind.WaitFor => await WaitAsync(drill, step.WaitFor!, linked.Token).ConfigureAwait(false),
                RecoveryStepKind.Verify => await VerifyAsync(drill, step.Verify!, linked.Token).ConfigureAwait(false),
                _ => throw new InvalidOperationException($"Unknown step kind {kind}."),
            };
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            outcome = new StepOutcome(RecoveryStepOutcome.TimedOut) { Error = $"did not finish within its timeout of {step.Timeout}" };
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not OutOfMemoryException)
        {
            outcome = new StepOutcome(RecoveryStepOutcome.Failed) { Error = ex.Message };
        }

        // A timed-out wait step keeps what it saw last.
        if (outcome.Outcome == RecoveryStepOutcome.TimedOut && drill.LastWaitError is { } seen)
        {
            outcome = outcome with { Error = $"{outcome.Error}; last answer: {seen}" };
        }

        drill.LastWaitError = null;
        var restore = outcome.Restore;
        if (restore is not null)
        {
            drill.Restores[name] = restore;
        }

        return new RecoveryStepResult
        {
            Name = name,
            Kind = kind,
            Outcome = outcome.Outcome,
            Duration = outcome.Outcome == RecoveryStepOutcome.Skipped ? TimeSpan.Zero : time.GetElapsedTime(started),
            Output = outcome.Output,
            Error = outcome.Error,
            SkippedDeviceNodes = outcome.SkippedDeviceNodes,
            Job = step.Restore?.Job,
            SnapshotId = restore?.Snapshot.Id.ToString(),
            SnapshotTime = restore?.Snapshot.Time,
        };
    }

    private async Task<StepOutcome> RestoreAsync(Drill drill, string name, RestoreStep step, CancellationToken cancellationToken)
    {
        var jobName = step.Job ?? throw new InvalidOperationException("The restore step names no job.");
        var job = Job(jobName);
        var repositoryName = step.Repository ?? job.Repository ?? throw new InvalidOperationException($"Job '{jobName}' names no repository.");
        var repository = await repositories.GetAsync(repositoryName, cancellationToken).ConfigureAwait(false);
        var snapshot = await FindSnapshotAsync(repository, jobName, step.Snapshot, cancellationToken).ConfigureAwait(false);

        if (job.Source is { Length: > 0 } sourceName)
        {
            if (!hosting.Value.Sources.TryGetValue(sourceName, out var source) || DatabaseSources.Find(_engines, source.Engine) is not { } engine)
            {
                throw new InvalidOperationException($"Job '{jobName}' backs up source '{sourceName}', which is not a configured database source with a registered engine; a drill restores files and database jobs.");
            }

            return await RestoreDatabaseAsync(drill, name, engine, repository, snapshot, cancellationToken).ConfigureAwait(false);
        }

        var directory = drill.Scratch.NewDirectory(name);
        var restored = await new RestoreService(repository).RestoreAsync(snapshot, directory, new RestoreOptions
        {
            Include = step.Paths,
            RestoreOwnership = false,
            DeviceNodes = false,
        }, progress: null, cancellationToken).ConfigureAwait(false);
        // A drill creates no device nodes (it runs without root, into a scratch directory): one skipped is what the
        // drill chose, not a fault of the backup, and is counted apart. Its metadata was read with the tree it is in.
        var skippedDevices = restored.Problems.Where(p => p.SkippedDeviceNode).ToList();
        var failures = restored.Problems.Where(p => !p.SkippedDeviceNode).ToList();
        var summary = $"restored {CountText.Of(restored.Files, "file", "files")}, {CountText.Of(restored.Directories, "directory", "directories")}, {CountText.Of(restored.OtherEntries, "symlink or special file", "symlinks and special files")}, {CountText.Of(restored.Bytes, "byte", "bytes")} of snapshot {snapshot.Id.ToShortString()} ({snapshot.Time:u}) into {directory}" +
            (skippedDevices.Count == 0 ? string.Empty : $"; skipped {CountText.Of(skippedDevices.Count, "device node", "device nodes")} (a drill creates none): {SkippedDeviceNames(skippedDevices)}");
        var record = new DrillRestore { Repository = repository, Snapshot = snapshot, Directory = directory, Paths = step.Paths };
        if (failures.Count > 0)
        {
            var problems = new OutputTail();
            foreach (var problem in failures)
            {
                problems.AppendLine($"{problem.Path}: {problem.Reason}");
            }

            return new StepOutcome(RecoveryStepOutcome.Failed) { Restore = record, Output = problems.ToString(), Error = $"{CountText.Of(failures.Count, "entry", "entries")} did not restore; {summary}", SkippedDeviceNodes = skippedDevices.Count };
        }

        return new StepOutcome(RecoveryStepOutcome.Succeeded) { Restore = record, Output = summary, SkippedDeviceNodes = skippedDevices.Count };
    }

    /// <summary>The paths of the first few skipped device nodes, for the step's output.</summary>
    private static string SkippedDeviceNames(List<RestoreProblem> skipped) =>
        string.Join(", ", skipped.Take(5).Select(p => p.Path)) + (skipped.Count > 5 ? $" and {skipped.Count - 5} more" : string.Empty);

    private static async Task<StepOutcome> RestoreDatabaseAsync(Drill drill, string name, IDatabaseEngine engine, BackupRepository repository, Snapshot snapshot, CancellationToken cancellationToken)
    {
        var databases = engine.DatabasesOf(snapshot);
        var targets = new List<DatabaseRestoreSettings>(databases.Count);
        DatabaseVerifySettings verifyScratch;
        var output = new StringBuilder();
        if (engine.Location == DatabaseLocation.File)
        {
            // A file engine restores into a file in the drill's directory, removed with it.
            var directory = drill.Scratch.NewDirectory(name);
            verifyScratch = new DatabaseVerifySettings { Scratch = directory };
            foreach (var database in databases)
            {
                var file = Path.Combine(directory, DrillScratch.NewDatabaseName() + ".db");
                var target = new DatabaseRestoreSettings { Location = file, SourceDatabase = database };
                var restored = await engine.RestoreAsync(repository, snapshot, target, cancellationToken).ConfigureAwait(false);
                targets.Add(target);
                output.Append(CultureInfo.InvariantCulture, $"restored {engine.DisplayName} database {restored.SourceDatabase} ({restored.Bytes} bytes) into {file} in {restored.Duration.TotalSeconds:F1} s\n");
            }
        }
        else
        {
            if (!drill.Plan.Scratch.Databases.TryGetValue(engine.Name, out var server) || string.IsNullOrWhiteSpace(server.ConnectionString))
            {
                throw new InvalidOperationException($"No scratch {engine.DisplayName} server is configured for drills: set Scratch:Databases:{engine.Name}:ConnectionString in the plan.");
            }

            var password = await DatabasePassword.ReadAsync($"Scratch {engine.DisplayName} server", server.PasswordEnvironmentVariable, server.PasswordFile, cancellationToken).ConfigureAwait(false);
            verifyScratch = new DatabaseVerifySettings { Scratch = server.ConnectionString, Password = password };
            foreach (var database in databases)
            {
                var target = new DatabaseRestoreSettings { Location = server.ConnectionString, Password = password, SourceDatabase = database, TargetDatabase = DrillScratch.NewDatabaseName(), EventsDisabled = true, ScratchUser = !server.TrustSnapshotSql };
                // Registered first: a restore that fails half way leaves a database to drop.
                drill.Scratch.AddDatabase(engine, target);
                DatabaseRestoreResult restored;
                try
                {
                    restored = await engine.RestoreAsync(repository, snapshot, target, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
                {
                    // The same user name often serves the production server and the scratch one: say which refused.
                    throw new InvalidOperationException(
                        $"Restoring into the scratch {engine.DisplayName} server (Scratch:Databases:{engine.Name}, password from {ScratchPasswordSource(engine, server)}) failed: {ex.Message}", ex);
                }

                targets.Add(target);
                output.Append(CultureInfo.InvariantCulture, $"restored {engine.DisplayName} database {restored.SourceDatabase} ({restored.Bytes} bytes) into scratch database {restored.TargetDatabase} in {restored.Duration.TotalSeconds:F1} s\n");
            }
        }

        output.Append(CultureInfo.InvariantCulture, $"snapshot {snapshot.Id.ToShortString()} ({snapshot.Time:u})");
        return new StepOutcome(RecoveryStepOutcome.Succeeded)
        {
            Restore = new DrillRestore { Repository = repository, Snapshot = snapshot, Engine = engine, Databases = targets, VerifyScratch = verifyScratch },
            Output = output.ToString(),
        };
    }

    private static string ScratchPasswordSource(IDatabaseEngine engine, ScratchDatabaseServer server) =>
        !string.IsNullOrWhiteSpace(server.PasswordFile) ? $"Scratch:Databases:{engine.Name}:PasswordFile"
        : !string.IsNullOrWhiteSpace(server.PasswordEnvironmentVariable) ? $"the {EnvironmentVariableName.Describe(server.PasswordEnvironmentVariable)}"
        : "none set: Scratch:Databases:" + engine.Name + ":PasswordFile or PasswordEnvironmentVariable";

    /// <summary>"latest": the job's newest complete snapshot; otherwise an ID or a unique prefix of one.</summary>
    private async Task<Snapshot> FindSnapshotAsync(BackupRepository repository, string jobName, string snapshot, CancellationToken cancellationToken)
    {
        if (!string.Equals(snapshot, "latest", StringComparison.OrdinalIgnoreCase))
        {
            return await repository.Snapshots.FindAsync(snapshot, cancellationToken).ConfigureAwait(false);
        }

        // A snapshot dated after now (a clock that ran ahead, or one added by anyone who holds the password) is not the
        // job's latest: a drill of it would prove a snapshot that is not the job's newest real one.
        var newest = await BackupJobHistory.NewestJobSnapshotAsync(repository, jobName, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        return newest ?? throw new InvalidOperationException(
            $"Job '{jobName}' has no complete snapshot in {repository.Location}: run the job first (its host does on schedule; 'backup dr backup PLAN --job {jobName}' runs it once). " +
            "Snapshots made outside the job (backup create) do not count.");
    }

    private static async Task<StepOutcome> CommandAsync(Drill drill, CommandStep step, CancellationToken cancellationToken)
    {
        var command = step.DrillRun.Count > 0 ? step.DrillRun : step.SafeInDrill ? step.Run : null;
        if (command is null || command.Count == 0 || string.IsNullOrWhiteSpace(command[0]))
        {
            return new StepOutcome(RecoveryStepOutcome.Skipped) { Error = "no DrillRun, and Run is not SafeInDrill" };
        }

        var variables = new Dictionary<string, string>(StringComparer.Ordinal) { [DrillCommand.ScratchDirectoryVariable] = drill.Scratch.Root };
        var ran = await DrillCommand.RunAsync(command, step, variables, cancellationToken).ConfigureAwait(false);
        return ran.ExitCode == 0
            ? new StepOutcome(RecoveryStepOutcome.Succeeded) { Output = ran.Output }
            : new StepOutcome(RecoveryStepOutcome.Failed) { Output = ran.Output, Error = $"'{command[0]}' exited with code {ran.ExitCode}" };
    }

    private async Task<StepOutcome> HttpAsync(HttpStep step, CancellationToken cancellationToken)
    {
        if (step.DrillUrl is not { } url)
        {
            return new StepOutcome(RecoveryStepOutcome.Skipped) { Error = "no DrillUrl" };
        }

        using var request = new HttpRequestMessage(new HttpMethod(step.Method), url);
        if (step.Body is { } body)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(step.ContentType ?? "application/json");
        }

        foreach (var (header, value) in step.Headers)
        {
            AddHeader(request, header, value);
        }

        foreach (var (header, source) in step.SecretHeaders)
        {
            AddHeader(request, header, await ReadSecretAsync(header, source, cancellationToken).ConfigureAwait(false));
        }

        using var response = await http.Client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        var tail = new OutputTail();
        tail.AppendLine($"{step.Method} {url} -> {status} {response.ReasonPhrase}");
        tail.Append(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        var expected = step.ExpectStatus.Count == 0 ? status is >= 200 and < 300 : step.ExpectStatus.Contains(status);
        return expected
            ? new StepOutcome(RecoveryStepOutcome.Succeeded) { Output = tail.ToString() }
            : new StepOutcome(RecoveryStepOutcome.Failed) { Output = tail.ToString(), Error = $"{url} answered {status}, expected {(step.ExpectStatus.Count == 0 ? "2xx" : string.Join(" or ", step.ExpectStatus))}" };
    }

    private static void AddHeader(HttpRequestMessage request, string name, string value)
    {
        if (!request.Headers.TryAddWithoutValidation(name, value) && request.Content is not null)
        {
            request.Content.Headers.TryAddWithoutValidation(name, value);
        }
    }

    /// <summary>A secret header's value from "env:NAME" or "file:PATH" (its first line); messages name the source, never the value.</summary>
    private static async Task<string> ReadSecretAsync(string header, string source, CancellationToken cancellationToken)
    {
        if (source.StartsWith("env:", StringComparison.OrdinalIgnoreCase))
        {
            return await DatabasePassword.ReadAsync($"Secret header {header}", source[4..], null, cancellationToken).ConfigureAwait(false) ?? string.Empty;
        }

        if (source.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            return await DatabasePassword.ReadAsync($"Secret header {header}", null, source[5..], cancellationToken).ConfigureAwait(false) ?? string.Empty;
        }

        throw new InvalidOperationException($"Secret header {header}: its source must be 'env:NAME' or 'file:PATH'.");
    }

    private async Task<StepOutcome> WaitAsync(Drill drill, WaitStep step, CancellationToken cancellationToken)
    {
        if (step.DrillUrl is not { } url)
        {
            return new StepOutcome(RecoveryStepOutcome.Skipped) { Error = "no DrillUrl" };
        }

        var polls = 0;
        while (true)
        {
            polls++;
            string seen;
            try
            {
                using var response = await http.Client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                if (step.ExpectStatus.Count == 0 ? status == 200 : step.ExpectStatus.Contains(status))
                {
                    return new StepOutcome(RecoveryStepOutcome.Succeeded) { Output = $"GET {url} -> {status} after {polls} polls" };
                }

                seen = $"{status} {response.ReasonPhrase}";
            }
            catch (HttpRequestException ex)
            {
                seen = ex.Message;
            }

            drill.LastWaitError = seen;

            await Task.Delay(step.Interval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<StepOutcome> VerifyAsync(Drill drill, VerifyStep step, CancellationToken cancellationToken)
    {
        if (step.Restore is null || !drill.Restores.TryGetValue(step.Restore, out var restore))
        {
            throw new InvalidOperationException($"The verify step names '{step.Restore}', which is not an earlier restore step of the system that ran.");
        }

        if (restore.Directory is { } directory)
        {
            var comparison = await RestoredFiles.CompareAsync(restore.Repository, restore.Snapshot, directory, restore.Paths, cancellationToken).ConfigureAwait(false);
            var summary = $"compared {CountText.Of(comparison.Files, "file", "files")}, {CountText.Of(comparison.Bytes, "byte", "bytes")} with snapshot {restore.Snapshot.Id.ToShortString()}";
            if (comparison.Problems.Count == 0)
            {
                return new StepOutcome(RecoveryStepOutcome.Succeeded) { Output = summary };
            }

            var tail = new OutputTail();
            foreach (var problem in comparison.Problems)
            {
                tail.AppendLine(problem);
            }

            return new StepOutcome(RecoveryStepOutcome.Failed) { Output = tail.ToString(), Error = $"{(comparison.Problems.Count == 1 ? "1 file differs" : $"{comparison.Problems.Count} files differ")} from the snapshot; {summary}" };
        }

        var engine = restore.Engine!;
        var output = new OutputTail();
        var failures = new List<string>();
        foreach (var database in restore.Databases)
        {
            VerificationReport report;
            try
            {
                report = await engine.CompareAsync(restore.Snapshot, database, cancellationToken).ConfigureAwait(false);
            }
            catch (NotSupportedException)
            {
                // The engine cannot measure a restored database in place: prove the snapshot with its own test restore.
                report = await engine.VerifyAsync(restore.Repository, restore.Snapshot, restore.VerifyScratch!, cancellationToken).ConfigureAwait(false);
            }

            output.AppendLine(report.Succeeded
                ? $"{database.SourceDatabase}: {(report.TablesCompared == 1 ? "1 table matches" : $"{report.TablesCompared} tables match")} the checksums recorded at backup time"
                : $"{database.SourceDatabase}: {report}");
            foreach (var note in report.Notes)
            {
                output.AppendLine($"{database.SourceDatabase}: note: {note}");
            }

            if (!report.Succeeded)
            {
                failures.Add(database.SourceDatabase ?? engine.DisplayName);
            }
        }

        return failures.Count == 0
            ? new StepOutcome(RecoveryStepOutcome.Succeeded) { Output = output.ToString() }
            : new StepOutcome(RecoveryStepOutcome.Failed) { Output = output.ToString(), Error = $"{string.Join(", ", failures)} did not match the checksums recorded at backup time" };
    }

    /// <summary>One drill's state while its steps run.</summary>
    private sealed class Drill(RecoveryPlan plan, DrillScratch scratch)
    {
        public RecoveryPlan Plan { get; } = plan;

        public DrillScratch Scratch { get; } = scratch;

        /// <summary>The restore steps that ran, by name, for verify steps.</summary>
        public Dictionary<string, DrillRestore> Restores { get; } = new(StringComparer.OrdinalIgnoreCase);

        /// <summary>What a wait step saw last, for its timeout's message.</summary>
        public string? LastWaitError { get; set; }
    }

    /// <summary>How a step ended, before it is timed.</summary>
    private sealed record StepOutcome(RecoveryStepOutcome Outcome)
    {
        public string? Output { get; init; }

        public string? Error { get; init; }

        public DrillRestore? Restore { get; init; }

        public int SkippedDeviceNodes { get; init; }
    }
}
