using System.Diagnostics;
using System.Text.Json;

namespace Backup.Cli.Tests;

/// <summary>
/// Stored strings (file names, host names, tags, key labels, a lock's host) are chosen by whoever names a file or
/// writes to the storage; the CLI must never hand their control characters to the operator's terminal.
/// </summary>
public sealed class TerminalEscapeTests : IDisposable
{
    // ESC[2J clears the screen, OSC 0 (ended by BEL) retitles the window, the newline forges a line of output,
    // U+009B is the 8-bit CSI, U+202E reverses what follows and DEL is a control character too.
    private const string Hostile = "evil\u001b[2J\u001b]0;pwned\u0007\nforged\u009b31m\u202Etxt\u007f";

    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    /// <summary>No control character but the line ends, no bidi override, no line that the name started, and the name still readable.</summary>
    private static void ShouldBeSafe(string text, string what)
    {
        text.Where(c => (char.IsControl(c) && c != '\n') || c is '\u202E' or '\u2028' or '\u2029')
            .Select(c => $"U+{(int)c:X4}").Should().BeEmpty($"{what} must not carry raw control characters:\n{text}");
        text.Split('\n').Should().NotContain(line => line.StartsWith("forged", StringComparison.Ordinal), $"a newline in a name must not start a line of {what}");
    }

