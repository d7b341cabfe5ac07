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
    public async Task Extend_with_forgets_keep_options_leaves_the_snapshots_forget_removes_to_lapse_and_without_them_says_to_pass_them()
    {
        _server.RequireServer();
        var simulator = new ObjectLockHttpSimulator();
        await using var proxy = new ObjectLockProxy(simulator, _server.Endpoint);
        _cli.Environment["BACKUP_S3_ENDPOINT"] = proxy.Endpoint.ToString();
        await RunOkAsync("init", "--retention-lock", "30d");
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            // a.txt is in every snapshot (so the first one's pack stays needed); own{i}.txt only in snapshot i.
            File.Delete(_cli.PathOf($"src/own{i - 1}.txt"));
            File.WriteAllText(_cli.PathOf($"src/own{i}.txt"), $"only in snapshot {i}");
            var created = await _cli.RunAsync("create", "src", "--retention-lock", "30d", "--json");
            created.ExitCode.Should().Be(0, created.Stderr);
            ids.Add(JsonDocument.Parse(created.Stdout).RootElement.GetProperty("snapshot").GetProperty("id").GetString()!);
        }

        DateTimeOffset LockOf(string id) => simulator.Locks.Single(l => l.Key.EndsWith("/snapshots/" + id, StringComparison.Ordinal)).Value.Until;
        var written = ids.ToDictionary(id => id, LockOf);

        var json = await _cli.RunAsync("retention-lock", "extend", "--retention-lock", "30d", "--keep-last", "2", "--group-by", "none", "--json");
        json.ExitCode.Should().Be(0, json.Stderr);
        var result = JsonDocument.Parse(json.Stdout).RootElement;
        var until = result.GetProperty("retainUntil").GetDateTimeOffset();
        result.GetProperty("policy").GetString().Should().Contain("2");
        result.GetProperty("snapshotsLeftToLapse").EnumerateArray().Select(e => e.GetString()).Should().BeEquivalentTo(ids.Take(2));
        result.GetProperty("packsLeftToLapse").GetInt64().Should().BeGreaterThan(0, "the second snapshot's data is in no other snapshot");
        result.GetProperty("leftToLapseBy").GetDateTimeOffset().Should().Be(until);
        foreach (var id in ids.Skip(2))
        {
            LockOf(id).Should().Be(until, "the policy keeps it");
        }

        foreach (var id in ids.Take(2))
        {
            LockOf(id).Should().Be(written[id], "the policy forgets it: its lock is the one written with it, and lapses");
        }

        var human = await _cli.RunAsync("retention-lock", "extend", "--retention-lock", "30d", "--keep-last", "2", "--group-by", "none");
        human.ExitCode.Should().Be(0, human.Stderr);
        (human.Stdout + human.Stderr).Should().Contain("Policy: last 2").And.Contain("Left 2 snapshots the policy does not keep, and")
            .And.Contain("only such snapshots use, to lapse: the first can be deleted by").And.Contain("'backup forget' with this policy removes them");

        var withoutPolicy = await _cli.RunAsync("retention-lock", "extend", "--retention-lock", "30d");
        withoutPolicy.ExitCode.Should().Be(0, withoutPolicy.Stderr);
        (withoutPolicy.Stdout + withoutPolicy.Stderr).Should().Contain("Every snapshot was extended").And.Contain("pass the same --keep-* options here as there");
        LockOf(ids[0]).Should().BeAfter(written[ids[0]], "without the policy every snapshot is locked again");

        var noRule = await _cli.RunAsync("retention-lock", "extend", "--retention-lock", "30d", "--group-by", "none");
        noRule.ExitCode.Should().Be(2, noRule.Stderr);
        noRule.Stderr.Should().Contain("No retention rule given");

        // A misspelt tag as the only rule would leave every snapshot to lapse: refused as forget refuses it.
        var putsBefore = simulator.RetentionPuts;
        var misspelt = await _cli.RunAsync("retention-lock", "extend", "--retention-lock", "30d", "--keep-tag", "nightyl");
        misspelt.ExitCode.Should().Be(2, misspelt.Stderr);
        misspelt.Stderr.Should().Contain("This policy would remove every snapshot").And.Contain("nightyl");
        simulator.RetentionPuts.Should().Be(putsBefore, "a refused run extends nothing");
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
