using System.Diagnostics;
using System.Text;

namespace Backup.Cli.Tests;

/// <summary>The password prompt and the terminal's modes on a real terminal (a pseudo-terminal from util-linux's <c>script</c>).</summary>
public sealed class PasswordPromptTests : IDisposable
{
    private readonly CliRunner _cli = new();
    private readonly List<Process> _started = [];

    public void Dispose()
    {
        foreach (var process in _started)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.Dispose();
        }

        _cli.Dispose();
    }

    [SkippableFact]
    public async Task The_first_Ctrl_C_at_the_password_prompt_ends_the_command_with_130()
    {
        Skip.IfNot(File.Exists("/usr/bin/script"), "needs util-linux's script for a pseudo-terminal");
        Skip.If(Signals.IgnoresInterrupt(Environment.ProcessId), "SIGINT is ignored in this process (a background job of a non-interactive shell), and so in its children");
        await _cli.InitAsync();

        var process = StartOnTerminal("snapshots");
        await WaitForPromptAsync(process);

        // Ctrl+C as a terminal sends it: the line discipline turns it into SIGINT for the foreground process.
        await Task.Delay(500);
        await process.StandardInput.WriteAsync('\u0003');
        await process.StandardInput.FlushAsync();
        var drain = process.StandardOutput.ReadToEndAsync();
        using var waitForExit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var exited = await process.WaitForExitAsync(waitForExit.Token).ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default);

        exited.Should().BeTrue("one Ctrl+C at the prompt must end the command, not wait for a second one");
        process.ExitCode.Should().Be(130, await drain);
    }

    [SkippableFact]
    public async Task After_the_password_prompt_the_terminal_is_back_in_normal_keypad_mode()
    {
        Skip.IfNot(File.Exists("/usr/bin/script"), "needs util-linux's script for a pseudo-terminal");
        await _cli.InitAsync();
        var process = StartOnTerminal("snapshots");
        var seen = await WaitForPromptAsync(process);

        await process.StandardInput.WriteAsync(CliRunner.Password + "\r");
        await process.StandardInput.FlushAsync();
        seen.Append(await process.StandardOutput.ReadToEndAsync());
        using var waitForExit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(waitForExit.Token);

        process.ExitCode.Should().Be(0, seen.ToString());
        ShouldEndInNormalKeypadMode(seen.ToString());
    }

    [SkippableFact]
    public async Task Any_verb_on_a_terminal_leaves_it_in_normal_keypad_mode()
    {
        Skip.IfNot(File.Exists("/usr/bin/script"), "needs util-linux's script for a pseudo-terminal");
        var process = StartOnTerminal("--version");
        var shown = await process.StandardOutput.ReadToEndAsync();
        using var waitForExit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(waitForExit.Token);

        process.ExitCode.Should().Be(0, shown);
        ShouldEndInNormalKeypadMode(shown);
    }

    /// <summary>What the terminal showed ends with the keypad and cursor keys back in normal mode, if they were ever switched.</summary>
    private static void ShouldEndInNormalKeypadMode(string shown)
    {
        var keypadOn = Math.Max(shown.LastIndexOf("\u001b[?1h", StringComparison.Ordinal), shown.LastIndexOf("\u001b=", StringComparison.Ordinal));
        shown.LastIndexOf("\u001b[?1l\u001b>", StringComparison.Ordinal).Should().BeGreaterThan(keypadOn, "arrow keys typed into the shell afterwards must send their normal codes");
    }

    /// <summary>
    /// Starts the tool with <paramref name="verb"/> on a pseudo-terminal, with no password in its environment; exec
    /// makes it the terminal's only process, so its own exit code is what script reports. Killed, if still running,
    /// when the test ends.
    /// </summary>
    private Process StartOnTerminal(string verb)
    {
        var command = $"exec {string.Join(' ', CliRunner.ToolCommand.Select(a => $"'{a}'"))} {verb}";
        var start = new ProcessStartInfo("/usr/bin/script") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false, WorkingDirectory = _cli.Root };
        foreach (var arg in new[] { "-qefc", command, "/dev/null" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("BACKUP_PASSWORD");
        start.Environment["BACKUP_REPOSITORY"] = _cli.Repository;
        start.Environment["TERM"] = "xterm";
        start.Environment["SHELL"] = "/bin/sh";
        var process = Process.Start(start)!;
        _started.Add(process);
        return process;
    }

    /// <summary>What the terminal showed up to and including the password prompt.</summary>
    private static async Task<StringBuilder> WaitForPromptAsync(Process process)
    {
        var seen = new StringBuilder();
        var buffer = new char[256];
        using var waitForPrompt = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!seen.ToString().Contains("Repository password:", StringComparison.Ordinal))
        {
            var read = await process.StandardOutput.ReadAsync(buffer.AsMemory(), waitForPrompt.Token);
            read.Should().BeGreaterThan(0, $"the prompt must appear; the terminal showed: {seen}");
            seen.Append(buffer, 0, read);
        }

        return seen;
    }
}