    [Fact]
    public async Task Hostile_names_tags_hosts_and_labels_are_escaped_in_every_listing_and_error()
    {
        await _cli.InitAsync();
        Directory.CreateDirectory(_cli.PathOf("src"));
        await File.WriteAllTextAsync(_cli.PathOf("src/plain.txt"), "plain");
        var first = await _cli.RunAsync("create", "src");
        first.ExitCode.Should().Be(0, first.Stderr);
        await File.WriteAllTextAsync(_cli.PathOf("src/" + Hostile), "hostile");

        var create = await _cli.RunAsync("create", "src", "--host", Hostile, "--tag", "t" + Hostile);
        var ls = await _cli.RunAsync("ls", "latest");
        var snapshots = await _cli.RunAsync("snapshots");
        var diff = await _cli.RunAsync("diff", JsonDocument.Parse((await _cli.RunAsync("snapshots", "--json")).Stdout).RootElement[0].GetProperty("id").GetString()!, "latest");
        var restore = await _cli.RunAsync("restore", "latest", "--target", "out");
        var again = await _cli.RunAsync("restore", "latest", "--target", "out");
        var addKey = await _cli.RunAsync(["key", "add", "--label", Hostile], stdin: null, new() { ["BACKUP_NEW_PASSWORD"] = "another password" });
        var keys = await _cli.RunAsync("key", "list");
        var json = await _cli.RunAsync("ls", "latest", "--json");

        foreach (var (name, result) in new[] { ("create", create), ("ls", ls), ("snapshots", snapshots), ("diff", diff), ("restore", restore), ("key add", addKey), ("key list", keys) })
        {
            result.ExitCode.Should().Be(0, $"{name}: {result.Stderr}");
            ShouldBeSafe(result.Stdout, $"'{name}' stdout");
            ShouldBeSafe(result.Stderr, $"'{name}' stderr");
        }

        File.ReadAllText(Path.Combine(_cli.PathOf("out"), _cli.PathOf("src").TrimStart('/'), Hostile)).Should().Be("hostile", "escaping is for display only");
        const string Shown = @"evil\x1b[2J\x1b]0;pwned\x07\nforged\x9b31m\u202Etxt\x7f";
        ls.Stdout.Should().Contain(Shown);
        diff.Stdout.Should().Contain("+ ").And.Contain(Shown);
        snapshots.Stdout.Should().Contain(Shown).And.Contain("t" + Shown);
        keys.Stdout.Should().Contain(Shown);

        again.ExitCode.Should().NotBe(0, "the files exist and neither --overwrite nor --skip-existing was given");
        ShouldBeSafe(again.Stdout, "the failed restore's stdout");
        ShouldBeSafe(again.Stderr, "the failed restore's error");
        again.Stderr.Should().Contain(@"evil\x1b[2J", "the error names the file in the way, escaped");

        // JSON stays exact: the same bytes come back through a JSON parser.
        json.ExitCode.Should().Be(0, json.Stderr);
        ShouldBeSafe(json.Stdout, "JSON");
        JsonDocument.Parse(json.Stdout).RootElement.EnumerateArray().Select(e => e.GetProperty("path").GetString()).Should().Contain(p => p!.EndsWith("/" + Hostile, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_usage_error_listing_the_accepted_values_reads_as_one_line_and_a_hostile_value_in_it_stays_escaped()
    {
        var plain = await _cli.RunAsync("dr", "report", "plan.yaml", "--format", "pdf");
        var hostile = await _cli.RunAsync("dr", "report", "plan.yaml", "--format", Hostile);

        plain.ExitCode.Should().Be(2, plain.Stderr);
        plain.Stderr.Should().Contain("backup: usage error: Argument 'pdf' not recognized. Must be one of: 'md', 'html', 'json'")
            .And.NotContain(@"\n").And.NotContain(@"\t");
        hostile.ExitCode.Should().Be(2, hostile.Stderr);
        ShouldBeSafe(hostile.Stderr, "the usage error");
        hostile.Stderr.Should().Contain(@"Argument 'evil\x1b[2J\x1b]0;pwned\x07\nforged\x9b31m\u202Etxt\x7f' not recognized. Must be one of: 'md', 'html', 'json'");
    }

    [SkippableFact]
    public async Task A_lock_held_by_a_host_with_a_hostile_name_is_reported_escaped()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && Environment.UserName == "root" && File.Exists("/usr/bin/unshare"), "needs root and unshare to give the lock holder its own host name");
        await _cli.InitAsync();
        // The kernel ends a host name at a newline; everything else is taken as given.
        const string HostileHost = "evil\u001b[2J\u001b]0;pwned\u0007\u009b31m";

        // The holder runs in its own UTS namespace whose host name is hostile (the kernel accepts any bytes).
        var holder = StartInOwnUtsNamespace(HostileHost, "create", "--stdin", "--stdin-name", "held");
        try
        {
            var locks = Path.Combine(_cli.Repository, "locks");
            for (var i = 0; i < 600 && !(Directory.Exists(locks) && Directory.EnumerateFiles(locks, "*", SearchOption.AllDirectories).Any()); i++)
            {
                holder.HasExited.Should().BeFalse(holder.HasExited ? await holder.StandardError.ReadToEndAsync() : "");
                await Task.Delay(50);
            }

            var prune = await _cli.RunAsync("prune");

            prune.ExitCode.Should().NotBe(0);
            prune.Stderr.Should().Contain("locked").And.Contain(@"evil\x1b[2J\x1b]0;pwned\x07\x9b31m");
            ShouldBeSafe(prune.Stderr, "the lock-conflict message");
            ShouldBeSafe(prune.Stdout, "prune's stdout");
        }
        finally
        {
            holder.StandardInput.Close();
            if (!holder.WaitForExit(30_000))
            {
                holder.Kill(entireProcessTree: true);
            }

            holder.Dispose();
        }
    }

    /// <summary>Starts the tool under <c>unshare --uts</c> with <paramref name="hostname"/> as the namespace's host name; stdin stays open.</summary>
    private Process StartInOwnUtsNamespace(string hostname, params string[] args)
    {
        var native = Environment.GetEnvironmentVariable("BACKUP_CLI_UNDER_TEST");
        var start = new ProcessStartInfo("/usr/bin/unshare")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _cli.Root,
        };
        foreach (var arg in (string[])["--uts", "sh", "-c", "printf '%s' \"$HOSTILE_HOST\" > /proc/sys/kernel/hostname && exec \"$@\"", "sh"])
        {
            start.ArgumentList.Add(arg);
        }

        if (native is null)
        {
            start.ArgumentList.Add(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet");
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "cli", "backup.dll"));
        }
        else
        {
            start.ArgumentList.Add(native);
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in _cli.Environment)
        {
            start.Environment[name] = value;
        }

        start.Environment["HOSTILE_HOST"] = hostname;
        return Process.Start(start)!;
    }
}
