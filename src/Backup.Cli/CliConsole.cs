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

    /// <summary>The real console; a prompt gives up, throwing <see cref="OperationCanceledException"/>, when <paramref name="interrupted"/> fires (Ctrl+C, SIGTERM).</summary>
    public static CliConsole FromSystem(CancellationToken interrupted) => new()
    {
        Out = new StandardOutputWriter(Console.Out),
        Error = Console.Error,
        OpenStandardInput = Console.OpenStandardInput,
        OpenStandardOutput = StandardOutput.Open,
        IsInputRedirected = Console.IsInputRedirected,
        IsOutputRedirected = Console.IsOutputRedirected,
        IsErrorRedirected = Console.IsErrorRedirected,
        GetEnvironmentVariable = Environment.GetEnvironmentVariable,
        ReadSecret = prompt => ReadSecretFromTerminal(prompt, interrupted),
    };

    private static string ReadSecretFromTerminal(string prompt, CancellationToken interrupted)
    {
        Console.Error.Write(prompt);

        // The signal handler only cancels, so that a running command can stop cleanly; a ReadKey blocked on the
        // terminal never sees that, and the first Ctrl+C (or SIGTERM) at the prompt did nothing. The keys are read on
        // a thread of their own, and an interrupt leaves it blocked there while the command ends (exit 130).
        string? secret = null;
        Exception? failure = null;
        var done = new ManualResetEventSlim();
        var reader = new Thread(() =>
        {
            try
            {
                secret = ReadLineWithoutEcho();
            }
            catch (Exception ex)
            {
                failure = ex;
            }
            finally
            {
                done.Set();
            }
        })
        { IsBackground = true, Name = "password prompt" };
        reader.Start();
        try
        {
            done.Wait(interrupted);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine();
            throw;
        }

        Console.Error.WriteLine();
        return failure is null ? secret! : throw new IOException($"Could not read the password from the terminal: {failure.Message}", failure);
    }

    /// <summary>
    /// Takes the terminal out of the application keypad and cursor-key mode that .NET's console switches it to (on any
    /// verb, through the controlling terminal even when the output is redirected) and never back: left on, arrow keys
    /// typed into the shell afterwards reach some programs as other codes. Not when the output is redirected, since
    /// it may go to a pager that set the mode for itself; written to the controlling terminal, as .NET's was.
    /// </summary>
    public static void LeaveKeypadMode(bool outputRedirected)
    {
        if (outputRedirected || OperatingSystem.IsWindows() || Environment.GetEnvironmentVariable("TERM") is null or "" or "dumb")
        {
            return;
        }

        try
        {
            using var terminal = new FileStream("/dev/tty", FileMode.Open, FileAccess.Write);
            terminal.Write("\u001b[?1l\u001b>"u8);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // No controlling terminal: nothing was switched either.
        }
    }

    private static string ReadLineWithoutEcho()
    {
        var secret = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                return secret.ToString();
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
    }
}
