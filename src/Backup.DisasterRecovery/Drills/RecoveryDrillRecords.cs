using System.Runtime.CompilerServices;
using System.Text.Json;
using Backup.Core;
using Backup.Core.Repository;

namespace Backup.DisasterRecovery;

/// <summary>
/// Drill results kept with the backups: one encrypted record (kind <c>dr-drill</c>) per drill in the repository of
/// the system's first job, so the history survives the loss of the machine that ran the drills.
/// </summary>
public static class RecoveryDrillRecords
{
    /// <summary>The record kind drill results are stored under.</summary>
    public const string Kind = "dr-drill";

    /// <summary>Stores one drill result.</summary>
    public static async Task SaveAsync(BackupRepository repository, RecoveryDrillResult result, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(result);
        var json = JsonSerializer.SerializeToUtf8Bytes(result, DrillJson.Default.RecoveryDrillResult);
        await repository.Records.SaveAsync(Kind, json, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the stored drill results, oldest first, of <paramref name="system"/> (or of every system when null).
    /// Damaged records are reported through <paramref name="onError"/> and skipped; without it they throw.
    /// </summary>
    /// <exception cref="RepositoryCorruptException">A record is damaged or altered and no <paramref name="onError"/> was given.</exception>
    public static async IAsyncEnumerable<RecoveryDrillResult> ListAsync(BackupRepository repository, string? system = null, Action<string, Exception>? onError = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var results = new List<RecoveryDrillResult>();
        await foreach (var record in repository.Records.ListAsync(Kind, onError, cancellationToken).ConfigureAwait(false))
        {
            RecoveryDrillResult? result;
            try
            {
                result = JsonSerializer.Deserialize(record.Content.Span, DrillJson.Default.RecoveryDrillResult);
                if (result is not null)
                {
                    result = WithNoWarningsWhereNoneWereStored(result, record.Content);
                }

                if (result is not null && NullMember(result) is { } member)
                {
                    throw new JsonException($"its {member} is null, which no drill writes");
                }
            }
            catch (JsonException ex)
            {
                // Authenticated but unreadable: written by a newer, incompatible version, or by a bug.
                var problem = new RepositoryCorruptException($"Drill record {record.Id.ToShortString()} cannot be read: {ex.Message}", ex);
                if (onError is null)
                {
                    throw problem;
                }

                onError(record.Id.ToString(), problem);
                continue;
            }

            if (result is not null && (system is null || string.Equals(result.System, system, StringComparison.OrdinalIgnoreCase)))
            {
                results.Add(result);
            }
        }

        foreach (var result in results.OrderBy(r => r.StartedAt))
        {
            yield return result;
        }
    }

    /// <summary>
    /// Drills stored before steps had warnings have steps without a <c>warnings</c> member, which the serializer leaves
    /// null, as it does one written as null. Only the missing ones read as no warnings, so a null someone wrote is still
    /// refused as damaged (<see cref="NullMember"/>).
    /// </summary>
    private static RecoveryDrillResult WithNoWarningsWhereNoneWereStored(RecoveryDrillResult result, ReadOnlyMemory<byte> json)
    {
        if (result.Steps is null || !result.Steps.Any(step => step is { Warnings: null }))
        {
            return result;
        }

        using var document = JsonDocument.Parse(json);
        var stored = document.RootElement.GetProperty("steps").EnumerateArray().ToList();
        return result with
        {
            Steps = [.. result.Steps.Select((step, index) => step is { Warnings: null } && !stored[index].TryGetProperty("warnings", out _) ? step with { Warnings = [] } : step)],
        };
    }

    /// <summary>
    /// The member of a decoded result that is null where every drill writes a value, or null when none is: records are
    /// authenticated, but anyone who holds the password writes them, and what reads them (reports, the health check)
    /// relies on these.
    /// </summary>
    private static string? NullMember(RecoveryDrillResult result) =>
        result.System is null ? "system"
        : result.Host is null ? "host"
        : result.Steps is null || result.Steps.Any(step => step?.Name is null) ? "steps"
        : result.CleanedUp is null || result.CleanedUp.Any(item => item is null) ? "cleanedUp"
        : result.CleanupProblems is null || result.CleanupProblems.Any(item => item is null) ? "cleanupProblems"
        : result.Steps.Select((step, index) => step.Warnings is null || step.Warnings.Any(warning => warning is null) ? $"steps[{index}].warnings" : null).FirstOrDefault(member => member is not null);
}
