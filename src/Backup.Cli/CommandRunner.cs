using System.CommandLine;
using System.CommandLine.Parsing;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Restore;
using Backup.Core.Storage;

namespace Backup.Cli;

/// <summary>Runs a verb's body and turns every failure into one clear line on stderr and an exit code (see <see cref="ExitCodes"/>).</summary>
internal sealed class CommandRunner(GlobalOptions options, CliConsole console)
{
    /// <summary>Sets <paramref name="command"/>'s action to <paramref name="body"/>, wrapped in the error handling.</summary>
    public void Bind(Command command, Func<CommandContext, CancellationToken, Task<int>> body) =>
        command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult, body, cancellationToken));

    public async Task<int> RunAsync(ParseResult parseResult, Func<CommandContext, CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        var verbose = parseResult.GetValue(options.Verbose);
        var json = parseResult.GetValue(options.Json);
        CommandContext? context = null;
        try
        {
            context = new CommandContext(parseResult, options, console);
            return await body(context, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException interruption) when (cancellationToken.IsCancellationRequested)
        {
            var message = InterruptAdvice.For(Verb(parseResult.CommandResult), parseResult.CommandResult, interruption);
            await console.Error.WriteLineAsync(json ? ErrorLine("interrupted", ExitCodes.Interrupted, message) : $"backup: {TerminalText.Escape(message)}").ConfigureAwait(false);
            return ExitCodes.Interrupted;
        }
        catch (Exception ex)
        {
            var code = ExitCodeFor(ex);
            var message = OneLine(CliAdvice.Describe(ex, Verb(parseResult.CommandResult)));
            var kind = code == ExitCodes.Usage ? "usage error" : "error";
            // Messages embed stored names (a lock's host, a key's label, a file's path): escaped like all human output,
            // and by the JSON encoder with --json (control characters and everything outside ASCII as \u escapes).
            await console.Error.WriteLineAsync(json ? ErrorLine(kind, code, message) : $"backup: {kind}: {TerminalText.Escape(message)}").ConfigureAwait(false);
            if (verbose)
            {
                await console.Error.WriteLineAsync(TerminalText.EscapeLines(ex.ToString())).ConfigureAwait(false);
            }

            return code;
        }
        finally
        {
            if (context is not null)
            {
                await context.Trace.WriteSummaryAsync(console.Error).ConfigureAwait(false);
                await context.Timings.WriteSummaryAsync(console.Error).ConfigureAwait(false);
                context.Timings.Dispose();
            }
        }
    }

    /// <summary>The command for advice: "dr drill" for a subcommand of dr, whose repositories are the plan's, else its own name ("prune").</summary>
    private static string Verb(CommandResult command) =>
        command.Parent is CommandResult { Command.Name: "dr" } ? $"dr {command.Command.Name}" : command.Command.Name;

    /// <summary>The exit code for a failure.</summary>
    public static int ExitCodeFor(Exception exception) => exception switch
    {
        CliUsageException => ExitCodes.Usage,
        // The repository is fine and the storage too: this run's settings lack the lock the repository was created with.
        RetentionLockRequiredException => ExitCodes.Usage,
        RepositoryNotFoundException => ExitCodes.RepositoryNotFound,
        WrongPasswordException => ExitCodes.WrongPassword,
        RepositoryCorruptException => ExitCodes.RepositoryDamaged,
        StandardOutputWriteException { IsFull: true } => ExitCodes.StorageFull,
        StorageFullException or RestoreTargetFullException or RepositoryLockNotWritableException { InnerException: StorageFullException } => ExitCodes.StorageFull,
        RepositoryException or BackupTargetException or BackupSourceException or IOException
            or UnauthorizedAccessException or ArgumentException or InvalidDataException => ExitCodes.Error,
        _ => ExitCodes.Error,
    };

    /// <summary>
    /// A failure as one line of JSON for stderr, for --json: what a script reads when stdout holds nothing (restic's
    /// --json reports its errors the same way).
    /// </summary>
    private static string ErrorLine(string kind, int exitCode, string message)
    {
        var line = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new System.Text.Json.Utf8JsonWriter(line))
        {
            writer.WriteStartObject();
            writer.WriteString("error", kind);
            writer.WriteNumber("exitCode", exitCode);
            writer.WriteString("message", message);
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(line.WrittenSpan);
    }

    private static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
