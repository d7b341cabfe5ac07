using Backup.Core.Storage;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;

namespace Backup.Extensions.Tests;

public sealed class SecretTests
{
    [Fact]
    public async Task The_password_never_appears_in_logs_results_or_errors()
    {
        var variable = "BACKUP_DI_TEST_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, TestSupport.Password);
        try
        {
            var logs = new LogCapture();
            var target = new InMemoryTarget();
            var settings = new Dictionary<string, string?>
            {
                ["Backup:Repositories:main:PasswordConfigurationKey"] = null,
                ["Backup:Repositories:main:PasswordEnvironmentVariable"] = variable,
            };
            await using (var provider = TestSupport.Build(logs: logs, settings: settings, target: target, fastKey: false,
                configure: b => b.AddJob("broken", j =>
                {
                    j.Repository = "main";
                    j.SourceFactory = _ => throw new InvalidOperationException("dump failed");
                })))
            {
                var runner = provider.GetRequiredService<IBackupJobRunner>();
                (await runner.RunAsync("export")).Outcome.Should().Be(BackupJobOutcome.Succeeded);
                (await runner.RunAsync("broken")).Outcome.Should().Be(BackupJobOutcome.Failed);
            }

            // The wrong password: opening fails, and neither password shows up anywhere.
            const string wrong = "wrong-password-8c1d";
            Environment.SetEnvironmentVariable(variable, wrong);
            BackupJobResult failed;
            await using (var provider = TestSupport.Build(logs: logs, settings: settings, target: target, fastKey: false))
            {
                failed = await provider.GetRequiredService<IBackupJobRunner>().RunAsync("export");
            }

            failed.Outcome.Should().Be(BackupJobOutcome.Failed);
            failed.Error!.ToString().Should().NotContain(wrong).And.NotContain(TestSupport.Password);
            logs.Messages.Should().NotBeEmpty();
            logs.Messages.Should().Contain(m => m.Contains($"environment variable {variable}", StringComparison.Ordinal), "the key source is named");
            logs.Messages.Should().NotContain(m => m.Contains(TestSupport.Password, StringComparison.Ordinal) || m.Contains(wrong, StringComparison.Ordinal));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }
}
