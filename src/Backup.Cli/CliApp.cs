using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Backup.Cli.Commands;

namespace Backup.Cli;

/// <summary>Builds the <c>backup</c> command tree and runs it; exit codes are listed in <see cref="ExitCodes"/>.</summary>
internal sealed class CliApp
{
    private readonly CliConsole _console;
    private readonly RootCommand _root;

    public CliApp(CliConsole console)
    {
        _console = console;
        var options = new GlobalOptions();
        var runner = new CommandRunner(options, console);
        _root = new RootCommand("backup: encrypted, compressed, deduplicated backups of directories, databases (PostgreSQL, MariaDB/MySQL, SQLite) and piped streams.");
        foreach (var option in options.All)
        {
            _root.Options.Add(option);
        }

        _root.Subcommands.Add(InitCommand.Create(runner));
        _root.Subcommands.Add(CreateCommand.Create(runner));
        _root.Subcommands.Add(SnapshotsCommand.Create(runner));
        _root.Subcommands.Add(PinCommand.Create(runner, pin: true));
        _root.Subcommands.Add(PinCommand.Create(runner, pin: false));
        _root.Subcommands.Add(LsCommand.Create(runner));
        _root.Subcommands.Add(DiffCommand.Create(runner));
        _root.Subcommands.Add(RestoreCommand.Create(runner));
        _root.Subcommands.Add(DumpCommand.Create(runner));
        _root.Subcommands.Add(KeyCommand.Create(runner));
        _root.Subcommands.Add(StatsCommand.Create(runner));
        _root.Subcommands.Add(ForgetCommand.Create(runner));
        _root.Subcommands.Add(PruneCommand.Create(runner));
        _root.Subcommands.Add(CheckCommand.Create(runner));
        _root.Subcommands.Add(RepairCommand.Create(runner));
        _root.Subcommands.Add(VerifyCommand.Create(runner));
        _root.Subcommands.Add(CopyCommand.Create(runner));
        _root.Subcommands.Add(UnlockCommand.Create(runner));
        _root.Subcommands.Add(RetentionLockCommand.Create(runner));
        _root.Subcommands.Add(DrCommand.Create(runner));

        var help = _root.Options.OfType<HelpOption>().Single();
        help.Action = new HelpWithEpilogAction((HelpAction)help.Action!, console);
    }

    public RootCommand Root => _root;

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        // 'backup help [COMMAND...]' is what git, go and cargo users type: the same help as 'backup [COMMAND...] --help'.
        if (args is ["help", .. var helpFor])
        {
            args = [.. helpFor, "--help"];
        }

        // No response files: a path starting with '@' is a path.
        var parseResult = _root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        var command = parseResult.CommandResult.Command;
        var verb = string.Join(' ', Chain(parseResult.CommandResult).Select(c => c == _root ? "backup" : c.Name));

        // An unknown verb is a usage error even with --help, whose action would otherwise print the parent's help and succeed.
        if (command.Subcommands.Count > 0 && parseResult.UnmatchedTokens is [var unknown, ..] && !unknown.StartsWith('-'))
        {
            var closest = Nearest.Of(unknown, command.Subcommands.Select(c => c.Name));
            await _console.Error.WriteLineAsync(TerminalText.Escape(
                $"backup: usage error: '{unknown}' is not a '{verb}' command{(closest is null ? "." : $"; did you mean '{verb} {closest}'?")}")).ConfigureAwait(false);
            await _console.Error.WriteLineAsync($"Run '{verb} --help' for the list.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        var problems = UsageErrors.EmptyAttachedValue(args) is { } empty
            ? [empty]
            : parseResult.Errors.Count > 0 && parseResult.Action is ParseErrorAction
                ? UsageErrors.Describe(parseResult, command, _root)
                : UsageErrors.OptionsTakenAsArguments(parseResult, command, _root);
        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                await _console.Error.WriteLineAsync(TerminalText.Escape($"backup: usage error: {problem}")).ConfigureAwait(false);
            }

            await _console.Error.WriteLineAsync($"Run '{verb} --help' for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        var configuration = new InvocationConfiguration
        {
            Output = _console.Out,
            Error = _console.Error,
            EnableDefaultExceptionHandler = false,
            // Program handles Ctrl+C and passes it in as cancellationToken.
            ProcessTerminationTimeout = null,
        };
        try
        {
            return await parseResult.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        }
        catch (StandardOutputWriteException ex)
        {
            // Help (and --version) are written outside the command runner, which reports every verb's failures.
            await _console.Error.WriteLineAsync($"backup: error: {ex.Message}{CliAdvice.For(ex, verb)}").ConfigureAwait(false);
            return CommandRunner.ExitCodeFor(ex);
        }
    }

    /// <summary>The commands from the root down to <paramref name="result"/>'s (<c>backup key add</c>).</summary>
    private static Stack<Command> Chain(CommandResult result)
    {
        var chain = new Stack<Command>();
        for (SymbolResult? at = result; at is not null; at = at.Parent)
        {
            if (at is CommandResult commandResult)
            {
                chain.Push(commandResult.Command);
            }
        }

        return chain;
    }

    /// <summary>The standard help followed by the exit-code and environment table.</summary>
    private sealed class HelpWithEpilogAction(HelpAction inner, CliConsole console) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var code = inner.Invoke(parseResult);
            var output = parseResult.InvocationConfiguration.Output ?? console.Out;
            output.WriteLine(ExitCodes.HelpText);
            return code;
        }
    }
}
