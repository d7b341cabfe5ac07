using Backup.Core.Crypto;
using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Logging;
using Backup.Core;

namespace Backup.Extensions.Tests;

/// <summary>Start-up fails early and says what is wrong: unknown keys, values that do not convert, missing paths, a repository that does not open.</summary>
public sealed class StartupValidationTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("backup-startup-tests-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private Dictionary<string, string?> Settings(params (string Key, string? Value)[] extra)
    {
        var data = Directory.CreateDirectory(Path.Combine(_root, "data")).FullName;
        var values = new Dictionary<string, string?>
        {
            ["Secrets:BackupPassword"] = TestSupport.Password,
            ["Backup:Repositories:main:Path"] = Path.Combine(_root, "repository"),
            ["Backup:Repositories:main:PasswordConfigurationKey"] = "Secrets:BackupPassword",
            ["Backup:Jobs:nightly:Repository"] = "main",
            ["Backup:Jobs:nightly:Paths:0"] = data,
            ["Backup:Jobs:nightly:Schedule"] = "0 2 * * *",
        };
        foreach (var (key, value) in extra)
        {
            values[key] = value;
        }

        return values;
    }

    private static IHost BuildHost(Dictionary<string, string?> values)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(values);
        builder.Services.AddBackup(b => b.BindConfiguration(builder.Configuration.GetSection("Backup")));
        return builder.Build();
    }

    private static async Task<string> StartFailureAsync(Dictionary<string, string?> values)
    {
        using var host = BuildHost(values);
        var start = () => host.StartAsync();
        return (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message;
    }

    [Fact]
    public async Task A_valid_configuration_starts()
    {
        using var host = BuildHost(Settings());

        await host.StartAsync();
        await host.StopAsync();
    }

    [Theory]
    [InlineData("0 0 30 2 *")]
    [InlineData("0 0 31 4,6,9,11 *")]
    public async Task A_schedule_that_never_fires_fails_start_up(string schedule)
    {
        var message = await StartFailureAsync(Settings(("Backup:Jobs:nightly:Schedule", schedule)));

        message.Should().Contain($"Backup:Jobs:nightly:Schedule: '{schedule}' never fires");
    }

    [Fact]
    public async Task A_negative_request_timeout_fails_start_up()
    {
        var message = await StartFailureAsync(Settings(("Backup:Repositories:main:RequestTimeout", "-00:00:01")));

        message.Should().Contain("Backup:Repositories:main:RequestTimeout: must not be negative");
    }

    [Fact]
    public async Task A_schedule_on_February_29_starts()
    {
        using var host = BuildHost(Settings(("Backup:Jobs:nightly:Schedule", "0 0 29 2 *")));

        await host.StartAsync();
        await host.StopAsync();
    }

    [Theory]
    [InlineData("Backup:Jobs:nightly:Shedule", "0 3 * * *", "Backup:Jobs:nightly:Shedule: 'Shedule' is not a known setting; did you mean 'Schedule'?")]
    [InlineData("Backup:Jobs:nightly:Retention:KeepDayly", "7", "Backup:Jobs:nightly:Retention:KeepDayly: 'KeepDayly' is not a known setting; did you mean 'KeepDaily'?")]
    [InlineData("Backup:Jobs:nightly:PreHooks:0:Comand", "/bin/true", "Backup:Jobs:nightly:PreHooks:0:Comand: 'Comand' is not a known setting; did you mean 'Command'?")]
    [InlineData("Backup:Repositories:main:PasswordFiel", "/run/secrets/x", "Backup:Repositories:main:PasswordFiel: 'PasswordFiel' is not a known setting; did you mean 'PasswordFile'?")]
    [InlineData("Backup:Scheduler:MaxJiter", "00:01:00", "Backup:Scheduler:MaxJiter: 'MaxJiter' is not a known setting; did you mean 'MaxJitter'?")]
    [InlineData("Backup:Jobz:nightly:Repository", "main", "Backup:Jobz: 'Jobz' is not a known setting; did you mean 'Jobs'?")]
    public async Task An_unknown_key_fails_start_up_naming_the_key_and_the_closest_known_one(string key, string value, string expected)
    {
        var message = await StartFailureAsync(Settings((key, value)));

        message.Should().Contain(expected);
    }

    [Fact]
    public async Task An_unknown_key_far_from_every_known_one_gets_no_suggestion()
    {
        var message = await StartFailureAsync(Settings(("Backup:Jobs:nightly:Frobnicate", "yes")));

        message.Should().Contain("Backup:Jobs:nightly:Frobnicate: 'Frobnicate' is not a known setting (known: ").And.NotContain("did you mean");
    }

    [Fact]
    public async Task A_code_only_setting_in_configuration_says_so()
    {
        var message = await StartFailureAsync(Settings(("Backup:Jobs:nightly:SourceFactory", "MyFactory")));

        message.Should().Contain("Backup:Jobs:nightly:SourceFactory: 'SourceFactory' can only be set in code");
    }

    [Fact]
    public async Task Free_form_names_and_values_are_not_checked()
    {
        using var host = BuildHost(Settings(
            ("Backup:Jobs:nightly:PreHooks:0:Command", "/bin/true"),
            ("Backup:Jobs:nightly:PreHooks:0:Environment:ANY_NAME", "any value"),
            ("Backup:Jobs:nightly:Tags:0", "prod"),
            ("Backup:Jobs:nightly:Retention:KeepTags:0:0", "keep"),
            ("Backup:Jobs:nightly:Retention:KeepDaily", "7")));

        await host.StartAsync();
        await host.StopAsync();
    }

    [Fact]
    public async Task Values_that_do_not_convert_list_the_accepted_formats_all_at_once_without_a_binder_exception()
    {
        var message = await StartFailureAsync(Settings(
            ("Backup:Jobs:nightly:Rpo", "1 day"),
            ("Backup:Jobs:nightly:Level", "Weekly"),
            ("Backup:Jobs:nightly:OneFileSystem", "yes"),
            ("Backup:Jobs:nightly:Retention:KeepDaily", "seven"),
            ("Backup:Jobs:nightly:Shedule", "0 3 * * *")));

        message.Should().Contain("Backup:Jobs:nightly:Rpo: '1 day' is not valid; expected a duration written d.hh:mm:ss, such as 1.00:00:00 for a day, 06:00:00 for six hours");
        message.Should().Contain("Backup:Jobs:nightly:Level: 'Weekly' is not valid; expected one of Full, Incremental, Differential.");
        message.Should().Contain("Backup:Jobs:nightly:OneFileSystem: 'yes' is not valid; expected true or false.");
        message.Should().Contain("Backup:Jobs:nightly:Retention:KeepDaily: 'seven' is not valid; expected a whole number");
        message.Should().Contain("did you mean 'Schedule'?");
    }

    [Fact]
    public async Task A_keep_within_duration_that_does_not_parse_names_the_restic_style_format()
    {
        var message = await StartFailureAsync(Settings(
            ("Backup:Jobs:nightly:Retention:KeepLast", "3"),
            ("Backup:Jobs:nightly:Retention:KeepWithin", "2 months"),
            ("Backup:Jobs:nightly:Retention:KeepWithinDaily", "-3d")));

        message.Should().Contain("Backup:Jobs:nightly:Retention:KeepWithin: '2 months' is not valid; expected a duration in restic's units, such as 1y6m (calendar years and months), 2m, 14d, 2w or 36h, or d.hh:mm:ss such as 7.00:00:00.");
        message.Should().Contain("Backup:Jobs:nightly:Retention:KeepWithinDaily: '-3d' is not valid; expected a duration in restic's units");
    }

    [Fact]
    public async Task Calendar_keep_within_durations_start()
    {
        using var host = BuildHost(Settings(("Backup:Jobs:nightly:Retention:KeepWithin", "1y6m"), ("Backup:Jobs:nightly:Retention:KeepWithinDaily", "2m")));

        await host.StartAsync();
        await host.StopAsync();
    }

    [Fact]
    public async Task A_level_number_that_names_no_level_is_refused()
    {
        var message = await StartFailureAsync(Settings(("Backup:Jobs:nightly:Level", "7")));

        message.Should().Contain("Backup:Jobs:nightly:Level: '7' is not valid; expected one of Full, Incremental, Differential.");
    }

    [Fact]
    public void Without_a_host_the_findings_surface_when_the_options_are_first_read()
    {
        using var provider = TestSupport.Build(settings: new Dictionary<string, string?> { ["Backup:Jobs:export:Rpo"] = "1 day" });

        var resolve = () => provider.GetRequiredService<IOptions<BackupHostingOptions>>().Value;

        resolve.Should().Throw<OptionsValidationException>().WithMessage("*Backup:Jobs:export:Rpo: '1 day' is not valid; expected a duration*");
    }

    [Fact]
    public async Task A_repository_location_that_is_a_file_fails_start_up_naming_the_setting_and_the_file()
    {
        var file = Path.Combine(_root, "not-a-directory");
        await File.WriteAllTextAsync(file, "x");

        var message = await StartFailureAsync(Settings(("Backup:Repositories:main:Path", file)));

        message.Should().Contain($"Backup:Repositories:main:Path: '{file}' is a file, not a directory: give the repository's directory.");
    }

    [Fact]
    public async Task A_repository_location_under_a_file_fails_start_up_naming_the_setting_and_the_file()
    {
        var file = Path.Combine(_root, "not-a-directory");
        await File.WriteAllTextAsync(file, "x");
        var under = Path.Combine(file, "deeper", "repo");

        var message = await StartFailureAsync(Settings(("Backup:Repositories:main:Path", under)));

        message.Should().Contain($"Backup:Repositories:main:Path: '{file}' is a file, so '{under}' cannot be a directory under it: give the repository's directory.");
    }

    [Fact]
    public async Task A_repository_location_under_a_tilde_fails_start_up_rather_than_making_a_directory_named_tilde()
    {
        var message = await StartFailureAsync(Settings(("Backup:Repositories:main:Path", "~/backups")));

        message.Should().Contain("Backup:Repositories:main:Path: '~/backups' starts with '~', which only a shell turns into a home directory: give the full path (such as /home/backup/backups).");
        Directory.Exists("~").Should().BeFalse();
        (await StartFailureAsync(Settings(("Backup:Repositories:main:Path", "~backup/repo")))).Should().Contain("give the full path (such as /home/backup/repo)");
    }

    [Fact]
    public async Task A_missing_job_path_fails_start_up_naming_the_setting_and_the_path()
    {
        var missing = Path.Combine(_root, "not-there");

        var message = await StartFailureAsync(Settings(("Backup:Jobs:nightly:Paths:1", missing)));

        message.Should().Contain($"Backup:Jobs:nightly:Paths:1: '{missing}' does not exist");
        message.Should().NotContain("Paths:0");
    }

    [Fact]
    public async Task OpenOnStart_with_a_wrong_password_fails_start_up_naming_the_repository_and_the_key_setting_but_not_the_secret()
    {
        const string right = "the right password 81c2";
        const string wrong = "a wrong password 5e0d";
        var repositoryPath = Path.Combine(_root, "repository");
        using (var credentials = RepositoryCredentials.FromPassword(right))
        {
            await (await BackupRepository.InitAsync(new LocalDirectoryTarget(repositoryPath), credentials, new RepositoryInitOptions())).DisposeAsync();
        }

        var passwordFile = Path.Combine(_root, "password");
        await File.WriteAllTextAsync(passwordFile, wrong + "\n");
        var values = Settings(
            ("Backup:Repositories:main:PasswordConfigurationKey", null),
            ("Backup:Repositories:main:PasswordFile", passwordFile),
            ("Backup:Repositories:main:OpenOnStart", "true"));

        var message = await StartFailureAsync(values);

        message.Should().Contain("Backup:Repositories:main: cannot be opened at start-up (OpenOnStart) with its key from Backup:Repositories:main:PasswordFile");
        message.Should().Contain("does not open any key");
        message.Should().NotContain(wrong).And.NotContain(right);

        // The right password starts the host, with the repository open.
        await File.WriteAllTextAsync(passwordFile, right + "\n");
        using var host = BuildHost(values);
        await host.StartAsync();
        await host.StopAsync();
    }

    [Fact]
    public async Task OpenOnStart_with_a_missing_password_fails_start_up_naming_the_setting()
    {
        var variable = $"BACKUP_STARTUP_TEST_{Guid.NewGuid():N}";
        var values = Settings(
            ("Backup:Repositories:main:PasswordConfigurationKey", null),
            ("Backup:Repositories:main:PasswordEnvironmentVariable", variable),
            ("Backup:Repositories:main:CreateIfMissing", "true"),
            ("Backup:Repositories:main:OpenOnStart", "true"));

        var message = await StartFailureAsync(values);

        message.Should().Contain($"Backup:Repositories:main: cannot be opened at start-up (OpenOnStart) with its key from Backup:Repositories:main:PasswordEnvironmentVariable ('{variable}')");
        message.Should().Contain("is not set or empty");
        var repository = Path.Combine(_root, "repository");
        (Directory.Exists(repository) ? Directory.EnumerateFileSystemEntries(repository) : []).Should().BeEmpty("nothing is created without a key");
    }

    /// <summary>
    /// A repository that records a retention lock its settings do not give (here a local copy of a locked bucket, which
    /// cannot lock at all) fails start-up, naming the repository and the job that writes to it, instead of refusing
    /// the job at its first write when it runs; nothing is written to it.
    /// </summary>
    [Fact]
    public async Task A_job_repository_that_records_a_retention_lock_its_settings_do_not_give_fails_start_up()
    {
        var repository = Path.Combine(_root, "repository");
        await CreateLockedRepositoryAsync(repository);
        var before = Files(repository);

        var message = await StartFailureAsync(Settings());

        message.Should().Contain("Backup:Repositories:main, which job 'nightly' backs up into: The repository in")
            .And.Contain("was created with a retention lock of 30d (governance mode)").And.Contain("so nothing was written");
        Files(repository).Should().Equal(before, "start-up reads the config only");
    }

    [Fact]
    public async Task A_copy_destination_that_records_a_retention_lock_its_settings_do_not_give_is_warned_about_and_the_host_starts()
    {
        var offsite = Path.Combine(_root, "offsite");
        await CreateLockedRepositoryAsync(offsite);
        var before = Files(offsite);
        var log = new LogCapture();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(Settings(
            ("Backup:Repositories:main:CreateIfMissing", "true"),
            ("Backup:Repositories:offsite:Path", offsite),
            ("Backup:Repositories:offsite:PasswordConfigurationKey", "Secrets:BackupPassword"),
            ("Backup:Jobs:nightly:CopyTo:0", "offsite")));
        builder.Logging.AddProvider(log);
        builder.Services.AddBackup(b => b.BindConfiguration(builder.Configuration.GetSection("Backup")));
        using var host = builder.Build();

        // A failed copy never costs the job its own snapshot, so an off-site setting must not stop the local backups.
        await host.StartAsync();
        await host.StopAsync();

        log.Messages.Should().Contain(m => m.StartsWith("Warning ", StringComparison.Ordinal)
            && m.Contains("Backup repository offsite, which job 'nightly' copies to, records a retention lock its settings do not give", StringComparison.Ordinal)
            && m.Contains("was created with a retention lock of 30d (governance mode)", StringComparison.Ordinal));
        Files(offsite).Should().Equal(before, "start-up reads the config only");
    }

    [Fact]
    public async Task A_job_repository_whose_target_writes_the_recorded_lock_starts()
    {
        var repository = Path.Combine(_root, "repository");
        await CreateLockedRepositoryAsync(repository);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(Settings());
        builder.Services.AddBackup(b => b
            .BindConfiguration(builder.Configuration.GetSection("Backup"))
            .AddRepository("main", r => r.TargetFactory = _ => new ClaimsRetentionLock(new LocalDirectoryTarget(repository))));
        using var host = builder.Build();

        await host.StartAsync();
        await host.StopAsync();
    }

    /// <summary>A repository as one created on an S3 bucket with a 30-day governance Object Lock records it.</summary>
    private static async Task CreateLockedRepositoryAsync(string path)
    {
        using var credentials = RepositoryCredentials.FromPassword(TestSupport.Password);
        await using var repository = await BackupRepository.InitAsync(new ClaimsRetentionLock(new LocalDirectoryTarget(path)), credentials);
        repository.Config.RetentionLock.Should().NotBeNull();
    }

    private static List<string> Files(string path) =>
        [.. Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    /// <summary>Says it writes a 30-day governance lock, as an S3 target with Object Lock does; local storage keeps none, which no test here relies on.</summary>
    private sealed class ClaimsRetentionLock(IBackupTarget inner) : DelegatingTarget(inner), IRetentionLockingTarget
    {
        public RetentionLock? RetentionLock { get; } = new() { Period = TimeSpan.FromDays(30), Mode = "governance" };

        public Task ConfirmRetentionLockAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<RetentionExtension> ExtendRetentionAsync(string key, DateTimeOffset retainUntil, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("No test here extends a lock.");
    }

    [Fact]
    public async Task Running_an_unknown_job_throws_a_typed_not_found_exception()
    {
        await using var provider = TestSupport.Build();

        var run = () => provider.GetRequiredService<IBackupJobRunner>().RunAsync("nope");

        var thrown = (await run.Should().ThrowAsync<BackupJobNotFoundException>()).Which;
        thrown.JobName.Should().Be("nope");
        thrown.Message.Should().Be("No backup job is called 'nope' (known: export).");
        thrown.Should().BeAssignableTo<KeyNotFoundException>();
    }
}
