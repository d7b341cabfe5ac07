using System.Runtime.InteropServices;
using Backup.Cli;

// Ctrl+C (or SIGTERM) cancels the running command, which stops cleanly and exits 130; a second Ctrl+C ends the process at once.
using var interrupt = new CancellationTokenSource();
void Cancel(PosixSignalContext context)
{
    if (!interrupt.IsCancellationRequested)
    {
        context.Cancel = true;
        interrupt.Cancel();
    }
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
return await new CliApp(CliConsole.FromSystem(interrupt.Token)).RunAsync(args, interrupt.Token).ConfigureAwait(false);
