using Backup.Cli;

return await new CliApp(CliConsole.FromSystem()).RunAsync(args).ConfigureAwait(false);
