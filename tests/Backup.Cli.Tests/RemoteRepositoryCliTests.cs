using Backup.Core;
using Backup.Core.Crypto;
using Backup.Core.Storage;
using Backup.Providers.Targets.Tests;

namespace Backup.Cli.Tests;

[CollectionDefinition(Name)]
public sealed class CliS3rverServer : ICollectionFixture<S3rverFixture>
{
    public const string Name = "cli-s3rver";
}

/// <summary>The tool against a real S3-compatible server (s3rver, started on 127.0.0.1 by the fixture).</summary>
[Collection(CliS3rverServer.Name)]
public sealed class RemoteRepositoryCliTests : IDisposable
{
    private const string DestinationPassword = "the off-site copy's own password";

    private readonly S3rverFixture _server;
    private readonly CliRunner _cli = new();

    public RemoteRepositoryCliTests(S3rverFixture server)
    {
        _server = server;
        Directory.CreateDirectory(_cli.PathOf("src"));
        File.WriteAllText(_cli.PathOf("src/a.txt"), "alpha");
        _cli.Environment["AWS_ACCESS_KEY_ID"] = "S3RVER";
        _cli.Environment["AWS_SECRET_ACCESS_KEY"] = "S3RVER";
        _cli.Environment["AWS_SESSION_TOKEN"] = null;
        _cli.Environment["BACKUP_S3_ENDPOINT"] = server.Endpoint.ToString();
        _cli.Environment["BACKUP_S3_PATH_STYLE"] = "true";
    }

    private string S3Location { get; } = $"s3://{S3rverFixture.Bucket}/cli-{Guid.NewGuid():N}";

    public void Dispose() => _cli.Dispose();

