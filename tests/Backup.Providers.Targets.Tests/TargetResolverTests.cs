using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core.Storage.Locations;
using Backup.Providers.Azure;
using Backup.Providers.S3;
using Backup.Providers.Sftp;

namespace Backup.Providers.Targets.Tests;

/// <summary>
/// The one place that turns a location and its settings into a target (the backup tool's --repo and a host's
/// Location alike): parsing, provider lookup, settings errors that name the setting and never a secret.
/// </summary>
public sealed class TargetResolverTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("backup-resolver-test-").FullName;

    private static TargetResolver Resolver => new([new SftpTargetProvider(), new S3TargetProvider(), new AzureTargetProvider()]);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("/var/backups/repo", "file", "/var/backups/repo")]
    [InlineData("relative/repo", "file", "relative/repo")]
    [InlineData("file:///var/backups/repo", "file", "/var/backups/repo")]
    [InlineData("S3://bucket/prefix", "s3", "bucket/prefix")]
    [InlineData("azure://container", "azure", "container")]
    [InlineData("sftp://backup@host:2222/srv/repo", "sftp", "backup@host:2222/srv/repo")]
    public void A_location_parses_into_its_scheme_and_address(string text, string scheme, string address)
    {
        var location = RepositoryLocation.Parse(text);

        location.Scheme.Should().Be(scheme);
        location.Address.Should().Be(address);
        location.IsLocal.Should().Be(scheme == "file");
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("s3://")]
    public void A_blank_location_is_a_configuration_error(string text)
    {
        var parse = () => RepositoryLocation.Parse(text);

        parse.Should().Throw<TargetConfigurationException>();
    }

    /// <summary>
    /// Taken as relative paths, these put the repository on this machine (init created ./s3:/bucket/repo and every
    /// backup went there) while the operator believed it off site.
    /// </summary>
    [Theory]
    [InlineData("s3:/bucket/repo", "s3")]
    [InlineData("s3:bucket/repo", "s3")]
    [InlineData("S3//bucket/repo", "s3")]
    [InlineData("sftp:backup:s3cr3t-value@host:/srv/repo", "sftp")]
    [InlineData("sftp:/backup@host/srv/repo", "sftp")]
    [InlineData("azure:/container/repo", "azure")]
    [InlineData("azure//container/repo", "azure")]
    public void A_url_with_a_mistyped_scheme_separator_is_refused_not_taken_for_a_local_directory(string text, string scheme)
    {
        var parse = () => RepositoryLocation.Parse(text);

        var message = parse.Should().Throw<TargetConfigurationException>().Which.Message;
        message.Should().Contain($"the scheme '{scheme}' but not '{scheme}://'").And.Contain($"{scheme}://").And.NotContain("s3cr3t-value");
    }

    [Theory]
    [InlineData("C:/backups/repo")]
    [InlineData("./s3:/bucket/repo")]
    [InlineData("backups/s3//repo")]
    [InlineData("/srv/backups:2026/repo")]
    [InlineData("nightly:2026/repo")]
    [InlineData("s3cache:/repo")]
    public void Local_paths_with_a_colon_or_double_slash_further_on_stay_local_directories(string text)
    {
        var location = RepositoryLocation.Parse(text);

        location.IsLocal.Should().BeTrue();
        location.Address.Should().Be(text);
    }

    [Fact]
    public void A_location_never_shows_a_password_in_its_user_info()
    {
        RepositoryLocation.Parse("sftp://backup:hunter2@host/srv/repo").ToString().Should().Be("sftp://backup:***@host/srv/repo");
        RepositoryLocation.Parse("sftp://backup@host/srv/a:b").ToString().Should().Be("sftp://backup@host/srv/a:b");
    }

    [Theory]
    [InlineData("s3://AKIAEXAMPLE:s3cr3t-value@bucket/repo", "AWS_SECRET_ACCESS_KEY")]
    [InlineData("s3://AKIAEXAMPLE:s3cr3t-value@s3.example.com/bucket", "AWS_SECRET_ACCESS_KEY")]
    [InlineData("s3://AKIAEXAMPLE@bucket/repo", "AWS_ACCESS_KEY_ID")]
    [InlineData("s3://s3.example.com:9000/bucket?access_key=AKIAEXAMPLE&secret_key=s3cr3t-value", "AWS_SECRET_ACCESS_KEY")]
    [InlineData("s3://bucket/repo?secret_key=s3cr3t-value", "AWS_SECRET_ACCESS_KEY")]
    [InlineData("azure://account:s3cr3t-value@container/repo", "AZURE_STORAGE_CONNECTION_STRING")]
    [InlineData("azure://container/repo?sv=2024-01-01&sig=s3cr3t-value", "AZURE_STORAGE_CONNECTION_STRING")]
    [InlineData("sftp://backup:s3cr3t-value@host/srv/repo", "BACKUP_SFTP_PASSWORD")]
    [InlineData("sftp://backup@host/srv/repo?password=s3cr3t-value", "BACKUP_SFTP_PASSWORD")]
    public void Credentials_in_a_repository_url_are_refused_saying_where_they_go_and_never_echoed(string location, string variable)
    {
        var create = () => Resolver.Create(RepositoryLocation.Parse(location), _ => null);

        var message = create.Should().Throw<TargetConfigurationException>().Which.Message;
        message.Should().Contain("Credentials do not go in").And.Contain(variable)
            .And.NotContain("s3cr3t-value").And.NotContain("AKIAEXAMPLE");
    }

    /// <summary>
    /// A secret with a '/' in it cuts the URL's user info at the first segment, leaving 'KEY:half' where the bucket
    /// goes: that is credentials, not a server, and neither half of the secret may be echoed.
    /// </summary>
    [Theory]
    [InlineData("s3://AKIAEXAMPLE:s3cr3t/h4lf2@bucket/repo", "AWS_SECRET_ACCESS_KEY")]
    [InlineData("s3://AKIAEXAMPLE:s3cr3t/h4lf2/h4lf3@s3.example.com/bucket", "AWS_SECRET_ACCESS_KEY")]
    [InlineData("azure://account:s3cr3t/h4lf2@container/repo", "AZURE_STORAGE_CONNECTION_STRING")]
    public void Credentials_whose_secret_holds_a_slash_are_refused_as_credentials_and_never_echoed(string location, string variable)
    {
        var create = () => Resolver.Create(RepositoryLocation.Parse(location), _ => null);

        var message = create.Should().Throw<TargetConfigurationException>().Which.Message;
        message.Should().Contain("Credentials do not go in").And.Contain(variable).And.NotContain("not the server")
            .And.NotContain("s3cr3t").And.NotContain("h4lf2").And.NotContain("h4lf3").And.NotContain("AKIAEXAMPLE");
    }

    /// <summary>
    /// Object keys may hold '?' (and '@'), and a prefix that does was used as it is written until credentials in URLs
    /// were refused: such a repository must still open. A query is what holds name=value pairs, or a '?' where no
    /// bucket or container name can have one.
    /// </summary>
    [Theory]
    [InlineData("s3://bucket/backups?v2", "bucket/backups?v2/")]
    [InlineData("s3://bucket/what?/repo", "bucket/what?/repo/")]
    [InlineData("s3://bucket/team@example.com/repo", "bucket/team@example.com/repo/")]
    [InlineData("azure://container/backups?v2", "container/backups?v2/")]
    public void A_prefix_that_holds_a_question_mark_but_no_query_is_still_a_prefix(string location, string described)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Endpoint"] = "http://127.0.0.1:9", ["AccessKeyId"] = "id", ["SecretAccessKey"] = "secret-value",
            ["ConnectionString"] = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AzuriteFixture.AccountKey};BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;",
        };

        var target = Resolver.Create(RepositoryLocation.Parse(location), s => settings.GetValueOrDefault(s.Name), new TargetCreateOptions { Retry = false });

        target.Description.Should().Contain(described);
        (target as IDisposable)?.Dispose();
    }

    [Theory]
    [InlineData("s3://bucket?repo")]
    [InlineData("azure://container?x/repo")]
    public void A_question_mark_in_a_bucket_or_container_name_is_refused_as_a_query(string location)
    {
        var create = () => Resolver.Create(RepositoryLocation.Parse(location), _ => null);

        create.Should().Throw<TargetConfigurationException>().Which.Message.Should().Contain("query");
    }

    [Fact]
    public void A_server_in_place_of_the_bucket_is_refused_saying_where_the_endpoint_goes()
    {
        var create = () => Resolver.Create(RepositoryLocation.Parse("s3://s3.example.com:9000/bucket"), _ => null);

        create.Should().Throw<TargetConfigurationException>().Which.Message.Should().Contain("BACKUP_S3_ENDPOINT").And.Contain("s3://BUCKET[/PREFIX]");
    }

    [Theory]
    [InlineData("sftp://backup@host:2222/~/repo", "sftp://backup@host:2222/~/repo")]
    [InlineData("sftp://backup@host/srv/repo/", "sftp://backup@host:22/srv/repo")]
    public async Task An_sftp_target_describes_itself_by_the_url_that_opens_it_again(string location, string described)
    {
        var keyFile = Path.Combine(_directory, "key");
        await File.WriteAllTextAsync(keyFile, "not read until the first connection");
        var settings = new Dictionary<string, string> { ["HostKey"] = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", ["KeyFile"] = keyFile };

        await using var target = (SftpTarget)Resolver.Create(
            RepositoryLocation.Parse(location), s => settings.GetValueOrDefault(s.Name), new TargetCreateOptions { Retry = false, RequestTimeout = null });

        // A path relative to the login directory written without '/~/' would name the absolute path: another directory.
        target.Description.Should().Be($"SFTP target '{described}'");
    }

    [Theory]
    [InlineData("s3://bucket/repo")]
    [InlineData("azure://container/repo")]
    public async Task A_server_that_accepts_connections_and_never_answers_fails_each_request_in_time(string location)
    {
        // A real socket that completes the TCP handshake and then says nothing, as a hung server or a stuck proxy does.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource();
        var held = new System.Collections.Concurrent.ConcurrentBag<System.Net.Sockets.Socket>();
        var accepting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                held.Add(await listener.AcceptSocketAsync(stop.Token));
            }
        });
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Endpoint"] = $"http://127.0.0.1:{port}", ["AccessKeyId"] = "id", ["SecretAccessKey"] = "secret-value",
            ["ConnectionString"] = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AzuriteFixture.AccountKey};BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;",
        };

        try
        {
            await using var target = (IAsyncDisposable)Resolver.Create(
                RepositoryLocation.Parse(location), s => settings.GetValueOrDefault(s.Name), new TargetCreateOptions { Retry = false, RequestTimeout = TimeSpan.FromSeconds(1) });
            var storage = (IBackupTarget)target;

            var stat = async () => await storage.StatAsync("config");

            var statError = (await stat.Should().ThrowAsync<BackupTargetException>()).Which;
            statError.IsTransient.Should().BeTrue("the retry layer above tries it again");
            statError.Message.Should().Contain("did not finish a request within 1 s").And.Contain("does not answer").And.NotContain("secret-value");
            held.Should().NotBeEmpty("the requests reached the silent server");
        }
        finally
        {
            await stop.CancelAsync();
            listener.Stop();
            foreach (var socket in held)
            {
                socket.Dispose();
            }

            await accepting.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    [Fact]
    public void A_request_timeout_that_is_not_positive_is_refused()
    {
        var create = () => Resolver.Create(RepositoryLocation.Parse("s3://bucket"), _ => null, new TargetCreateOptions { RequestTimeout = TimeSpan.Zero });

        create.Should().Throw<ArgumentException>().Which.Message.Should().Contain("RequestTimeout must be positive");
    }

    [Fact]
    public void An_unknown_scheme_names_the_registered_ones()
    {
        var create = () => Resolver.Create(RepositoryLocation.Parse("ftp://host/repo"), _ => null);

        create.Should().Throw<TargetConfigurationException>().Which.Message.Should().Contain("'ftp://'").And.Contain("sftp://, s3:// or azure://");
    }

    [Fact]
    public void Without_the_remote_providers_an_unknown_scheme_says_which_package_provides_it()
    {
        var create = () => new TargetResolver([]).Create(RepositoryLocation.Parse("s3://bucket/repo"), _ => null);

        create.Should().Throw<TargetConfigurationException>().Which.Message
            .Should().Contain("Backup.Providers.S3").And.Contain("Backup.Providers.Azure").And.Contain("Backup.Providers.Sftp");
    }

    [Fact]
    public void A_missing_required_setting_names_it_and_its_environment_variable_never_another_value()
    {
        var settings = new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = "AKIA-visible", ["AWS_SESSION_TOKEN"] = "token-secret-value" };

        var create = () => Resolver.Create(RepositoryLocation.Parse("s3://bucket/repo"), s => s.ReadEnvironment(settings.GetValueOrDefault));

        var error = create.Should().Throw<TargetConfigurationException>().Which;
        error.Setting.Should().Be("SecretAccessKey");
        error.Message.Should().Contain("SecretAccessKey (AWS_SECRET_ACCESS_KEY)").And.NotContain("token-secret-value");
    }

    [Fact]
    public void A_plain_http_endpoint_on_another_machine_is_refused_unless_allowed_and_then_warned_about()
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Endpoint"] = "http://192.0.2.10:9000", ["AccessKeyId"] = "id", ["SecretAccessKey"] = "secret-value",
        };
        var warnings = new List<string>();

        var refused = () => Resolver.Create(RepositoryLocation.Parse("s3://bucket"), s => settings.GetValueOrDefault(s.Name));
        using var allowed = (IDisposable)Resolver.Create(
            RepositoryLocation.Parse("s3://bucket"), s => settings.GetValueOrDefault(s.Name), new TargetCreateOptions { AllowInsecureHttp = true, Warn = warnings.Add, Retry = false, RequestTimeout = null });

        refused.Should().Throw<InsecureTransportException>().Which.Message.Should().Contain("plain http://").And.NotContain("secret-value");
        warnings.Should().ContainSingle().Which.Should().Contain("plain http://");
    }

    [Fact]
    public void A_local_directory_keeps_the_create_flag_and_file_mode()
    {
        var missing = Path.Combine(_directory, "missing");

        var open = () => Resolver.Create(RepositoryLocation.Parse(missing), _ => null);
        var badMode = () => Resolver.Create(RepositoryLocation.Parse(missing), s => s.Name == "FileMode" ? "755" : null, new TargetCreateOptions { CreateIfMissing = true });

        open.Should().Throw<RepositoryNotFoundException>();
        badMode.Should().Throw<TargetConfigurationException>().Which.Message.Should().Contain("FileMode (BACKUP_FILE_MODE)");
        Resolver.Create(RepositoryLocation.Parse(missing), _ => null, new TargetCreateOptions { CreateIfMissing = true })
            .Should().BeOfType<LocalDirectoryTarget>("local directories are not retried, as before");
    }

    [Fact]
    public async Task Remote_targets_are_wrapped_inside_the_retry_layer_and_each_provider_builds_its_own_kind()
    {
        var wrapped = new List<IBackupTarget>();
        var settings = new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = "id", ["AWS_SECRET_ACCESS_KEY"] = "secret",
            ["AZURE_STORAGE_CONNECTION_STRING"] = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + AzuriteFixture.AccountKey + ";BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;",
        };
        var options = new TargetCreateOptions { Wrap = t => { wrapped.Add(t); return t; } };

        await using var s3 = (IAsyncDisposable)Resolver.Create(RepositoryLocation.Parse("s3://bucket/prefix"), s => s.ReadEnvironment(settings.GetValueOrDefault), options);
        await using var azure = (IAsyncDisposable) Resolver.Create(RepositoryLocation.Parse("azure://container/prefix"), s => s.ReadEnvironment(settings.GetValueOrDefault), options);

        s3.Should().BeOfType<RetryingTarget>();
        azure.Should().BeOfType<RetryingTarget>();
        wrapped.Select(t => t.GetType()).Should().Equal(typeof(S3Target), typeof(AzureBlobTarget));
    }

    [Fact]
    public void The_retention_lock_setting_turns_on_object_lock_and_immutability_and_bad_values_name_the_setting()
    {
        var s3 = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Endpoint"] = "http://127.0.0.1:9", ["AccessKeyId"] = "id", ["SecretAccessKey"] = "secret-value", ["RetentionLock"] = "30d", ["RetentionMode"] = "compliance",
        };
        using (var locked = (IDisposable)Resolver.Create(RepositoryLocation.Parse("s3://bucket"), s => s3.GetValueOrDefault(s.Name), new TargetCreateOptions { Retry = false, RequestTimeout = null }))
        {
            locked.Should().BeOfType<S3Target>();
        }

        new S3TargetProvider().Settings.Should().Contain(s => s.Name == "RetentionLock" && s.EnvironmentVariable == "BACKUP_RETENTION_LOCK");
        new AzureTargetProvider().Settings.Should().Contain(s => s.Name == "RetentionLock" && s.EnvironmentVariable == "BACKUP_RETENTION_LOCK");

        foreach (var (name, value, expected) in new[] { ("RetentionLock", "soon", "BACKUP_RETENTION_LOCK"), ("RetentionLock", "0d", "BACKUP_RETENTION_LOCK"), ("RetentionMode", "strict", "BACKUP_S3_RETENTION_MODE") })
        {
            var bad = new Dictionary<string, string?>(s3, StringComparer.OrdinalIgnoreCase) { [name] = value };
            var create = () => Resolver.Create(RepositoryLocation.Parse("s3://bucket"), s => bad.GetValueOrDefault(s.Name), new TargetCreateOptions { Retry = false });
            create.Should().Throw<TargetConfigurationException>().Which.Message.Should().Contain(expected).And.NotContain("secret-value");
        }

        var modeOnly = new Dictionary<string, string?>(s3, StringComparer.OrdinalIgnoreCase) { ["RetentionLock"] = null };
        FluentActions.Invoking(() => Resolver.Create(RepositoryLocation.Parse("s3://bucket"), s => modeOnly.GetValueOrDefault(s.Name), new TargetCreateOptions { Retry = false }))
            .Should().Throw<TargetConfigurationException>().Which.Message.Should().Contain("give the retention period too");
        FluentActions.Invoking(() => Resolver.Create(RepositoryLocation.Parse("azure://container"), s => s.Name == "RetentionLock" ? "a week" : "UseDevelopmentStorage=true", new TargetCreateOptions { Retry = false }))
            .Should().Throw<TargetConfigurationException>().Which.Message.Should().Contain("BACKUP_RETENTION_LOCK");
    }
}
