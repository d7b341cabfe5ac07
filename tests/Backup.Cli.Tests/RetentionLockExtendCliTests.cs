using System.Text.Json;
using Backup.Providers.Targets.Tests;

namespace Backup.Cli.Tests;

/// <summary>
/// <c>backup retention-lock extend</c> and <c>backup key remove</c> of a key it locked, driven end to end: the tool
/// talks to s3rver through <see cref="ObjectLockProxy"/>, which keeps Object Lock retention as S3 does.
/// </summary>
[Collection(CliS3rverServer.Name)]
public sealed class RetentionLockExtendCliTests : IDisposable
{
    private readonly CliRunner _cli = new();
    private readonly S3rverFixture _server;

    public RetentionLockExtendCliTests(S3rverFixture server)
    {
        _server = server;
        Directory.CreateDirectory(_cli.PathOf("src"));
        File.WriteAllText(_cli.PathOf("src/a.txt"), "alpha");
        _cli.Environment["AWS_ACCESS_KEY_ID"] = "S3RVER";
        _cli.Environment["AWS_SECRET_ACCESS_KEY"] = "S3RVER";
        _cli.Environment["AWS_SESSION_TOKEN"] = null;
        _cli.Environment["BACKUP_S3_PATH_STYLE"] = "true";
        _cli.Environment["BACKUP_REPOSITORY"] = $"s3://{S3rverFixture.Bucket}/cli-ext-{Guid.NewGuid():N}";
    }

    public void Dispose() => _cli.Dispose();

    [SkippableFact]
    public async Task Extend_locks_every_live_object_and_a_locked_key_stays_with_a_message_that_says_until_when_and_what_removal_cannot_do()
    {
        _server.RequireServer();
        var simulator = new ObjectLockHttpSimulator();
        await using var proxy = new ObjectLockProxy(simulator, _server.Endpoint);
        _cli.Environment["BACKUP_S3_ENDPOINT"] = proxy.Endpoint.ToString();
        await RunOkAsync("init", "--retention-lock", "30d");
        await RunOkAsync("create", "src", "--retention-lock", "30d");
        var added = await _cli.RunAsync(["key", "add", "--retention-lock", "30d", "--json"], stdin: null, new() { ["BACKUP_NEW_PASSWORD"] = "a second password" });
        added.ExitCode.Should().Be(0, added.Stderr);
        var addedId = JsonDocument.Parse(added.Stdout).RootElement.GetProperty("keyId").GetString()!;
        var keyPath = simulator.Locks.Keys.FirstOrDefault(k => k.EndsWith("/keys/" + addedId, StringComparison.Ordinal));
        keyPath.Should().BeNull("a key object is written without a lock");

        var withoutLock = await _cli.RunAsync("retention-lock", "extend");
        withoutLock.ExitCode.Should().Be(2, withoutLock.Stderr);
        withoutLock.Stderr.Should().Contain("Pass --retention-lock 30d");
        simulator.RetentionPuts.Should().Be(0, "a refused run extends nothing");

        var json = await _cli.RunAsync(["retention-lock", "extend", "--retention-lock", "30d", "--json"], stdin: null, new() { ["BACKUP_TRACE_REQUESTS"] = "1" });
        json.ExitCode.Should().Be(0, json.Stderr);
        var result = JsonDocument.Parse(json.Stdout).RootElement;
        var until = result.GetProperty("retainUntil").GetDateTimeOffset();
        var extended = result.GetProperty("extended").GetInt64();
        result.GetProperty("retentionLock").GetString().Should().Be("30d (governance mode)");
        result.GetProperty("alreadyLockedLonger").GetInt64().Should().Be(0);
        result.GetProperty("earliestRetainUntil").GetDateTimeOffset().Should().Be(until);
        until.Should().BeCloseTo(DateTimeOffset.UtcNow.AddDays(30), TimeSpan.FromMinutes(10));
        simulator.RetentionPuts.Should().Be((int)extended, "one request per live object");
        json.Stderr.Should().Contain($"retention {extended}", "BACKUP_TRACE_REQUESTS counts the extensions");
        var locked = simulator.Locks.Where(l => l.Value.Until == until).Select(l => l.Key).ToList();
        locked.Should().HaveCount((int)extended);
        locked.Should().Contain(k => k.EndsWith("/config", StringComparison.Ordinal)).And.Contain(k => k.EndsWith("/keys/" + addedId, StringComparison.Ordinal))
            .And.Contain(k => k.Contains("/index/", StringComparison.Ordinal)).And.Contain(k => k.Contains("/data/", StringComparison.Ordinal))
            .And.Contain(k => k.Contains("/snapshots/", StringComparison.Ordinal)).And.NotContain(k => k.Contains("/locks/", StringComparison.Ordinal));

        var human = await _cli.RunAsync("retention-lock", "extend", "--retention-lock", "30d");
        human.ExitCode.Should().Be(0, human.Stderr);
        (human.Stdout + human.Stderr).Should().Contain($"Extended the retention lock (30d (governance mode)) of {extended} objects until")
            .And.Contain("Nothing the repository needs can be deleted before").And.Contain("Run this again before");

        var remove = await _cli.RunAsync("key", "remove", addedId, "--retention-lock", "30d");
        remove.ExitCode.Should().Be(1, remove.Stderr);
        remove.Stderr.Should().Contain($"Key {addedId} stays until").And.Contain("UTC")
            .And.Contain("its password keeps opening the repository until then")
            .And.Contain("Removing a password never revokes the master key it already unlocked")
            .And.Contain("create a new repository ('backup init') and copy the snapshots into it ('backup copy')");
        var keys = await _cli.RunAsync("key", "list", "--json");
        JsonDocument.Parse(keys.Stdout).RootElement.GetArrayLength().Should().Be(2, "the locked key object is still there");
    }

    [SkippableFact]
    public async Task A_repository_without_a_recorded_lock_has_nothing_to_extend()
    {
        _cli.Environment["BACKUP_REPOSITORY"] = _cli.Repository;
        await _cli.InitAsync();

        var extend = await _cli.RunAsync("retention-lock", "extend");

        extend.ExitCode.Should().Be(1, extend.Stderr);
        extend.Stderr.Should().Contain("was created without a retention lock, so there is no lock to extend").And.Contain("backup copy");
    }

    private async Task RunOkAsync(params string[] args)
    {
        var result = await _cli.RunAsync(args);
        result.ExitCode.Should().Be(0, result.Stderr);
    }
}
