using System.Diagnostics;
using System.Net.Sockets;
using Backup.Extensions.DependencyInjection;
using Backup.Providers.Smtp;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Backup.Extensions.Tests;

/// <summary>Email alerts against a real SMTP server: Debian's python3-aiosmtpd, started per test on a free port.</summary>
public sealed class EmailAlertTests
{
    [SkippableFact]
    public async Task A_failed_job_sends_an_email_the_SMTP_server_receives()
    {
        await using var server = await SmtpServer.StartAsync();
        await using (var provider = TestSupport.Build(settings: new Dictionary<string, string?>
        {
            ["Backup:Alerts:Email:Host"] = "127.0.0.1",
            ["Backup:Alerts:Email:Port"] = server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Backup:Alerts:Email:Security"] = "None",
            ["Backup:Alerts:Email:From"] = "Backup <backup@example.com>",
            ["Backup:Alerts:Email:To:0"] = "ops@example.com",
            ["Backup:Alerts:Email:To:1"] = "oncall@example.com",
        }, configure: b =>
        {
            AlertTests.AddBrokenJob(b);
            b.AddEmailAlerts();
        }))
        {
            await provider.GetRequiredService<IBackupJobRunner>().RunAsync("broken");
        }

        var message = await server.ReceiveAsync();
        message.From.Mailboxes.Select(m => m.ToString()).Should().Equal("\"Backup\" <backup@example.com>");
        message.To.Mailboxes.Select(m => m.Address).Should().Equal("ops@example.com", "oncall@example.com");
        message.Subject.Should().Be($"[backup] Backup job broken failed on {Environment.MachineName}");
        message.TextBody.Should().Contain("Outcome: Failed").And.Contain("Error: ").And.Contain("no source");
        message.Headers["X-Backup-Alert-Id"].Should().MatchRegex("^[0-9a-f]{32}$");
    }

    [Fact]
    public async Task An_Email_section_without_AddEmailAlerts_or_the_call_without_the_section_fails_validation()
    {
        await using (var configured = TestSupport.Build(settings: new Dictionary<string, string?>
        {
            ["Backup:Alerts:Email:Host"] = "smtp.example.com",
            ["Backup:Alerts:Email:From"] = "not an address",
            ["Backup:Alerts:Email:To:0"] = "ops@example.com",
            ["Backup:Alerts:Email:UserName"] = "backup",
        }, configure: b => b.AddEmailAlerts()))
        {
            FluentActions.Invoking(() => configured.GetRequiredService<IOptions<BackupHostingOptions>>().Value)
                .Should().Throw<OptionsValidationException>().Which.Failures.Should().BeEquivalentTo(
                    "Backup:Alerts:Email:From: 'not an address' is not an email address.",
                    "Backup:Alerts:Email: a user name needs a password; set PasswordFile or PasswordEnvironmentVariable.");
        }

        await using var missing = TestSupport.Build(configure: b => b.AddEmailAlerts());
        FluentActions.Invoking(() => missing.GetRequiredService<IOptions<BackupHostingOptions>>().Value)
            .Should().Throw<OptionsValidationException>().Which.Failures.Should().Equal(
                "Backup:Alerts:Email: AddEmailAlerts() was called but the section is missing; set Host, From and To (or remove the call).");
    }

    [Fact]
    public async Task Email_configured_in_code_is_valid_without_a_section()
    {
        await using var provider = TestSupport.Build(configure: b => b.AddEmailAlerts(e =>
        {
            e.Host = "smtp.example.com";
            e.From = "backup@example.com";
            e.To.Add("ops@example.com");
        }));

        provider.GetRequiredService<IOptions<BackupHostingOptions>>().Value.Alerts.Email!.Host.Should().Be("smtp.example.com");
        provider.GetKeyedService<IBackupAlertChannel>(BackupAlertOptions.EmailChannelKey)!.Name.Should().Be("email smtp.example.com:587");
    }

    /// <summary>
    /// aiosmtpd with its Maildir handler: every message it accepts lands as a file in maildir/new under a temporary
    /// directory (the handler creates the Maildir only when its directory does not exist yet).
    /// </summary>
    private sealed class SmtpServer : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly string _directory;

        private SmtpServer(Process process, string directory, int port)
        {
            _process = process;
            _directory = directory;
            Port = port;
        }

        public int Port { get; }

        public static async Task<SmtpServer> StartAsync()
        {
            var python = FindPython();
            Skip.If(python is null, "python3-aiosmtpd is not installed (apt-get install python3-aiosmtpd, or run scripts/install-test-servers.sh)");
            var directory = Directory.CreateTempSubdirectory("backup-smtp-").FullName;
            var port = AlertReceiver.FreePort();
            var start = new ProcessStartInfo(python!) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { "-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Mailbox", Path.Combine(directory, "maildir") })
            {
                start.ArgumentList.Add(argument);
            }

            var process = Process.Start(start)!;
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var server = new SmtpServer(process, directory, port);
            var deadline = Environment.TickCount64 + 15_000;
            while (true)
            {
                try
                {
                    using var probe = new TcpClient();
                    await probe.ConnectAsync("127.0.0.1", port);
                    return server;
                }
                catch (SocketException) when (Environment.TickCount64 < deadline && !process.HasExited)
                {
                    await Task.Delay(50);
                }
            }
        }

        public async Task<MimeMessage> ReceiveAsync()
        {
            var inbox = Path.Combine(_directory, "maildir", "new");
            await TestSupport.WaitUntilAsync(() => Directory.Exists(inbox) && Directory.EnumerateFiles(inbox).Any(), 15_000);
            return await MimeMessage.LoadAsync(Directory.EnumerateFiles(inbox).Single());
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
            Directory.Delete(_directory, recursive: true);
        }

        // Debian's python3 has the package; a pyenv or venv python3 earlier on PATH may not.
        private static string? FindPython()
        {
            foreach (var candidate in new[] { "/usr/bin/python3", "python3" })
            {
                try
                {
                    using var check = Process.Start(new ProcessStartInfo(candidate, "-c \"import aiosmtpd\"") { RedirectStandardError = true, RedirectStandardOutput = true })!;
                    check.WaitForExit(30_000);
                    if (check.ExitCode == 0)
                    {
                        return candidate;
                    }
                }
                catch (System.ComponentModel.Win32Exception)
                {
                    // Not installed under that name.
                }
            }

            return null;
        }
    }
}
