namespace Backup.Cli;

/// <summary>The command line is well-formed but asks for something contradictory or incomplete; exits with <see cref="ExitCodes.Usage"/>.</summary>
internal sealed class CliUsageException(string message) : Exception(message);
