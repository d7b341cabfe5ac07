using System.Runtime.InteropServices;
using Backup.Cli;

// Ctrl+C (or SIGTERM) cancels the running command, which stops cleanly and exits 130. A second one ends the process
// at once, unless it comes within a second of the first: timeout(1) signals the process and then its process group,
// and a terminal's Ctrl+C reaches every process of the group, so one interruption can arrive twice.
using var interrupt = new CancellationTokenSource();
var firstInterrupt = 0L;
void Cancel(PosixSignalContext context)
{
    if (!interrupt.IsCancellationRequested)
    {
        context.Cancel = true;
        Interlocked.Exchange(ref firstInterrupt, Environment.TickCount64);
        interrupt.Cancel();
    }
    else if (Environment.TickCount64 - Interlocked.Read(ref firstInterrupt) < 1000)
    {
        context.Cancel = true;
    }
    else
    {
        Console.Error.WriteLine("backup: interrupted again: stopping at once. A lock this command held may stay in the repository until it goes stale; `backup unlock` removes it once no other process uses the repository.");
        CliConsole.LeaveKeypadMode(Console.IsOutputRedirected);
    }
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
try
{
    return await new CliApp(CliConsole.FromSystem(interrupt.Token)).RunAsync(args, interrupt.Token).ConfigureAwait(false);
}
finally
{
    CliConsole.LeaveKeypadMode(Console.IsOutputRedirected);
}
