using System.CommandLine;
using Backup.Core.Verification;

namespace Backup.Cli.Commands;

/// <summary><c>backup check</c>: verifies the repository's structure and, when asked, its data.</summary>
internal static class CheckCommand
{
    private const int UnindexedListedOneByOne = 3;

    public static Command Create(CommandRunner runner)
    {
        var readData = new Option<bool>("--read-data") { Description = "Also download every pack and decrypt and re-hash every blob (reads the whole repository)." };
        var readDataSubset = new Option<string?>("--read-data-subset")
        {
            Description = "Download and verify only some packs: n/m (group n of m), a fraction (0.2), a percentage (10%) or a size (500M, 2G). Fractions and sizes take a different window each day.",
            HelpName = "SUBSET",
        };
        var noLock = new Option<bool>("--no-lock") { Description = "Take no lock, for a repository on read-only media; a prune running meanwhile would make what it deletes look missing." };
        var command = new Command(
            "check",
            "Check the repository: config, keys, index objects, every pack's header against the index, every snapshot and its trees; with --read-data also the stored data. " +
            "Lists every problem; exits 4 when any is an error (warnings alone exit 0).")
        {
            readData, readDataSubset, noLock,
        };
        runner.Bind(command, async (context, ct) =>
        {
            if (context.Get(readData) && context.Get(readDataSubset) is not null)
            {
                throw new CliUsageException("Give --read-data or --read-data-subset, not both.");
            }

            CheckOptions options;
            try
            {
                options = new CheckOptions { ReadData = context.Get(readData), ReadDataSubset = context.Get(readDataSubset), Lock = !context.Get(noLock) };
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                throw new CliUsageException($"--read-data-subset: {ex.Message}");
            }

            await using var repository = await RepositoryOpener.OpenWithoutIndexAsync(context, ct).ConfigureAwait(false);
            var result = await new VerificationService(repository).CheckAsync(options, progress: null, ct).ConfigureAwait(false);
            var errors = result.Errors.Count();
            var warnings = result.Problems.Count - errors;
            if (context.Json)
            {
                await context.Output.WriteJsonAsync(
                    new CheckOutput(
                        result.IsSuccess, result.Snapshots, result.Trees, result.DataBlobs, result.Indexes, result.Packs, result.PacksRead, result.BlobsRead,
                        result.BytesRead, errors, warnings, [.. result.Problems.Select(CheckProblemOutput.From)], result.Duration.TotalSeconds),
                    CliJson.Default.CheckOutput).ConfigureAwait(false);
            }
            else
            {
                await context.Output.InfoAsync(
                    $"Checked {result.Snapshots} snapshot(s), {result.Trees} tree(s), {result.DataBlobs} data blob(s), {result.Indexes} index object(s) " +
                    $"and {result.Packs} pack header(s) in {Format.Seconds(result.Duration)}.").ConfigureAwait(false);
                if (options.ReadData || options.Subset is not null)
                {
                    await context.Output.InfoAsync(ReadDataSummary.Line(options, result)).ConfigureAwait(false);
                }

                // An interrupted backup leaves one such pack per few megabytes it uploaded: one line says what they are.
                var unindexed = result.Problems.Count(p => p.Kind == CheckProblemKind.UnindexedPack);
                var summed = unindexed > UnindexedListedOneByOne;
                foreach (var problem in result.Problems.Where(p => !summed || p.Kind != CheckProblemKind.UnindexedPack))
                {
                    await context.Output.LineAsync(
                        $"{problem.Severity.ToString().ToLowerInvariant()}: {problem.Kind} {problem.Object}: {problem.Message}").ConfigureAwait(false);
                }

                if (summed)
                {
                    await context.Output.LineAsync(
                        $"warning: UnindexedPack: {unindexed} packs are in no index, their headers intact: a backup was interrupted before it wrote " +
                        "its index (or prune could not delete them under a retention lock). Nothing is lost: the next backup reuses their data, and prune " +
                        "deletes what no snapshot needs once they are a day old. '--json' lists each.").ConfigureAwait(false);
                }

                await context.Output.InfoAsync(result.Problems.Count == 0
                    ? "No problems found."
                    : $"{errors} error(s), {warnings} warning(s).").ConfigureAwait(false);
            }

            if (errors > 0)
            {
                await context.Output.ErrorAsync(
                    $"error: check found {errors} error(s) in the repository; {Remedy(result.Errors.Select(p => p.Kind).ToHashSet())}").ConfigureAwait(false);
                return ExitCodes.ProblemsFound;
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Repair snapshots drops what the index lacks for good; a backup in between stores it again from a source that still has it.</summary>
    private const string BackUpFirst = "; before repairing snapshots, back up again whatever still exists at the source: that stores the lost data again under the same IDs and makes the older snapshots whole, so repair drops only what is gone for good.";

    /// <summary>The repair that addresses the errors found, in the order to run it.</summary>
    private static string Remedy(HashSet<CheckProblemKind> kinds)
    {
        if (kinds.Overlaps([CheckProblemKind.BlobDamaged, CheckProblemKind.PackDamaged]))
        {
            // Only reading every blob finds which ones are damaged; an index rebuilt from headers alone would keep them.
            return "run 'backup repair index --read-data', then 'backup repair snapshots'" + BackUpFirst;
        }

        if (kinds.Overlaps([CheckProblemKind.IndexDamaged, CheckProblemKind.PackMissing, CheckProblemKind.IndexEntryOutOfRange, CheckProblemKind.PackHeaderMismatch, CheckProblemKind.TreeMissing, CheckProblemKind.TreeDamaged, CheckProblemKind.BlobMissing]))
        {
            return "run 'backup repair index', then 'backup repair snapshots'" + BackUpFirst;
        }

        return kinds.SetEquals([CheckProblemKind.SnapshotDamaged]) ? "run 'backup repair snapshots'." : "see 'backup repair --help'.";
    }
}
