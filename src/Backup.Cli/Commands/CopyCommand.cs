using System.CommandLine;
using System.Text.Json.Serialization;
using Backup.Core.Replication;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core;

namespace Backup.Cli.Commands;

/// <summary>
/// <c>backup copy --from REPO_A --to REPO_B [SNAPSHOT...]</c>: copies snapshots (all by default) into another
/// repository with its own password, storing only the data it lacks; snapshots copied before are skipped.
/// </summary>
internal static class CopyCommand
{
    public static Command Create(CommandRunner runner)
    {
        var from = new Option<string?>("--from")
        {
            Description = "The source repository (a directory or URL, as for --repo). Default: --repo, then $BACKUP_REPOSITORY. Its password: --password-file, $BACKUP_PASSWORD_FILE, $BACKUP_PASSWORD or a prompt.",
            HelpName = "LOCATION",
        };
        var to = new Option<string>("--to")
        {
            Description = "The destination repository (a directory or URL); it must exist ('backup init'). Its password: --destination-password-file, $BACKUP_DESTINATION_PASSWORD_FILE, $BACKUP_DESTINATION_PASSWORD or a prompt.",
            HelpName = "LOCATION",
            Required = true,
        };
        var destinationPasswordFile = new Option<FileInfo?>("--destination-password-file")
        {
            Description = "Read the destination repository's password from the first line of FILE. Default: the file $BACKUP_DESTINATION_PASSWORD_FILE names, else $BACKUP_DESTINATION_PASSWORD, else a prompt.",
            HelpName = "FILE",
        };
        var snapshotsArgument = new Argument<string[]>("SNAPSHOT")
        {
            Description = "Snapshots to copy: IDs (a unique prefix of at least 4 digits) or 'latest'. Default: every snapshot.",
            Arity = ArgumentArity.ZeroOrMore,
            Validators = { SnapshotIds.Validate },
        };
        var noLock = new Option<bool>("--no-lock") { Description = "Take no lock on the source, for a source on read-only media; a prune of the source running meanwhile could delete what the copy reads. The destination is always locked." };
        var command = new Command("copy", "Copy snapshots to another repository (with its own password), storing only the data it lacks. Snapshots copied before are skipped.")
        {
            from, to, destinationPasswordFile, noLock, snapshotsArgument,
        };
        runner.Bind(command, async (context, ct) =>
        {
            var sourceLocation = context.Get(from) is { Length: > 0 } given ? given : RepositoryTargets.ResolveLocation(context);
            var destinationLocation = context.Get(to)!;
            // The destination first: it is the one most often remote, so its settings are checked even when the source is missing.
            var destinationTarget = context.CreateTarget(destinationLocation, create: false);
            // --retention-lock is for what the copy stores: a local or SFTP source must not make it a usage error.
            var sourceTarget = context.CreateTarget(sourceLocation, create: false, storesLockedObjects: false);

            // Fail on a missing repository, or the same one twice, before asking for any password.
            var sourceConfig = await BackupRepository.ReadConfigAsync(sourceTarget, ct).ConfigureAwait(false);
            var destinationConfig = await BackupRepository.ReadConfigAsync(destinationTarget, ct).ConfigureAwait(false);
            if (sourceConfig.Id == destinationConfig.Id)
            {
                throw new CliUsageException($"The source and destination are the same repository ({sourceConfig.Id}).");
            }

            var passwords = new PasswordResolver(context.Console);
            BackupRepository source;
            using (var credentials = passwords.Resolve(context.PasswordFile))
            {
                source = await BackupRepository.OpenAsync(sourceTarget, credentials, ct).ConfigureAwait(false);
            }

            await using var sourceScope = source.ConfigureAwait(false);
            BackupRepository destination;
            using (var credentials = passwords.ResolveDestination(context.Get(destinationPasswordFile)))
            {
                destination = await BackupRepository.OpenAsync(destinationTarget, credentials, ct).ConfigureAwait(false);
            }

            await using var destinationScope = destination.ConfigureAwait(false);
            destination.RequireRetentionLockForWriting();
            LockSettings.Apply(context, source);
            LockSettings.Apply(context, destination);
            List<Snapshot>? selected = null;
            if (context.Get(snapshotsArgument) is { Length: > 0 } ids)
            {
                selected = [];
                foreach (var id in ids)
                {
                    var snapshot = await SnapshotArgument.FindAsync(context, source, id, ct).ConfigureAwait(false);
                    if (!selected.Any(s => s.Id == snapshot.Id))
                    {
                        selected.Add(snapshot);
                    }
                }
            }

            var result = await new RepositoryCopier(source, destination) { LockSource = !context.Get(noLock) }.CopyAsync(selected, progress: null, ct).ConfigureAwait(false);
            var output = CopyOutput.From(sourceTarget.Description, destinationTarget.Description, result);
            if (context.Json)
            {
                await context.Output.WriteJsonAsync(output, CopyJson.Default.CopyOutput).ConfigureAwait(false);
            }
            else
            {
                foreach (var copied in output.Copied)
                {
                    await context.Output.InfoAsync($"copied  {Short(copied.SourceId)} -> {Short(copied.NewId)}  {Format.Time(copied.Time)}  {string.Join(' ', copied.Paths)}").ConfigureAwait(false);
                }

                foreach (var skipped in output.Skipped)
                {
                    await context.Output.InfoAsync($"skipped {Short(skipped.SourceId)} (already in the destination)").ConfigureAwait(false);
                }

                await context.Output.InfoAsync(
                    $"{output.Copied.Count} snapshot(s) copied, {output.Skipped.Count} skipped; {output.BlobsAdded} blob(s) added, {Format.Bytes(output.BytesStored)} stored in {Format.Seconds(result.Duration)}.").ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static string Short(string id) => id.Length > 8 ? id[..8] : id;
}

/// <summary>The JSON of <c>backup copy --json</c>, in its own context so the verb stays in its own files.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(CopyOutput))]
internal sealed partial class CopyJson : JsonSerializerContext;

internal sealed record CopiedSnapshotOutput(string SourceId, string NewId, DateTimeOffset Time, IReadOnlyList<string> Paths);

internal sealed record SkippedSnapshotOutput(string SourceId, DateTimeOffset Time);

internal sealed record CopyOutput(
    string Source, string Destination, IReadOnlyList<CopiedSnapshotOutput> Copied, IReadOnlyList<SkippedSnapshotOutput> Skipped,
    long BlobsAdded, long BytesStored, double DurationSeconds)
{
    public static CopyOutput From(string source, string destination, CopyResult result) => new(
        source,
        destination,
        [.. result.Copied.Select(s => new CopiedSnapshotOutput(SourceIdOf(s), s.Id.ToString(), s.Time, s.Paths))],
        [.. result.Skipped.Select(s => new SkippedSnapshotOutput(s.Id.ToString(), s.Time))],
        result.BlobsAdded,
        result.BytesStored,
        result.Duration.TotalSeconds);

    /// <summary>The source snapshot's ID, from the origin the copier records ("repository-id:snapshot-id").</summary>
    private static string SourceIdOf(Snapshot copy) =>
        copy.Metadata.TryGetValue(RepositoryCopier.OriginKey, out var origin) && origin.LastIndexOf(':') is var colon and >= 0 ? origin[(colon + 1)..] : string.Empty;
}
