using Backup.Core.Storage;

namespace Backup.Cli;

/// <summary>
/// Opt-in storage call counting (<c>BACKUP_TRACE_REQUESTS=1</c>): wraps each target a command opens in a
/// <see cref="CountingTarget"/> (inside the retry layer, so retried attempts count) and prints one summary line
/// per target on stderr when the command ends.
/// </summary>
internal sealed class RequestTrace
{
    public const string Variable = "BACKUP_TRACE_REQUESTS";

    private readonly List<CountingTarget> _targets = [];

    public RequestTrace(Func<string, string?> environment) =>
        Enabled = environment(Variable) is "1" or "true" or "yes";

    public bool Enabled { get; }

    /// <summary>The target itself, or a counting decorator around it when tracing is on.</summary>
    public IBackupTarget Wrap(IBackupTarget target)
    {
        if (!Enabled)
        {
            return target;
        }

        var counting = new CountingTarget(target);
        lock (_targets)
        {
            _targets.Add(counting);
        }

        return counting;
    }

    public async Task WriteSummaryAsync(TextWriter error)
    {
        CountingTarget[] targets;
        lock (_targets)
        {
            targets = [.. _targets];
        }

        foreach (var target in targets)
        {
            await error.WriteLineAsync($"backup: requests to {target.Description}: {target}").ConfigureAwait(false);
        }
    }
}
