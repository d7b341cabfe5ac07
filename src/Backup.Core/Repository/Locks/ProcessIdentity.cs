using System.Diagnostics;
using System.Globalization;

namespace Backup.Core.Repository.Locks;

/// <summary>
/// Which process on this host holds a lock, precisely enough to tell when it has ended: its id alone is not enough,
/// since ids are reused. On Linux the identity is the boot (<c>/proc/sys/kernel/random/boot_id</c>, so a reboot ends
/// every process of the previous one) and the start time in clock ticks since boot (field 22 of
/// <c>/proc/PID/stat</c>); elsewhere the start time from <see cref="Process.StartTime"/> in UTC ticks.
/// </summary>
internal sealed record ProcessIdentity(string? BootId, long StartTime)
{
    private const string BootIdPath = "/proc/sys/kernel/random/boot_id";

    /// <summary>This process's identity, or null where the platform does not tell.</summary>
    public static ProcessIdentity? Current() => Of(Environment.ProcessId, ReadBootId());

    /// <summary>
    /// Whether the process a lock names (by <paramref name="processId"/> and <paramref name="recorded"/>, on this host)
    /// is certainly gone, and why; null when it runs or may run (it cannot be looked at). Without a recorded identity
    /// (a lock of an older version) only a process id that no process has is certain.
    /// </summary>
    public static string? WhyGone(int processId, ProcessIdentity? recorded)
    {
        var bootId = ReadBootId();
        if (recorded?.BootId is not null && bootId is not null && !string.Equals(recorded.BootId, bootId, StringComparison.Ordinal))
        {
            return "this host restarted since";
        }

        if (recorded is not null && recorded.BootId is not null != bootId is not null)
        {
            // Recorded under another way of telling processes apart (another platform sharing the host name).
            return null;
        }

        if (processId <= 0)
        {
            return null;
        }

        if (!Exists(processId))
        {
            return $"process {processId} no longer runs";
        }

        if (OperatingSystem.IsLinux() && LinuxStat(processId) is { State: 'Z' or 'X' } && OnlyItsMainThread(processId))
        {
            // Its id stays taken until the parent reaps it, which an init that never does (a container's) never does.
            return $"process {processId} has ended (its parent has not reaped it)";
        }

        return recorded is not null && Of(processId, bootId) is { } now && now.StartTime != recorded.StartTime
            ? $"process {processId} is another process started later (the id was reused)"
            : null;
    }

    private static ProcessIdentity? Of(int processId, string? bootId)
    {
        if (OperatingSystem.IsLinux())
        {
            return bootId is not null && LinuxStat(processId) is { } stat ? new ProcessIdentity(bootId, stat.StartTime) : null;
        }

        try
        {
            using var process = Process.GetProcessById(processId);
            return new ProcessIdentity(null, process.StartTime.ToUniversalTime().Ticks);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return null;
        }
    }

    private static bool Exists(int processId)
    {
        if (OperatingSystem.IsLinux())
        {
            return Directory.Exists("/proc/" + processId.ToString(CultureInfo.InvariantCulture));
        }

        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            // Cannot be looked at: it may run.
            return true;
        }
    }

    /// <summary>
    /// Fields 3 (the state: R, S, D, Z for a zombie, X for dead…) and 22 (the start time) of /proc/PID/stat, counted
    /// after the command name (which may hold spaces and parentheses); null when the process cannot be looked at.
    /// </summary>
    private static (char State, long StartTime)? LinuxStat(int processId)
    {
        string stat;
        try
        {
            stat = File.ReadAllText("/proc/" + processId.ToString(CultureInfo.InvariantCulture) + "/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var end = stat.LastIndexOf(')');
        if (end < 0)
        {
            return null;
        }

        // After ") " come field 3 (state) onwards: field 22 is the 20th.
        var fields = stat[(end + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 19 && fields[0].Length == 1 && long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            ? (fields[0][0], ticks)
            : null;
    }

    /// <summary>
    /// Whether the process has no thread but its first: a first thread that exited while others run also reads as a
    /// zombie, though the process still runs. Unreadable means it may have more.
    /// </summary>
    private static bool OnlyItsMainThread(int processId)
    {
        try
        {
            return Directory.GetDirectories("/proc/" + processId.ToString(CultureInfo.InvariantCulture) + "/task").Length <= 1;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string? ReadBootId()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            return File.ReadAllText(BootIdPath).Trim() is { Length: > 0 } id ? id : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
