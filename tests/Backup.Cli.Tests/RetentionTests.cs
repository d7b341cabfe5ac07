using System.Globalization;
using System.Text.Json;
using Backup.Core;
using Backup.Core.Crypto;
using Backup.Core.Repository;
using Backup.Core.Storage;

namespace Backup.Cli.Tests;

/// <summary>forget and prune, end to end.</summary>
public sealed class RetentionTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public RetentionTests() => Directory.CreateDirectory(_cli.PathOf("src"));

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Forget_dry_run_deletes_nothing_and_shows_the_reasons()
    {
        await _cli.InitAsync();
        var ids = await CreateSnapshotsAsync(2);

        var human = await _cli.RunAsync("forget", "--keep-last", "1", "--dry-run");
        var within = await _cli.RunAsync("forget", "--keep-within", "7d", "--dry-run");
        var json = await _cli.RunAsync("forget", "--keep-last", "1", "--dry-run", "--time-zone", "UTC", "--json");

        human.ExitCode.Should().Be(0, human.Stderr);
        human.Stdout.Should().Contain("Dry run").And.Contain("nothing was deleted").And.Contain("would remove").And.Contain("last 1").And.Contain("no rule keeps it");
        within.ExitCode.Should().Be(0, within.Stderr);
        within.Stdout.Should().Contain("within 7d").And.Contain("would keep 2 and remove 0");
        json.ExitCode.Should().Be(0, json.Stderr);
        var root = JsonDocument.Parse(json.Stdout).RootElement;
        root.GetProperty("dryRun").GetBoolean().Should().BeTrue();
        root.GetProperty("deleted").GetInt32().Should().Be(0);
        var decisions = root.GetProperty("groups")[0].GetProperty("decisions").EnumerateArray().ToDictionary(d => d.GetProperty("id").GetString()!);
        decisions[ids[1]].GetProperty("action").GetString().Should().Be("keep");
        decisions[ids[1]].GetProperty("reasons").EnumerateArray().Select(r => r.GetString()).Should().Contain("last 1");
        decisions[ids[0]].GetProperty("action").GetString().Should().Be("remove");
        decisions[ids[0]].GetProperty("reasons").GetArrayLength().Should().Be(0);
        (await ListAsync()).Should().BeEquivalentTo(ids);
    }

    [Fact]
    public async Task Forget_shows_each_snapshots_time_in_the_policys_zone_with_its_offset()
    {
        await _cli.InitAsync();
        // Made on a host whose clock runs in New York: the snapshot records New York's offset.
        var create = await _cli.RunAsync(["create", "src", "--json"], stdin: null, new() { ["TZ"] = "America/New_York" });
        create.ExitCode.Should().Be(0, create.Stderr);
        var recorded = JsonDocument.Parse(create.Stdout).RootElement.GetProperty("snapshot").GetProperty("time").GetDateTimeOffset();

        var forget = await _cli.RunAsync("forget", "--keep-daily", "1", "--time-zone", "Asia/Tokyo", "--dry-run");

        forget.ExitCode.Should().Be(0, forget.Stderr);
        var tokyo = TimeZoneInfo.ConvertTime(recorded, TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo"));
        forget.Stdout.Should().Contain(tokyo.ToString("yyyy-MM-dd HH:mm:ss '+09:00'", CultureInfo.InvariantCulture), "the days in the reasons are Tokyo's, so the times beside them are too")
            .And.Contain(tokyo.ToString("'daily 1 ('yyyy-MM-dd')'", CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Forget_keep_last_1_removes_the_older_snapshots()
    {
        await _cli.InitAsync();
        var ids = await CreateSnapshotsAsync(3);

        var forget = await _cli.RunAsync("forget", "--keep-last", "1");

        forget.ExitCode.Should().Be(0, forget.Stderr);
        forget.Stdout.Should().Contain("removed 2 snapshot(s)");
        (await ListAsync()).Should().Equal(ids[2]);
    }

    [Fact]
    public async Task Forget_quiet_prints_nothing_but_a_quiet_dry_run_still_shows_what_it_would_do()
    {
        await _cli.InitAsync();
        await CreateSnapshotsAsync(3);

        var dryRun = await _cli.RunAsync("forget", "--keep-last", "2", "--dry-run", "-q");
        var forget = await _cli.RunAsync("forget", "--keep-last", "1", "-q");

        dryRun.ExitCode.Should().Be(0, dryRun.Stderr);
        dryRun.Stdout.Should().Contain("would remove").And.Contain("nothing was deleted");
        forget.ExitCode.Should().Be(0, forget.Stderr);
        forget.Stdout.Should().BeEmpty();
        (await ListAsync()).Should().HaveCount(1);
    }

    [Fact]
    public async Task Pin_keeps_a_snapshot_through_forget_and_unpin_lets_forget_remove_it()
    {
        await _cli.InitAsync();
        var ids = await CreateSnapshotsAsync(2);

        var pin = await _cli.RunAsync("pin", ids[0][..8], "--json");
        pin.ExitCode.Should().Be(0, pin.Stderr);
        var result = JsonDocument.Parse(pin.Stdout).RootElement[0];
        result.GetProperty("previousId").GetString().Should().Be(ids[0]);
        result.GetProperty("pinned").GetBoolean().Should().BeTrue();
        var pinnedId = result.GetProperty("id").GetString()!;
        pinnedId.Should().NotBe(ids[0]);
        var listing = await _cli.RunAsync("snapshots");
        listing.Stdout.Should().Contain("(pinned)");

        var forget = await _cli.RunAsync("forget", "--keep-last", "1");
        forget.ExitCode.Should().Be(0, forget.Stderr);
        (await ListAsync()).Should().BeEquivalentTo([pinnedId, ids[1]], "the pinned snapshot survives --keep-last 1");

        var again = await _cli.RunAsync("pin", pinnedId);
        again.ExitCode.Should().Be(0, again.Stderr);
        again.Stdout.Should().Contain("already pinned");

        var unpin = await _cli.RunAsync("unpin", pinnedId);
        unpin.ExitCode.Should().Be(0, unpin.Stderr);
        unpin.Stdout.Should().Contain("unpinned snapshot");
        (await _cli.RunAsync("forget", "--keep-last", "1")).ExitCode.Should().Be(0);
        (await ListAsync()).Should().Equal(ids[1]);

        var missing = await _cli.RunAsync("pin", "ffffffff");
        missing.ExitCode.Should().NotBe(0);
        missing.Stderr.Should().Contain("ffffffff");
    }

    [Fact]
    public async Task Pinning_several_snapshots_changes_none_when_one_is_not_found_and_each_named_twice_once()
    {
        await _cli.InitAsync();
        var ids = await CreateSnapshotsAsync(2);

        var typo = await _cli.RunAsync("pin", ids[0][..8], "ffffffff", "--json");

        typo.ExitCode.Should().NotBe(0);
        typo.Stderr.Should().Contain("ffffffff");
        (await ListAsync()).Should().BeEquivalentTo(ids, "nothing was pinned, so no snapshot got a new ID the output never reported");

        var twice = await _cli.RunAsync("pin", ids[0][..8], ids[0], "--json");

        twice.ExitCode.Should().Be(0, twice.Stderr);
        JsonDocument.Parse(twice.Stdout).RootElement.GetArrayLength().Should().Be(1);
        (await ListAsync()).Should().HaveCount(2);
    }

    [Fact]
    public async Task An_empty_policy_is_a_usage_error()
    {
        await _cli.InitAsync();
        await CreateSnapshotsAsync(1);

        var forget = await _cli.RunAsync("forget", "--dry-run");
        var badDuration = await _cli.RunAsync("forget", "--keep-within", "7x");

        forget.ExitCode.Should().Be(2, forget.Stderr);
        forget.Stderr.Should().Contain("No retention rule given");
        badDuration.ExitCode.Should().Be(2, badDuration.Stderr);
        badDuration.Stderr.Should().Contain("--keep-within '7x'");
        var pruneOptionWithoutPrune = await _cli.RunAsync("forget", "--keep-last", "1", "--repack-threshold", "0.5");
        pruneOptionWithoutPrune.ExitCode.Should().Be(2, "a prune setting without --prune would be ignored silently");
        pruneOptionWithoutPrune.Stderr.Should().Contain("only apply with --prune");
        (await ListAsync()).Should().HaveCount(1);
    }

    /// <summary>
    /// A --keep-tag policy alone keeps only what carries the tags, so a misspelt tag (weekly for snapshots tagged
    /// nightly) would remove every snapshot; that run is refused, naming the tags there are. A dry run still shows it.
    /// </summary>
    [Fact]
    public async Task A_keep_tag_policy_that_would_remove_every_snapshot_is_refused_naming_the_tags_there_are()
    {
        await _cli.InitAsync();
        for (var i = 0; i < 2; i++)
        {
            await File.WriteAllBytesAsync(_cli.PathOf("src/data.bin"), RandomBytes(4096, seed: i));
            string[] args = i == 0 ? ["create", "src", "--tag", "nightly"] : ["create", "src", "--tag", "nightly", "--tag", "keep"];
            var create = await _cli.RunAsync(args);
            create.ExitCode.Should().Be(0, create.Stderr);
        }

        var dryRun = await _cli.RunAsync("forget", "--keep-tag", "weekly", "--dry-run");
        var typo = await _cli.RunAsync("forget", "--keep-tag", "weekly");

        dryRun.ExitCode.Should().Be(0, dryRun.Stderr);
        dryRun.Stdout.Should().Contain("would keep 0 and remove 2");
        typo.ExitCode.Should().Be(2, typo.Stderr);
        typo.Stderr.Should().Contain("would remove every snapshot").And.Contain("'weekly'").And.Contain("keep, nightly");
        (await ListAsync()).Should().HaveCount(2, "nothing was deleted");

        var keepOne = await _cli.RunAsync("forget", "--keep-tag", "keep");
        keepOne.ExitCode.Should().Be(0, keepOne.Stderr);
        (await ListAsync()).Should().HaveCount(1, "a tag policy that keeps something still removes the rest");
    }

    /// <summary>
    /// The policy is applied per group, and so is the refusal: where only host A tags its snapshots nightly,
    /// --keep-tag nightly keeps A's and would remove every one of host B's. That run is refused, naming B's group and
    /// its tags; a dry run still shows the plan, and a policy that keeps something in every group goes ahead.
    /// </summary>
    [Fact]
    public async Task A_keep_tag_policy_that_would_empty_one_hosts_group_is_refused_naming_that_group()
    {
        await _cli.InitAsync();
        string[][] creates =
        [
            ["create", "src", "--host", "alpha", "--tag", "nightly"],
            ["create", "src", "--host", "alpha", "--tag", "nightly"],
            ["create", "src", "--host", "beta", "--tag", "weekly"],
            ["create", "src", "--host", "beta", "--tag", "weekly"],
            ["create", "src", "--host", "beta"],
        ];
        for (var i = 0; i < creates.Length; i++)
        {
            await File.WriteAllBytesAsync(_cli.PathOf("src/data.bin"), RandomBytes(4096, seed: i));
            var create = await _cli.RunAsync(creates[i]);
            create.ExitCode.Should().Be(0, create.Stderr);
        }

        var dryRun = await _cli.RunAsync("forget", "--keep-tag", "nightly", "--dry-run");
        var forget = await _cli.RunAsync("forget", "--keep-tag", "nightly");

        dryRun.ExitCode.Should().Be(0, dryRun.Stderr);
        dryRun.Stdout.Should().Contain("would keep 2 and remove 3");
        forget.ExitCode.Should().Be(2, forget.Stderr);
        forget.Stderr.Should().Contain("would remove every snapshot of 1 of the 2 groups").And.Contain("'nightly'")
            .And.Contain("Left with no snapshot: host=beta").And.Contain("(tags: weekly)").And.NotContain("host=alpha")
            .And.Contain("--group-by none judges the repository as one group");
        (await ListAsync()).Should().HaveCount(5, "nothing was deleted");

        var both = await _cli.RunAsync("forget", "--keep-tag", "nightly", "--keep-tag", "weekly");
        both.ExitCode.Should().Be(0, both.Stderr);
        (await ListAsync()).Should().HaveCount(4, "every group keeps its tagged snapshots, so the untagged one goes");

        var onPurpose = await _cli.RunAsync("forget", "--keep-tag", "nightly", "--group-by", "none");
        onPurpose.ExitCode.Should().Be(0, onPurpose.Stderr);
        (await ListAsync()).Should().HaveCount(2, "judged as one group, the repository keeps alpha's nightly snapshots and beta's go, as asked");
    }

    /// <summary>
    /// A snapshot dated after now is kept for its date alone, whatever the policy: a host whose clock ran ahead. A
    /// misspelt --keep-tag must not count it as what the group keeps, or the group's whole real history goes and what
    /// is left is a snapshot 'latest' passes over.
    /// </summary>
    [Fact]
    public async Task A_keep_tag_policy_that_would_leave_a_group_only_a_future_dated_snapshot_is_refused()
    {
        await _cli.InitAsync();
        var ids = await CreateSnapshotsAsync(2);
        await using (var repository = await BackupRepository.OpenAsync(new LocalDirectoryTarget(_cli.Repository), RepositoryCredentials.FromPassword(CliRunner.Password)))
        {
            var newest = await repository.Snapshots.FindAsync(ids[^1]);
            await repository.Snapshots.SaveAsync(newest with { Time = DateTimeOffset.UtcNow.AddYears(1), Tags = [] });
        }

        var typo = await _cli.RunAsync("forget", "--keep-tag", "weekly");

        typo.ExitCode.Should().Be(2, typo.Stderr);
        typo.Stderr.Should().Contain("'weekly'").And.Contain("dated in the future");
        (await ListAsync()).Should().HaveCount(3, "nothing was deleted");
    }

    [Fact]
    public async Task Forget_by_id_removes_exactly_the_named_snapshots_by_full_id_or_prefix()
    {
        await _cli.InitAsync();
        var ids = await CreateSnapshotsAsync(4);

        var dryRun = await _cli.RunAsync("forget", ids[0][..6], ids[2], "--dry-run");
        var json = await _cli.RunAsync("forget", ids[0][..6], ids[2], ids[2][..8], "--json");
        var human = await _cli.RunAsync("forget", ids[3][..8]);

        dryRun.ExitCode.Should().Be(0, dryRun.Stderr);
        dryRun.Stdout.Should().Contain("would remove").And.Contain("named").And.Contain("would remove the 2 snapshot(s) named, and no other").And.NotContain("would keep 0").And.Contain("nothing was deleted");
        json.ExitCode.Should().Be(0, json.Stderr);
        var root = JsonDocument.Parse(json.Stdout).RootElement;
        root.GetProperty("dryRun").GetBoolean().Should().BeFalse();
        root.GetProperty("deleted").GetInt32().Should().Be(2, "a snapshot named twice is removed once");
        root.GetProperty("kept").GetInt32().Should().Be(0);
        root.GetProperty("policy").GetString().Should().Contain(ids[0][..8]).And.Contain(ids[2][..8]);
        root.GetProperty("groups").EnumerateArray().SelectMany(g => g.GetProperty("decisions").EnumerateArray())
            .Select(d => (d.GetProperty("id").GetString(), d.GetProperty("action").GetString())).Should().BeEquivalentTo([(ids[0], "remove"), (ids[2], "remove")]);
        human.ExitCode.Should().Be(0, human.Stderr);
        human.Stdout.Should().Contain($"Forget: snapshots {ids[3][..8]}").And.Contain("Removed 1 of the 1 snapshot(s) named; no other snapshot was touched").And.NotContain("Kept 0").And.Contain("backup prune");
        (await ListAsync()).Should().Equal(ids[1]);
    }

    /// <summary>
    /// The snapshot an operator most wants gone may be the one that is damaged; naming it fails (it cannot be read), so
    /// the message must say what does remove it.
    /// </summary>
    [Fact]
    public async Task Forgetting_a_damaged_snapshot_by_id_says_that_repair_snapshots_removes_it()
    {
        await _cli.InitAsync();
        var ids = await CreateSnapshotsAsync(1);
        var damaged = new string(ids[0][0] == 'f' ? 'e' : 'f', 64);
        File.Copy(Path.Combine(_cli.Repository, "snapshots", ids[0]), Path.Combine(_cli.Repository, "snapshots", damaged));

        var forget = await _cli.RunAsync("forget", damaged);

        forget.ExitCode.Should().NotBe(0, forget.Stderr);
        forget.Stderr.Should().Contain("does not match its name").And.Contain("'backup repair snapshots' removes every such snapshot");
        var repair = await _cli.RunAsync("repair", "snapshots");
        repair.ExitCode.Should().Be(0, repair.Stderr);
        Directory.GetFiles(Path.Combine(_cli.Repository, "snapshots")).Select(Path.GetFileName).Should().BeEquivalentTo([ids[0]], "repair removed the damaged one and kept the good one");
    }

    /// <summary>
    /// Every name is checked before the first delete: a typo, an ambiguous prefix or a pinned snapshot among them
    /// removes none of the others. 'latest', and IDs mixed with a policy, are usage errors.
    /// </summary>
    [Fact]
    public async Task Forget_by_id_deletes_nothing_when_one_name_is_unknown_ambiguous_pinned_latest_or_mixed_with_a_policy()
    {
        await _cli.InitAsync();
        var ids = await CreateSnapshotsAsync(2);
        var pin = await _cli.RunAsync("pin", ids[1], "--json");
        pin.ExitCode.Should().Be(0, pin.Stderr);
        var pinned = JsonDocument.Parse(pin.Stdout).RootElement[0].GetProperty("id").GetString()!;
        // A second object whose name shares the first snapshot's first six digits makes that prefix ambiguous.
        var twin = ids[0][..6] + new string(ids[0][6] == 'f' ? 'e' : 'f', 58);
        File.Copy(Path.Combine(_cli.Repository, "snapshots", ids[0]), Path.Combine(_cli.Repository, "snapshots", twin));

        var unknown = await _cli.RunAsync("forget", ids[0], "ffff0000");
        var ambiguous = await _cli.RunAsync("forget", pinned, ids[0][..6]);
        var pinnedOne = await _cli.RunAsync("forget", ids[0], pinned);
        var latest = await _cli.RunAsync("forget", "latest");
        var mixed = await _cli.RunAsync("forget", ids[0], "--keep-last", "1", "--group-by", "host");
        var appendOnly = await _cli.RunAsync("forget", ids[0], "--append-only");

        unknown.ExitCode.Should().Be(1, unknown.Stderr);
        unknown.Stderr.Should().Contain("ffff0000").And.Contain("backup snapshots");
        ambiguous.ExitCode.Should().Be(1, ambiguous.Stderr);
        ambiguous.Stderr.Should().Contain($"2 snapshot IDs start with '{ids[0][..6]}'").And.Contain("give more digits");
        pinnedOne.ExitCode.Should().Be(1, pinnedOne.Stderr);
        pinnedOne.Stderr.Should().Contain($"{pinned[..8]} is pinned").And.Contain("nothing was deleted").And.Contain($"'backup unpin {pinned[..8]}'");
        latest.ExitCode.Should().Be(2, latest.Stderr);
        latest.Stderr.Should().Contain("'latest' is not accepted");
        mixed.ExitCode.Should().Be(2, mixed.Stderr);
        mixed.Stderr.Should().Contain("--keep-last, --group-by do not mix");
        appendOnly.ExitCode.Should().Be(2, appendOnly.Stderr);
        appendOnly.Stderr.Should().Contain("'forget' deletes snapshots").And.Contain("append-only");
        Directory.GetFiles(Path.Combine(_cli.Repository, "snapshots")).Select(Path.GetFileName).Should().BeEquivalentTo([ids[0], pinned, twin], "nothing was deleted");

        File.Delete(Path.Combine(_cli.Repository, "snapshots", twin));
        var unpin = await _cli.RunAsync("unpin", pinned, "--json");
        var unpinned = JsonDocument.Parse(unpin.Stdout).RootElement[0].GetProperty("id").GetString()!;
        var afterUnpin = await _cli.RunAsync("forget", unpinned);
        afterUnpin.ExitCode.Should().Be(0, afterUnpin.Stderr);
        (await ListAsync()).Should().Equal(ids[0]);
    }

    [Fact]
    public async Task Forget_by_id_with_prune_frees_the_snapshots_data()
    {
        await _cli.InitAsync();
        var ids = await CreateSnapshotsAsync(2);

        var forget = await _cli.RunAsync("forget", ids[0], "--prune", "--json");

        forget.ExitCode.Should().Be(0, forget.Stderr);
        var root = JsonDocument.Parse(forget.Stdout).RootElement;
        root.GetProperty("deleted").GetInt32().Should().Be(1);
        root.GetProperty("prune").GetProperty("bytesFreed").GetInt64().Should().BeGreaterThan(0);
        (await ListAsync()).Should().Equal(ids[1]);
    }

    [Theory]
    [InlineData("", "empty item")]
    [InlineData(" , ", "empty item")]
    [InlineData("host,,paths", "empty item")]
    [InlineData("none,host", "stands alone")]
    public async Task A_grouping_with_an_empty_item_is_a_usage_error_not_one_group_for_every_host(string groupBy, string expected)
    {
        await _cli.InitAsync();
        await CreateSnapshotsAsync(2);

        var forget = await _cli.RunAsync("forget", "--keep-last", "1", "--group-by", groupBy);

        forget.ExitCode.Should().Be(2, forget.Stderr);
        forget.Stderr.Should().Contain(expected).And.Contain("'none'");
        (await ListAsync()).Should().HaveCount(2, "an unset shell variable must not put every host's snapshots under one policy");
    }

    [Fact]
    public async Task Prune_after_forget_shrinks_the_repository_and_the_remaining_snapshot_restores()
    {
        await _cli.InitAsync();
        var ids = await CreateSnapshotsAsync(2);
        var kept = await File.ReadAllBytesAsync(_cli.PathOf("src/data.bin"));
        (await _cli.RunAsync("forget", "--keep-last", "1")).ExitCode.Should().Be(0);
        var before = DataBytes();

        var prune = await _cli.RunAsync("prune", "--json");
        var restore = await _cli.RunAsync("restore", "latest", "--target", "out");

        prune.ExitCode.Should().Be(0, prune.Stderr);
        var result = JsonDocument.Parse(prune.Stdout).RootElement;
        result.GetProperty("bytesAfter").GetInt64().Should().BeLessThan(result.GetProperty("bytesBefore").GetInt64());
        (result.GetProperty("packsRemoved").GetInt32() + result.GetProperty("packsRewritten").GetInt32()).Should().BeGreaterThan(0);
        DataBytes().Should().BeLessThan(before);
        restore.ExitCode.Should().Be(0, restore.Stderr);
        var restored = Path.Combine(_cli.PathOf("out"), _cli.PathOf("src/data.bin").TrimStart('/'));
        (await File.ReadAllBytesAsync(restored)).Should().Equal(kept);
        (await ListAsync()).Should().Equal(ids[1]);
    }

    [Fact]
    public async Task Forget_with_prune_runs_prune_afterwards()
    {
        await _cli.InitAsync();
        await CreateSnapshotsAsync(2);

        var forget = await _cli.RunAsync("forget", "--keep-last", "1", "--prune", "--json");

        forget.ExitCode.Should().Be(0, forget.Stderr);
        var root = JsonDocument.Parse(forget.Stdout).RootElement;
        root.GetProperty("deleted").GetInt32().Should().Be(1);
        root.GetProperty("prune").GetProperty("bytesFreed").GetInt64().Should().BeGreaterThan(0);
    }

    /// <summary>Creates <paramref name="count"/> snapshots of src/, each with different incompressible content; returns their IDs, oldest first.</summary>
    private async Task<List<string>> CreateSnapshotsAsync(int count)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            await File.WriteAllBytesAsync(_cli.PathOf("src/data.bin"), RandomBytes(4096, seed: i));
            var create = await _cli.RunAsync("create", "src", "--json");
            create.ExitCode.Should().Be(0, create.Stderr);
            ids.Add(JsonDocument.Parse(create.Stdout).RootElement.GetProperty("snapshot").GetProperty("id").GetString()!);
        }

        return ids;
    }

    private async Task<List<string>> ListAsync()
    {
        var list = await _cli.RunAsync("snapshots", "--json");
        list.ExitCode.Should().Be(0, list.Stderr);
        return [.. JsonDocument.Parse(list.Stdout).RootElement.EnumerateArray().Select(s => s.GetProperty("id").GetString()!)];
    }

    private long DataBytes() =>
        new DirectoryInfo(Path.Combine(_cli.Repository, "data")).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