    [SkippableFact]
    public async Task Copy_from_a_local_repository_to_s3_with_retention_lock_is_judged_by_the_destination_not_the_local_source()
    {
        _server.RequireServer();
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "src")).ExitCode.Should().Be(0);
        var init = await _cli.RunAsync(["init", "--repo", S3Location], stdin: null, new() { ["BACKUP_PASSWORD"] = DestinationPassword });
        init.ExitCode.Should().Be(0, init.Stderr);
        var copyEnvironment = new Dictionary<string, string?> { ["BACKUP_DESTINATION_PASSWORD"] = DestinationPassword };

        // The 3-2-1 copy the documentation describes: the local repository, off site into S3 with Object Lock. s3rver
        // keeps no lock, so the copy is refused for what the destination did, not for the local source.
        var copy = await _cli.RunAsync(["copy", "--from", _cli.Repository, "--to", S3Location, "--retention-lock", "30d"], stdin: null, copyEnvironment);
        // The other way round the destination cannot lock what it stores: still refused.
        var intoLocal = await _cli.RunAsync(
            ["copy", "--from", S3Location, "--to", _cli.Repository, "--retention-lock", "30d", "--password-file", WritePassword(DestinationPassword)],
            stdin: null,
            new() { ["BACKUP_DESTINATION_PASSWORD"] = CliRunner.Password });

        copy.ExitCode.Should().Be(1, copy.Stderr);
        copy.Stderr.Should().Contain("keeps no retention lock on it").And.Contain("would not be immutable").And.NotContain("--retention-lock needs");
        var listed = await _cli.RunAsync(["snapshots", "--repo", S3Location], stdin: null, new() { ["BACKUP_PASSWORD"] = DestinationPassword });
        listed.ExitCode.Should().Be(0, listed.Stderr);
        listed.Stdout.Should().NotContain("1 snapshot(s)", "nothing was copied as if it were locked");
        intoLocal.ExitCode.Should().Be(2, intoLocal.Stderr);
        intoLocal.Stderr.Should().Contain("--retention-lock needs an s3:// or azure:// repository").And.Contain("'file' storage");
    }

    [SkippableFact]
    public async Task Init_with_a_retention_lock_on_a_server_that_keeps_no_lock_is_refused_and_creates_no_repository()
    {
        _server.RequireServer();
        var environment = new Dictionary<string, string?> { ["BACKUP_PASSWORD"] = DestinationPassword };

        var init = await _cli.RunAsync(["init", "--repo", S3Location, "--retention-lock", "30d"], stdin: null, environment);
        var snapshots = await _cli.RunAsync(["snapshots", "--repo", S3Location], stdin: null, environment);

        init.ExitCode.Should().Be(1, init.Stderr);
        init.Stderr.Should().Contain("cannot keep a retention lock").And.Contain("would not be immutable").And.Contain("Enable Object Lock on the bucket");
        snapshots.ExitCode.Should().Be(10, "the refused init left no repository behind: " + snapshots.Stderr);
    }

    [SkippableFact]
    public async Task A_repository_made_without_the_check_is_refused_at_the_first_locked_write_of_a_later_backup()
    {
        _server.RequireServer();
        var environment = new Dictionary<string, string?> { ["BACKUP_PASSWORD"] = DestinationPassword };
        (await _cli.RunAsync(["init", "--repo", S3Location], stdin: null, environment)).ExitCode.Should().Be(0);

        var create = await _cli.RunAsync(["create", "--repo", S3Location, "--retention-lock", "30d", "src"], stdin: null, environment);
        var snapshots = await _cli.RunAsync(["snapshots", "--repo", S3Location], stdin: null, environment);

        create.ExitCode.Should().Be(1, create.Stderr);
        create.Stderr.Should().Contain("accepted the write of 'data/").And.Contain("keeps no retention lock on it").And.Contain("would not be immutable");
        snapshots.ExitCode.Should().Be(0, snapshots.Stderr);
        snapshots.Stdout.Should().NotContain("1 snapshot(s)", "no snapshot is stored as if it were locked");
    }

    [SkippableFact]
    public async Task A_bucket_that_does_not_exist_is_no_repository_and_the_message_says_to_create_it()
    {
        _server.RequireServer();
        await _cli.InitAsync();
        var missing = $"s3://missing-{Guid.NewGuid():N}/repo";

        var snapshots = await _cli.RunAsync("snapshots", "--repo", missing);
        var copy = await _cli.RunAsync(["copy", "--to", missing], stdin: null, new() { ["BACKUP_DESTINATION_PASSWORD"] = DestinationPassword });

        snapshots.ExitCode.Should().Be(10, snapshots.Stderr);
        snapshots.Stderr.Should().Contain("There is no repository in").And.Contain("does not exist: create it (backup init does not create buckets)")
            .And.NotContain("'backup init --repo' with that location creates one", "init would fail the same way, as the bucket is missing");
        copy.ExitCode.Should().Be(10, "copy exits 10 when either repository is missing, as documented: " + copy.Stderr);
    }

    /// <summary>
    /// On storage that can lock (here s3rver, which takes the Object Lock settings), a run without the recorded lock is
    /// told to pass it, unlike a local copy of the same repository (RecordedRetentionLockCliTests), where the option is refused.
    /// </summary>
    [SkippableFact]
    public async Task A_bucket_that_records_a_retention_lock_refuses_a_run_without_it_and_says_to_pass_the_option()
    {
        _server.RequireServer();
        await UploadLockedRepositoryAsync();
        var environment = new Dictionary<string, string?> { ["BACKUP_PASSWORD"] = CliRunner.Password };

        var create = await _cli.RunAsync(["create", "--repo", S3Location, "src"], stdin: null, environment);

        create.ExitCode.Should().Be(2, create.Stderr);
        create.Stderr.Should().Contain("was created with a retention lock of 30d (governance mode)").And.Contain("this run writes no lock, so nothing was written")
            .And.Contain("Pass --retention-lock 30d (or longer), or export BACKUP_RETENTION_LOCK=30d in the job's environment with BACKUP_S3_RETENTION_MODE=governance.")
            .And.NotContain("this storage cannot keep that lock");
    }

    /// <summary>
    /// A repository recording a 30-day governance lock, put into the bucket at <see cref="S3Location"/>: made locally as
    /// an S3 target with Object Lock would make it, since s3rver keeps no lock and init refuses it (tested above).
    /// </summary>
    private async Task UploadLockedRepositoryAsync()
    {
        var local = _cli.PathOf("locked-" + Guid.NewGuid().ToString("N"));
        using (var credentials = RepositoryCredentials.FromPassword(CliRunner.Password))
        {
            await using var repository = await BackupRepository.InitAsync(new ClaimsRetentionLock(new LocalDirectoryTarget(local)), credentials);
        }

        using var http = new HttpClient();
        var prefix = S3Location[$"s3://{S3rverFixture.Bucket}/".Length..];
        foreach (var file in Directory.EnumerateFiles(local, "*", SearchOption.AllDirectories))
        {
            var key = $"{prefix}/{Path.GetRelativePath(local, file).Replace('\\', '/')}";
            using var content = new ByteArrayContent(await File.ReadAllBytesAsync(file));
            (await http.PutAsync(new Uri(_server.Endpoint, $"{S3rverFixture.Bucket}/{key}"), content)).EnsureSuccessStatusCode();
        }
    }

    private string WritePassword(string password)
    {
        var path = _cli.PathOf("password-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, password + "\n");
        return path;
    }

    /// <summary>Says it writes a 30-day governance lock, as an S3 target with Object Lock does.</summary>
    private sealed class ClaimsRetentionLock(IBackupTarget inner) : DelegatingTarget(inner), IRetentionLockingTarget
    {
        public RetentionLock? RetentionLock { get; } = new() { Period = TimeSpan.FromDays(30), Mode = "governance" };

        public Task ConfirmRetentionLockAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<RetentionExtension> ExtendRetentionAsync(string key, DateTimeOffset retainUntil, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("No test here extends a lock.");
    }
}
