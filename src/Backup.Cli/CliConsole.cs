using System.Text;

namespace Backup.Cli;

/// <summary>The process's standard streams, terminal state and environment, passed to every command (no static state).</summary>
internal sealed class CliConsole
{
    public required TextWriter Out { get; init; }

    public required TextWriter Error { get; init; }

    public required Func<Stream> OpenStandardInput { get; init; }

    public required Func<Stream> OpenStandardOutput { get; init; }

    /// <summary>Whether standard input is not a terminal (so no prompt is possible).</summary>
    public required bool IsInputRedirected { get; init; }

    /// <summary>Whether standard output is not a terminal (so binary data may be written to it).</summary>
    public required bool IsOutputRedirected { get; init; }

    /// <summary>Whether standard error is not a terminal (so no progress is drawn).</summary>
    public required bool IsErrorRedirected { get; init; }

    public required Func<string, string?> GetEnvironmentVariable { get; init; }

    /// <summary>Prompts on stderr and reads a line from the terminal without echo.</summary>
    public required Func<string, string> ReadSecret { get; init; }

    /// <summary>The real console.</summary>
    public static CliConsole FromSystem() => new()
    {
        Out = Console.Out,
        Error = Console.Error,
        OpenStandardInput = Console.OpenStandardInput,
        OpenStandardOutput = Console.OpenStandardOutput,
        IsInputRedirected = Console.IsInputRedirected,
        IsOutputRedirected = Console.IsOutputRedirected,
        IsErrorRedirected = Console.IsErrorRedirected,
        GetEnvironmentVariable = Environment.GetEnvironmentVariable,
        ReadSecret = ReadSecretFromTerminal,
    };

    private static string ReadSecretFromTerminal(string prompt)
    {
        Console.Error.Write(prompt);
        var secret = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (secret.Length > 0)
                {
                    secret.Length--;
                }
            }
            else if (key.KeyChar != '\0')
            {
                secret.Append(key.KeyChar);
            }
        }

        Console.Error.WriteLine();
        return secret.ToString();
    }
}
