using System.CommandLine;
using System.Globalization;
using Backup.Core.Maintenance;
using Backup.Core.Repository;
using Backup.Core;

namespace Backup.Cli.Commands;

/// <summary><c>backup prune</c>: frees the data no snapshot uses any more.</summary>
internal static class PruneCommand
{
    public static Command Create(CommandRunner runner)
    {
        var repackThreshold = RepackThresholdOption();
        var unindexedGrace = UnindexedGraceOption();
        var repackSmall = new Option<bool>("--repack-small") { Description = "Also combine packs smaller than half the usual pack size." };
        var dryRun = new Option<bool>("--dry-run", "-n") { Description = "Show what would be removed and rewritten; change nothing." };
        var command = new Command(
            "prune",
            "Remove data that no snapshot uses (after 'forget'): delete unused packs and rewrite mostly-unused ones. Takes the repository's exclusive lock.")
        {
            repackThreshold, unindexedGrace, repackSmall, dryRun,
        };
        runner.Bind(command, async (context, ct) =>
        {
            var options = Options(context, repackThreshold, unindexedGrace, context.Get(repackSmall), context.Get(dryRun));
            if (!options.DryRun)
            {
                context.RefuseInAppendOnlyMode("prune", "deletes packs and index objects");
            }

            // Neither forget nor prune reads through the loaded index (prune reads the index objects itself): not loaded.
            await using var repository = await RepositoryOpener.OpenWithoutIndexAsync(context, writes: !options.DryRun, ct).ConfigureAwait(false);
            var result = await RunAsync(repository, options, ct).ConfigureAwait(false);
            if (context.Json)
            {
                await context.Output.WriteJsonAsync(PruneOutput.From(result), CliJson.Default.PruneOutput).ConfigureAwait(false);
            }
            else
            {
                await WriteAsync(context.Output, result).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>--repack-threshold, shared with <c>forget --prune</c>.</summary>
    public static Option<string?> RepackThresholdOption() => new("--repack-threshold")
    {
        Description = "Rewrite a pack when at least this share of it is unused: 0 to 1 or a percentage (default 0.2 = 20%).",
        HelpName = "SHARE",
    };

    /// <summary>--unindexed-grace, shared with <c>forget --prune</c>.</summary>
    public static Option<string?> UnindexedGraceOption() => new("--unindexed-grace")
    {
        Description = "Keep packs that no index lists (a backup may still be uploading them) until they are this old: " + DurationParser.HelpText + ", or 0 (default 1d).",
        HelpName = "DURATION",
    };

    public static PruneOptions Options(CommandContext context, Option<string?> repackThreshold, Option<string?> unindexedGrace, bool repackSmall, bool dryRun)
    {
        var grace = PruneOptions.DefaultUnindexedGracePeriod;
        if (context.Get(unindexedGrace) is { } graceText)
        {
            grace = graceText.Trim() == "0" ? TimeSpan.Zero : DurationParser.Parse(graceText, "--unindexed-grace");
            if (grace > PruneOptions.MaximumUnindexedGracePeriod)
            {
                throw new CliUsageException($"--unindexed-grace '{graceText}' is longer than {PruneOptions.MaximumUnindexedGracePeriod.TotalDays:0} days.");
            }
        }

        var threshold = 0.2;
        if (context.Get(repackThreshold) is { } text)
        {
            var s = text.Trim();
            var percent = s.EndsWith('%');
            if (!double.TryParse(percent ? s[..^1] : s, NumberStyles.Float, CultureInfo.InvariantCulture, out threshold)
                || double.IsNaN(threshold) || (percent ? threshold is < 0 or > 100 : threshold is < 0 or > 1))
            {
                throw new CliUsageException($"--repack-threshold '{text}' is not a share between 0 and 1 (or 0% and 100%).");
            }

            threshold = percent ? threshold / 100 : threshold;
        }

        return new PruneOptions { RepackThreshold = threshold, UnindexedGracePeriod = grace, RepackSmall = repackSmall, DryRun = dryRun };
    }

    public static Task<PruneResult> RunAsync(BackupRepository repository, PruneOptions options, CancellationToken cancellationToken) =>
        new MaintenanceService(repository).PruneAsync(options, progress: null, cancellationToken);

    /// <summary>"until DATE (a later prune removes it then)" for an object the storage refused to delete.</summary>
    public static string LockedUntil(Backup.Core.Storage.LockedObject locked) =>
        locked.RetainUntil is { } until ? $"until {Format.Time(until.ToUniversalTime())} UTC (a later run removes it then)" : "(legal hold or unknown date)";

    /// <summary>The human summary of a prune.</summary>
    public static async Task WriteAsync(OutputWriter output, PruneResult result)
    {
        var would = result.DryRun ? "would be " : "";
        await output.InfoAsync(result.DryRun ? "Prune (dry run, nothing changed):" : "Prune:").ConfigureAwait(false);
        await output.InfoAsync($"  snapshots kept:   {result.Snapshots}").ConfigureAwait(false);
        await output.InfoAsync($"  packs:            {result.PacksBefore} before, {result.PacksRemoved} {would}removed, {result.PacksRewritten} {would}rewritten" + (result.DryRun ? "" : $" into {result.PacksWritten} new")).ConfigureAwait(false);
        await output.InfoAsync($"  blobs:            {result.BlobsRemoved} {would}removed, {result.BlobsKept} kept").ConfigureAwait(false);
        if (result.UnindexedPacksKept > 0)
        {
            await output.InfoAsync($"  unindexed packs:  {result.UnindexedPacksKept} kept (newer than the grace period; a backup may still be writing them)").ConfigureAwait(false);
        }

        foreach (var locked in result.Locked)
        {
            await output.InfoAsync($"  locked, kept:     {locked.Key} {LockedUntil(locked)}").ConfigureAwait(false);
        }

        await output.InfoAsync($"  size:             {Format.Bytes(result.BytesBefore)} before, {Format.Bytes(result.BytesAfter)} after ({Format.Bytes(result.BytesFreed)} {would}freed)").ConfigureAwait(false);
        if (result.UnusedBytesKept > 0)
        {
            await output.InfoAsync($"  unused, kept:     {Format.Bytes(result.UnusedBytesKept)} in packs whose unused share is below --repack-threshold (0 rewrites them all)").ConfigureAwait(false);
        }

        await output.InfoAsync($"  duration:         {Format.Seconds(result.Duration)}").ConfigureAwait(false);
    }
}
