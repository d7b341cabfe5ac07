using System.ComponentModel;
using System.Diagnostics;

namespace Backup.DisasterRecovery;

/// <summary>
/// Runs a command step's program (no shell: each argument goes to it as is) and keeps the tail of its standard output
/// and error. The program inherits the environment (that is where its secrets come from) plus the step's variables and
/// the drill's own (<see cref="ScratchDirectoryVariable"/>). It is killed, with its children, when the step times out
/// or the drill is cancelled.
/// </summary>
internal static class DrillCommand
{
    /// <summary>The variable naming the drill's scratch directory, so a drill command can work on what was restored.</summary>
    public const string ScratchDirectoryVariable = "BACKUP_DR_SCRATCH";

    /// <summary>The exit code and the output's tail.</summary>
    public sealed record Outcome(int ExitCode, string? Output);

    public static async Task<Outcome> RunAsync(IReadOnlyList<string> command, CommandStep step, IReadOnlyDictionary<string, string> drillVariables, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(command[0])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = step.WorkingDirectory ?? string.Empty,
        };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in step.Environment.Concat(drillVariables))
        {
            start.Environment[name] = value;
        }

        var tail = new OutputTail();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => tail.AppendLine(e.Data);
        process.ErrorDataReceived += (_, e) => tail.AppendLine(e.Data);
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException($"'{command[0]}' did not start: {ex.Message}", ex);
        }

        // Nothing to read: a program waiting for input sees its end instead of hanging the step.
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
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
                // Exited between the cancellation and the kill.
            }

            throw;
        }

        // The parameterless wait returns once the redirected streams are drained, so the tail is complete.
        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        return new Outcome(process.ExitCode, tail.ToString());
    }
}
