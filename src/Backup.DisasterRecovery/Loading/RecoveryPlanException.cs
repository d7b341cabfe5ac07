namespace Backup.DisasterRecovery;

/// <summary>A plan file could not be read or bound: every problem, each naming its setting (and line, in YAML).</summary>
public sealed class RecoveryPlanException : Exception
{
    /// <summary>Creates the exception for <paramref name="source"/> (the plan file) with its <paramref name="errors"/>.</summary>
    public RecoveryPlanException(string source, IReadOnlyList<string> errors)
        : base(Format(source, errors ?? []))
    {
        Errors = errors ?? [];
    }

    /// <summary>Creates the exception with one message.</summary>
    public RecoveryPlanException(string message)
        : this("plan", [message])
    {
    }

    /// <summary>Creates the exception with one message and its cause.</summary>
    public RecoveryPlanException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [message];
    }

    /// <summary>Creates the exception with a default message.</summary>
    public RecoveryPlanException()
        : this("the plan is not valid.")
    {
    }

    private static string Format(string source, IReadOnlyList<string> errors) => errors.Count switch
    {
        0 => $"{source}: the plan is not valid.",
        1 => $"{source}: {errors[0]}",
        _ => $"{source}: {errors.Count} problems:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", errors)}",
    };

    /// <summary>Each problem, starting with the setting's path ("Systems:shop:Rpo: …").</summary>
    public IReadOnlyList<string> Errors { get; }
}
