namespace Backup.Providers;

/// <summary>
/// The environment a child process (a database client tool, a hook command) starts with: only the variables such a
/// program needs to run (search path, home, user, locale, time zone, temporary directory, the platform's own), the
/// database clients' own settings (PG*, MYSQL*, MARIADB*, Kerberos, TLS trust), and what the caller sets. The
/// process's secrets (BACKUP_PASSWORD, cloud credentials such as AWS_* and AZURE_*, anything else it was given)
/// do not reach a program that has no use for them and could leak them (a core dump, /proc/PID/environ, a log).
/// </summary>
internal static class ChildEnvironment
{
    private static readonly HashSet<string> Names = new(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal)
    {
        "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP", "TERM",
        "LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH", "SSL_CERT_FILE", "SSL_CERT_DIR", "XDG_RUNTIME_DIR",

        // Windows: a process cannot even load its libraries or find its profile without these.
        "SystemRoot", "SystemDrive", "windir", "ComSpec", "PATHEXT", "USERPROFILE", "USERNAME", "USERDOMAIN",
        "APPDATA", "LOCALAPPDATA", "ProgramData", "ProgramFiles", "ProgramFiles(x86)", "ProgramW6432",
        "CommonProgramFiles", "CommonProgramFiles(x86)", "CommonProgramW6432", "COMPUTERNAME", "OS",
        "NUMBER_OF_PROCESSORS", "PROCESSOR_ARCHITECTURE",
    };

    // libpq (PGHOST, PGSSLMODE, PGPASSFILE, …), the MySQL and MariaDB clients, locale categories, Kerberos.
    private static readonly string[] Prefixes = ["LC_", "PG", "MYSQL", "MARIADB", "KRB5"];

    /// <summary>Whether a variable of the current process may pass to a child.</summary>
    public static bool IsPassedOn(string name) =>
        Names.Contains(name) || Prefixes.Any(p => name.StartsWith(p, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal));

    /// <summary>
    /// Removes from <paramref name="environment"/> (a ProcessStartInfo's, filled from this process) every variable
    /// not passed on, then sets <paramref name="variables"/>.
    /// </summary>
    public static void Restrict(IDictionary<string, string?> environment, IEnumerable<KeyValuePair<string, string?>>? variables = null)
    {
        foreach (var name in environment.Keys.Where(n => !IsPassedOn(n)).ToList())
        {
            environment.Remove(name);
        }

        foreach (var (name, value) in variables ?? [])
        {
            environment[name] = value;
        }
    }
}
