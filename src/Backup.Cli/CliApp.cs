using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
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
        _root = new RootCommand("backup: encrypted, compressed, deduplicated backups of directories and piped streams.");
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

        var help = _root.Options.OfType<HelpOption>().Single();
        help.Action = new HelpWithEpilogAction((HelpAction)help.Action!, console);
    }

    public RootCommand Root => _root;

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        // No response files: a path starting with '@' is a path.
        var parseResult = _root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parseResult.Errors.Count > 0 && parseResult.Action is ParseErrorAction)
        {
            foreach (var error in parseResult.Errors)
            {
                await _console.Error.WriteLineAsync(TerminalText.Escape($"backup: usage error: {error.Message}")).ConfigureAwait(false);
            }

            var verb = parseResult.CommandResult.Command == _root ? "backup" : $"backup {parseResult.CommandResult.Command.Name}";
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
        return await parseResult.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
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
