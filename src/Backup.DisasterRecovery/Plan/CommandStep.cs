namespace Backup.DisasterRecovery;

/// <summary>
/// Runs a program (no shell) and fails when it exits non-zero. A drill runs <see cref="DrillRun"/> when given, the
/// real <see cref="Run"/> only when <see cref="SafeInDrill"/> says it is harmless, and skips the step otherwise.
/// Secrets reach the program through its environment (inherited) or files, never through the plan.
/// </summary>
public sealed class CommandStep
{
    /// <summary>The program and its arguments (the first item is the program). Required.</summary>
    public List<string> Run { get; } = [];

    /// <summary>What a drill runs instead (the program and its arguments).</summary>
    public List<string> DrillRun { get; } = [];

    /// <summary>Whether a drill may run <see cref="Run"/> itself (it changes nothing outside the scratch targets).</summary>
    public bool SafeInDrill { get; set; }

    /// <summary>The working directory (default: the current one).</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>Extra environment variables (names to values; not for secrets, which the environment or files provide).</summary>
    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);
}
