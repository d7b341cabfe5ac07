using System.Diagnostics;

namespace Backup.Cli.Tests;

/// <summary>Runs the tool and stops it as Ctrl+C would, for the tests of what an interrupted command says and leaves.</summary>
internal static class InterruptedRun
{
    /// <summary>
    /// Runs the tool with <paramref name="args"/>, waits for <paramref name="ready"/> (each test decides when: after a
    /// fixed delay, or once the work it interrupts is under way), sends it SIGINT <paramref name="interrupts"/> times at
    /// once and waits up to <paramref name="exitWithin"/> for it to exit. Where the test run ignores SIGINT (started from
    /// a background job), so does the tool: it is killed and the test skipped.
    /// </summary>
    public static async Task<CliResult> RunInterruptedAsync(
        this CliRunner cli, string[] args, byte[]? stdin, Dictionary<string, string?>? environment, Func<Process, Task> ready, TimeSpan exitWithin, int interrupts = 1)
    {
        var ignored = false;
        var result = await cli.RunAsync(args, stdin, environment, async process =>
        {
            await ready(process);
            if (Signals.IgnoresInterrupt(process.Id))
            {
                ignored = true;
                process.Kill();
                return;
            }

            for (var i = 0; i < interrupts; i++)
            {
                Signals.Interrupt(process.Id);
            }

            await process.WaitForExitAsync().WaitAsync(exitWithin);
        });

        Skip.If(ignored, "this test run ignores SIGINT (started from a background job), so the tool it starts does too, as it should");
        return result;
    }
}
