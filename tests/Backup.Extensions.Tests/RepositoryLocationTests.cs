using Backup.Core.Crypto;
using Backup.Core.Storage;
using Backup.Core.Storage.Locations;
using Backup.Extensions.DependencyInjection;
using Backup.Providers.Azure;
using Backup.Providers.S3;
using Backup.Providers.Sftp;
using Backup.Providers.Targets.Tests;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Backup.Extensions.Tests;

/// <summary>
/// A repository section in configuration ("Location" plus "Settings") means what the backup tool's --repo means: the
/// same resolver, the same providers, the same settings; its target is owned, wrapped and disposed by the host.
/// </summary>
public sealed class RepositoryLocationTests : IClassFixture<S3rverFixture>, IClassFixture<SshdFixture>, IClassFixture<AzuriteFixture>, IDisposable
{
    private readonly S3rverFixture _s3;
    private readonly SshdFixture _sshd;
    private readonly AzuriteFixture _azurite;
    private readonly string _directory = Directory.CreateTempSubdirectory("backup-location-test-").FullName;

    public RepositoryLocationTests(S3rverFixture s3, SshdFixture sshd, AzuriteFixture azurite)
    {
        _s3 = s3;
        _sshd = sshd;
        _azurite = azurite;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [SkippableFact]
    public async Task An_s3_repository_configured_only_from_configuration_backs_up_and_restores()
    {
        _s3.RequireServer();
        var prefix = $"hosted-{Guid.NewGuid():N}";
        var passwordFile = Path.Combine(_directory, "password");
        await File.WriteAllTextAsync(passwordFile, TestSupport.Password + "\r\n");
        await using var provider = Build(new Dictionary<string, string?>
        {
            ["Backup:Repositories:main:Location"] = $"s3://{S3rverFixture.Bucket}/{prefix}",
            ["Backup:Repositories:main:Settings:Endpoint"] = _s3.Endpoint.ToString(),
            ["Backup:Repositories:main:Settings:region"] = "us-east-1",
            ["Backup:Repositories:main:Settings:PathStyle"] = "true",
            ["Backup:Repositories:main:Settings:AccessKeyId"] = "S3RVER",
            ["Backup:Repositories:main:Settings:SecretAccessKey"] = "S3RVER",
            ["Backup:Repositories:main:PasswordFile"] = passwordFile,
            ["Backup:Repositories:main:CreateIfMissing"] = "true",
        }, b => b.AddTargetProvider(new S3TargetProvider()));

        var repository = await RoundTripAsync(provider);

        // The backup tool, given the same location and the same settings as environment variables, makes the same target.
        var environment = new Dictionary<string, string>
        {
            ["BACKUP_S3_ENDPOINT"] = _s3.Endpoint.ToString(),
            ["BACKUP_S3_REGION"] = "us-east-1",
            ["BACKUP_S3_PATH_STYLE"] = "true",
            ["AWS_ACCESS_KEY_ID"] = "S3RVER",
            ["AWS_SECRET_ACCESS_KEY"] = "S3RVER",
        };
        await using var cliTarget = (RetryingTarget)CliResolver().Create(
            RepositoryLocation.Parse($"s3://{S3rverFixture.Bucket}/{prefix}"), s => s.ReadEnvironment(environment.GetValueOrDefault));
        repository.Blobs.Target.Should().BeOfType<RetryingTarget>();
        repository.Blobs.Target.Description.Should().Be(cliTarget.Description);
    }

    [SkippableFact]
    public async Task An_sftp_repository_configured_only_from_configuration_backs_up_and_restores()
    {
        _sshd.RequireServer();
        var root = Path.Combine(_sshd.WorkDirectory, $"repo-{Guid.NewGuid():N}");
        await using var provider = Build(new Dictionary<string, string?>
        {
            ["Backup:Repositories:main:Location"] = $"sftp://{SshdFixture.UserName}@127.0.0.1:{_sshd.Port}{root}",
            ["Backup:Repositories:main:Settings:HostKey"] = _sshd.HostKeyFingerprint,
            ["Backup:Repositories:main:Settings:KeyFile"] = _sshd.UserKeyPath,
            ["Backup:Repositories:main:KeyFile"] = WriteKeyFile(),
            ["Backup:Repositories:main:CreateIfMissing"] = "true",
        }, b => b.AddTargetProvider(new SftpTargetProvider()));

        var repository = await RoundTripAsync(provider);

        repository.Blobs.Target.Description.Should().Contain("127.0.0.1");
        Directory.Exists(Path.Combine(root, "snapshots")).Should().BeTrue("the repository is where the location says");
    }

    [SkippableFact]
    public async Task An_azure_repository_configured_only_from_configuration_backs_up_and_restores()
    {
        _azurite.RequireServer();
        // The backup tool does not create containers either: the storage account's owner does.
        await new Azure.Storage.Blobs.BlobContainerClient(_azurite.ConnectionString, "hosted").CreateIfNotExistsAsync();
        await using var provider = Build(new Dictionary<string, string?>
        {
            ["Backup:Repositories:main:Location"] = $"azure://hosted/app-{Guid.NewGuid():N}",
            ["Backup:Repositories:main:Settings:ConnectionString"] = _azurite.ConnectionString,
            ["Backup:Repositories:main:KeyFile"] = WriteKeyFile(),
            ["Backup:Repositories:main:CreateIfMissing"] = "true",
        }, b => b.AddTargetProvider(new AzureTargetProvider()));

        var repository = await RoundTripAsync(provider);

        repository.Blobs.Target.Should().BeOfType<RetryingTarget>();
    }

    [Fact]
    public void A_scheme_whose_provider_is_not_registered_fails_validation_naming_the_setting_and_what_to_register()
    {
        using var provider = Build(new Dictionary<string, string?> { ["Backup:Repositories:main:Location"] = "s3://bucket/app" });

        var failure = Validate(provider);

        failure.Should().Contain("Backup:Repositories:main:Location").And.Contain("AddTargetProvider(new S3TargetProvider())").And.Contain("Backup.Providers.S3");
    }

    [Fact]
    public void An_unknown_scheme_fails_validation_listing_the_registered_ones()
    {
        using var provider = Build(new Dictionary<string, string?> { ["Backup:Repositories:main:Location"] = "ftp://host/app" }, b => b.AddTargetProvider(new AzureTargetProvider()));

        var failure = Validate(provider);

        failure.Should().Contain("Backup:Repositories:main:Location").And.Contain("'ftp://'").And.Contain("azure://");
    }

    [Fact]
    public void A_misspelled_setting_fails_validation_naming_the_closest_known_one()
    {
        using var provider = Build(new Dictionary<string, string?>
        {
            ["Backup:Repositories:main:Location"] = "s3://bucket/app",
            ["Backup:Repositories:main:Settings:Endpiont"] = "https://s3.example.com",
            ["Backup:Repositories:main:Settings:AccessKeyId"] = "id",
            ["Backup:Repositories:main:Settings:SecretAccessKey"] = "do-not-print-me",
        }, b => b.AddTargetProvider(new S3TargetProvider()));

        var failure = Validate(provider);

        failure.Should().Contain("Backup:Repositories:main:Settings:Endpiont").And.Contain("did you mean 'Endpoint'");
        failure.Should().NotContain("do-not-print-me");
    }

    [Fact]
    public void A_missing_required_setting_fails_validation_naming_it_and_its_environment_variable()
    {
        var validator = new RepositoryLocationValidator(CliResolver());
        var errors = new List<string>();
        var repository = new BackupRepositoryOptions { Location = "s3://bucket/app" };
        repository.Settings["AccessKeyId"] = "id";

        validator.Validate("Backup:Repositories:main", repository, _ => null, errors);

        errors.Should().ContainSingle().Which.Should().Contain("Backup:Repositories:main:Settings:SecretAccessKey").And.Contain("AWS_SECRET_ACCESS_KEY");
    }

    [Fact]
    public void A_required_setting_from_its_environment_variable_or_a_setting_resolver_passes_validation()
    {
        var validator = new RepositoryLocationValidator(CliResolver());
        var errors = new List<string>();
        var fromEnvironment = new BackupRepositoryOptions { Location = "azure://container/app" };
        var fromCode = new BackupRepositoryOptions { Path = "azure://container/app", SettingResolver = (_, _) => "from a vault" };

        validator.Validate("a", fromEnvironment, v => v == "AZURE_STORAGE_CONNECTION_STRING" ? "UseDevelopmentStorage=true" : null, errors);
        validator.Validate("b", fromCode, _ => null, errors);

        errors.Should().BeEmpty();
    }

    [Fact]
    public async Task Settings_come_from_configuration_then_the_environment_variable_then_the_setting_resolver()
    {
        var seen = new Dictionary<string, string?>();
        var recorder = new RecordingProvider(seen);
        await using var provider = Build(new Dictionary<string, string?>
        {
            ["Backup:Repositories:main:Location"] = "mem://x",
            ["Backup:Repositories:main:Settings:fromconfig"] = "configured",
            ["Backup:Repositories:main:CreateIfMissing"] = "true",
        }, b =>
        {
            b.AddTargetProvider(recorder);
            b.AddRepository("main", r => r.SettingResolver = (_, name) => name == "FromCode" || name == "FromConfig" ? "resolved" : null);
        });

        await provider.GetRequiredService<IBackupRepositoryProvider>().GetAsync("main");

        seen["FromConfig"].Should().Be("configured", "configuration wins over the delegate");
        seen["FromCode"].Should().Be("resolved");
        seen["Unset"].Should().BeNull();
    }

    [Fact]
    public async Task A_target_made_from_configuration_is_wrapped_in_retry_and_disposed_with_the_service_provider()
    {
        var recorder = new RecordingProvider([]);
        var provider = Build(new Dictionary<string, string?>
        {
            ["Backup:Repositories:main:Location"] = "mem://x",
            ["Backup:Repositories:main:CreateIfMissing"] = "true",
        }, b => b.AddTargetProvider(recorder));

        var repository = await provider.GetRequiredService<IBackupRepositoryProvider>().GetAsync("main");
        repository.Blobs.Target.Should().BeOfType<RetryingTarget>("hosting retries by default");
        recorder.Created.Should().ContainSingle().Which.Disposals.Should().Be(0, "the repository is still open");

        await provider.DisposeAsync();

        recorder.Created.Single().Disposals.Should().Be(1, "the host made the target from its location, so it disposes it once");
    }

    [Fact]
    public async Task Path_still_works_as_the_older_name_of_Location()
    {
        var directory = Path.Combine(_directory, "repo");
        await using var provider = Build(new Dictionary<string, string?>
        {
            ["Backup:Repositories:main:Path"] = directory,
            ["Backup:Repositories:main:CreateIfMissing"] = "true",
        });

        var repository = await provider.GetRequiredService<IBackupRepositoryProvider>().GetAsync("main");

        repository.Blobs.Target.Description.Should().Contain(directory);
        Directory.Exists(Path.Combine(directory, "keys")).Should().BeTrue();
    }

    [Fact]
    public async Task A_missing_repository_without_CreateIfMissing_names_the_settings_that_fix_it()
    {
        var directory = Path.Combine(_directory, "not-created");
        await using var provider = Build(new Dictionary<string, string?> { ["Backup:Repositories:main:Location"] = directory });

        var result = await provider.GetRequiredService<IBackupJobRunner>().RunAsync("export");

        result.Outcome.Should().Be(BackupJobOutcome.Failed);
        result.Error.Should().BeOfType<Backup.Core.Repository.RepositoryNotFoundException>().Which.Message.Should()
            .Contain(directory).And.Contain("Backup:Repositories:main:Location").And.Contain("Backup:Repositories:main:CreateIfMissing");
        Directory.Exists(Path.Combine(directory, "keys")).Should().BeFalse();
    }

    [Theory]
    [InlineData("line ending", "pw-7f3a\n")]
    [InlineData("CRLF", "pw-7f3a\r\n")]
    [InlineData("no line ending", "pw-7f3a")]
    [InlineData("more lines", "pw-7f3a\nsecond line\n")]
    public async Task A_password_file_is_read_as_the_backup_tool_reads_it(string kind, string content)
    {
        var file = Path.Combine(_directory, "password");
        await File.WriteAllTextAsync(file, content);

        var hosting = await new FileKeySource(file).GetCredentialsAsync();
        using var expected = RepositoryCredentials.FromPassword("pw-7f3a");

        using (hosting)
        {
            (await SecretFile.ReadAsync(file)).Should().Be("pw-7f3a", kind);
            SecretFile.Read(file).Should().Be("pw-7f3a", kind);
            hosting.Secret.ToArray().Should().Equal(expected.Secret.ToArray(), kind);
        }
    }

    private static TargetResolver CliResolver() => new([new SftpTargetProvider(), new S3TargetProvider(), new AzureTargetProvider()]);

    private string WriteKeyFile()
    {
        var file = Path.Combine(_directory, "key");
        File.WriteAllBytes(file, [.. Enumerable.Range(0, 64).Select(i => (byte)i)]);
        return file;
    }

    private static string Validate(ServiceProvider provider)
    {
        var read = () => provider.GetRequiredService<IOptions<BackupHostingOptions>>().Value;
        return read.Should().Throw<OptionsValidationException>().Which.Message;
    }

    private static ServiceProvider Build(Dictionary<string, string?> values, Action<BackupBuilder>? configure = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddBackup(b =>
        {
            b.BindConfiguration(configuration.GetSection("Backup"));
            b.AddJob("export", j =>
            {
                j.Repository = "main";
                j.SourceFactory = _ => TestSupport.Export("export.csv", 256 * 1024);
            });
            if (!values.ContainsKey("Backup:Repositories:main:PasswordFile") && !values.ContainsKey("Backup:Repositories:main:KeyFile"))
            {
                // A key file skips the password KDF, keeping tests fast.
                b.AddRepository("main", r => r.KeySource = _ => TestSupport.FastKey());
            }

            configure?.Invoke(b);
        });
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    /// <summary>Runs the job, then reads the file back from the repository it wrote, and returns that repository.</summary>
    private static async Task<Backup.Core.BackupRepository> RoundTripAsync(ServiceProvider provider)
    {
        var result = await provider.GetRequiredService<IBackupJobRunner>().RunAsync("export");
        result.Outcome.Should().Be(BackupJobOutcome.Succeeded, result.Error?.ToString());

        var repository = await provider.GetRequiredService<IBackupRepositoryProvider>().GetAsync("main");
        var snapshot = await repository.Snapshots.FindAsync("latest");
        var node = (await repository.Snapshots.LoadTreeAsync(snapshot.Tree)).Nodes.Single();
        using var restored = new MemoryStream();
        await repository.Content.CopyToAsync(node, restored);
        // The same deterministic bytes the job backed up (TestSupport.Export).
        var expected = new byte[256 * 1024];
        new Random(42).NextBytes(expected);
        restored.ToArray().Should().Equal(expected);
        return repository;
    }

    /// <summary>A provider of "mem://" in-memory targets that records the settings it saw and the targets it made.</summary>
    private sealed class RecordingProvider(Dictionary<string, string?> seen) : ITargetProvider
    {
        public List<CountingDisposals> Created { get; } = [];

        public string Scheme => "mem";

        public IReadOnlyList<TargetSetting> Settings { get; } =
        [
            new("FromConfig", "BACKUP_TEST_UNSET_FROM_CONFIG", "a value from configuration"),
            new("FromCode", "BACKUP_TEST_UNSET_FROM_CODE", "a value from the delegate", isSecret: true),
            new("Unset", "BACKUP_TEST_UNSET_VARIABLE", "nothing"),
        ];

        public IBackupTarget Create(RepositoryLocation location, TargetSettings settings, TargetCreateOptions options)
        {
            foreach (var setting in Settings)
            {
                seen[setting.Name] = settings.Optional(setting.Name);
            }

            var target = new CountingDisposals();
            Created.Add(target);
            return target;
        }
    }

    /// <summary>An in-memory target that counts how often it is disposed.</summary>
    private sealed class CountingDisposals : DelegatingTarget
    {
        public CountingDisposals() : base(new InMemoryTarget()) { }

        public int Disposals { get; private set; }

        protected override async ValueTask DisposeAsyncCore()
        {
            Disposals++;
            await base.DisposeAsyncCore();
        }
    }
}
