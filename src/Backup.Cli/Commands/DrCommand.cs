using System.CommandLine;

namespace Backup.Cli.Commands;

/// <summary><c>backup dr …</c>: disaster-recovery plans: validate, drill, report, runbook.</summary>
internal static class DrCommand
{
    public static Command Create(CommandRunner runner)
    {
        var command = new Command("dr", "Disaster-recovery plans: validate a plan, drill its systems, report on them, write the runbook.");
        command.Subcommands.Add(DrValidateCommand.Create(runner));
        command.Subcommands.Add(DrBackupCommand.Create(runner));
        command.Subcommands.Add(DrDrillCommand.Create(runner));
        command.Subcommands.Add(DrRunbookCommand.Create(runner));
        command.Subcommands.Add(DrReportCommand.Create(runner));
        return command;
    }
}
