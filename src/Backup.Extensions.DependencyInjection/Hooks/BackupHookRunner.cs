using System.Diagnostics;
using Backup.Core.Pipeline;
using Microsoft.Extensions.Logging;

namespace Backup.Extensions.DependencyInjection;

/// <summary>A hook failed (exit code, exception or timeout) and its policy is Fail.</summary>
public sealed class BackupHookException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BackupHookException(string message, Exception? innerException = null) : base(message, innerException) { }

    /// <summary>Creates the exception.</summary>
    public BackupHookException() { }

    /// <summary>Creates the exception.</summary>
    public BackupHookException(string message) : base(message) { }
}

/// <summary>Runs a job's hooks in order with their timeouts and error policies.</summary>
internal sealed class BackupHookRunner(IServiceProvider services, ILogger<BackupHookRunner> logger, TimeProvider time)
{
    public async Task RunAsync(string jobName, string phase, IReadOnlyList<BackupHookOptions> hooks, BackupResult? result, ActivitySource activities, CancellationToken cancellationToken)
    {
        for (var i = 0; i < hooks.Count; i++)
        {
            var hook = hooks[i];
            var name = hook.Name ?? (hook.Command is null ? $"{phase} hook {i}" : Path.GetFileName(hook.Command));
            using var activity = activities.StartActivity("backup.hook");
            activity?.SetTag("job", jobName);
            activity?.SetTag("backup.hook.name", name);
            activity?.SetTag("backup.hook.phase", phase);
            // The timeout runs on the injected clock, so tests (and the scheduler's fake time) control it too.
            using var timer = new CancellationTokenSource(hook.Timeout, time);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
            var started = time.GetTimestamp();
            try
            {
                if (hook.Action is { } action)
                {
                    await action(new BackupHookContext { JobName = jobName, Phase = phase, Services = services, Result = result }, timeout.Token).ConfigureAwait(false);
                }
                else
                {
                    await RunCommandAsync(hook, timeout.Token).ConfigureAwait(false);
                }

                Log.HookSucceeded(logger, jobName, phase, name, time.GetElapsedTime(started).TotalSeconds);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                var reason = e is OperationCanceledException && timer.IsCancellationRequested
                    ? $"timed out after {hook.Timeout}"
                    : e.Message;
                activity?.SetStatus(ActivityStatusCode.Error, reason);
                if (hook.OnError == HookErrorPolicy.Continue)
                {
                    Log.HookFailedContinuing(logger, jobName, phase, name, reason);
                    continue;
                }

                throw new BackupHookException($"The {phase} hook '{name}' of job '{jobName}' failed: {reason}", e);
            }
        }
    }

    private static async Task RunCommandAsync(BackupHookOptions hook, CancellationToken cancellationToken)
    {
        // No shell: arguments go to the program one by one, so nothing in them is interpreted.
        var start = new ProcessStartInfo(hook.Command!)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            WorkingDirectory = hook.WorkingDirectory ?? string.Empty,
        };
        foreach (var argument in hook.Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The service's own secrets (repository passwords, cloud credentials) stay with it; the hook gets what a
        // program needs to run and the variables its options name.
        Backup.Providers.ChildEnvironment.Restrict(start.Environment, hook.Environment.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value)));

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"'{hook.Command}' did not start.");

        // Drain both pipes so a chatty hook cannot block on a full pipe; the output is not logged, as hooks
        // (database dumps, vault logins) may print secrets.
        var drainOut = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
        var drainErr = process.StandardError.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Exited between the timeout and the kill.
            }

            throw;
        }

        await Task.WhenAll(drainOut, drainErr).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{hook.Command}' exited with code {process.ExitCode}.");
        }
    }
}
