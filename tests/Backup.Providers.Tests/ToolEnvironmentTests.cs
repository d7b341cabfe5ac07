extern alias pg;

using PgSecrets = pg::Backup.Providers.Secrets;
using PgToolProcess = pg::Backup.Providers.ToolProcess;

namespace Backup.Providers.Tests;

/// <summary>
/// The database client tools (pg_dump, psql, mariadb-dump, mariadb) run as children of a process that holds the
/// repository password and cloud credentials; they must get only what they need.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ToolEnvironmentTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("backup-tool-env-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>
    /// Writing a password file first tidies old ones a killed process left in the temp directory, where anyone may
    /// create files: a FIFO under such a name must not make it wait forever, nor a symlink lead it elsewhere.
    /// </summary>
    [SkippableFact]
    public async Task Tidying_the_temp_directory_neither_waits_on_a_planted_fifo_nor_follows_a_planted_symlink()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the tidying runs on Linux");
        var fifo = Path.Combine(Path.GetTempPath(), $"backup-1-{Guid.NewGuid():N}");
        var link = Path.Combine(Path.GetTempPath(), $"backup-1-{Guid.NewGuid():N}");
        var linkTarget = Path.Combine(_directory, "someone-elses-file");
        await File.WriteAllTextAsync(linkTarget, "stays");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo)!)
        {
            await mkfifo.WaitForExitAsync();
        }

        File.CreateSymbolicLink(link, linkTarget);
        File.SetLastWriteTimeUtc(fifo, DateTime.UtcNow.AddMinutes(-5));
        try
        {
            // A guard, not a timing: without it a regression would hang the test run instead of failing.
            using var written = await PgSecrets.WritePrivateFileAsync("*:*:*:*:secret", ".pgpass", CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(2));

            File.Exists(written.Path).Should().BeTrue();
            File.Exists(linkTarget).Should().BeTrue("a symlink's target is never opened, let alone deleted");
        }
        finally
        {
            File.Delete(fifo);
            File.Delete(link);
        }
    }

    [SkippableFact]
    public async Task A_client_tool_gets_its_own_settings_but_not_the_backups_secrets()
    {
        Skip.IfNot(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "the fake tool is a shell script");
        var recorded = Path.Combine(_directory, "environment");
        var tool = Path.Combine(_directory, "pg_dump");
        File.WriteAllText(tool, $"#!/bin/sh\nenv > '{recorded}'\n");
        File.SetUnixFileMode(tool, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var secrets = new Dictionary<string, string>
        {
            ["BACKUP_PASSWORD"] = "repository-password-" + Guid.NewGuid().ToString("N"),
            ["BACKUP_DESTINATION_PASSWORD"] = "destination-password-" + Guid.NewGuid().ToString("N"),
            ["AWS_SECRET_ACCESS_KEY"] = "aws-secret-" + Guid.NewGuid().ToString("N"),
            ["AWS_SESSION_TOKEN"] = "aws-token-" + Guid.NewGuid().ToString("N"),
            ["AZURE_STORAGE_CONNECTION_STRING"] = "AccountKey=azure-secret-" + Guid.NewGuid().ToString("N"),
        };
        foreach (var (name, value) in secrets)
        {
            Environment.SetEnvironmentVariable(name, value);
        }

        // A libpq setting of the operator's, which the tool honours.
        Environment.SetEnvironmentVariable("PGSSLROOTCERT", "/etc/ssl/db-ca.pem");
        try
        {
            await using (var process = PgToolProcess.Start(tool, [], new Dictionary<string, string?> { ["PGPASSWORD"] = "database-password" }, ["database-password"]))
            {
                process.DiscardOutput();
                (await process.WaitAsync(CancellationToken.None)).ExitCode.Should().Be(0);
            }

            var environment = File.ReadAllLines(recorded);
            foreach (var (name, value) in secrets)
            {
                environment.Should().NotContain(line => line.StartsWith(name + "=", StringComparison.Ordinal) || line.Contains(value, StringComparison.Ordinal), $"{name} is the backup's secret");
            }

            environment.Should().Contain("PGPASSWORD=database-password", "the tool logs in with it")
                .And.Contain("PGSSLROOTCERT=/etc/ssl/db-ca.pem")
                .And.Contain(line => line.StartsWith("PATH=", StringComparison.Ordinal));
        }
        finally
        {
            foreach (var name in secrets.Keys.Append("PGSSLROOTCERT"))
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }
    }
}
