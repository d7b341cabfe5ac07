using System.Runtime.InteropServices;

namespace Backup.Cli.Tests;

/// <summary>Sends POSIX signals to child processes (no 'kill' binary needed).</summary>
internal static partial class Signals
{
    private const int SigInt = 2;
    private const int SigStop = 19;
    private const int SigCont = 18;

    public static void Interrupt(int processId)
    {
        if (Kill(processId, SigInt) != 0)
        {
            throw new InvalidOperationException($"kill({processId}, SIGINT) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    /// <summary>
    /// Whether <paramref name="processId"/> ignores SIGINT: a process started from a background job of a
    /// non-interactive shell (`cmd &amp;`, as some CI runners do) inherits SIGINT ignored, as do its children, and a
    /// well-behaved program keeps it that way; Ctrl+C cannot be tested there.
    /// </summary>
    public static bool IgnoresInterrupt(int processId)
    {
        var line = File.ReadLines($"/proc/{processId}/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << (SigInt - 1))) != 0;
    }

    /// <summary>Stops a process as a suspended laptop or a paused VM would: it runs nothing, timers included, until continued.</summary>
    public static void Stop(int processId) => Send(processId, SigStop, nameof(SigStop));

    public static void Continue(int processId) => Send(processId, SigCont, nameof(SigCont));

    private static void Send(int processId, int signal, string name)
    {
        if (Kill(processId, signal) != 0)
        {
            throw new InvalidOperationException($"kill({processId}, {name}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
