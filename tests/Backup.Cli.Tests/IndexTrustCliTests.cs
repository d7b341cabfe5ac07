using System.Text.Json;
using Backup.Core.Crypto;
using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Testing.Attacks;
using Backup.Core;
using Backup.Core.Repository.Blobs;

namespace Backup.Cli.Tests;

/// <summary>
/// Issue 16 against the built tool: an append-only client with the password adds a shadow pack and an index that
/// point every blob at junk. check must fail, prune must not delete a real pack, and after the repair prune names,
/// every file of every snapshot restores byte for byte. Also: prune leaves new unindexed packs alone.
/// </summary>
public sealed class IndexTrustCliTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public IndexTrustCliTests()
    {
        Directory.CreateDirectory(_cli.PathOf("src/sub"));
        File.WriteAllBytes(_cli.PathOf("src/big.bin"), RandomBytes(1, 3_000_000));
        File.WriteAllBytes(_cli.PathOf("src/sub/medium.bin"), RandomBytes(2, 700_000));
        File.WriteAllText(_cli.PathOf("src/sub/small.txt"), "bravo");
    }

    public void Dispose() => _cli.Dispose();

    [Theory]
    [InlineData(1, false)]
    [InlineData(200, false)]
    [InlineData(200, true)]
    public async Task The_append_only_shadow_pack_attack_is_reported_and_prune_keeps_every_real_pack(int junkLength, bool relistRealPacksAsEmpty)
    {
        await _cli.InitAsync();
        var first = await CreateAsync();
        var firstFiles = Snapshot(_cli.PathOf("src"));
        File.WriteAllBytes(_cli.PathOf("src/sub/medium.bin"), RandomBytes(3, 900_000));
        var second = await CreateAsync();
        var secondFiles = Snapshot(_cli.PathOf("src"));
        var realPacks = PackFiles();

        string shadow;
        await using (var attacker = await BackupRepository.OpenAsync(new LocalDirectoryTarget(_cli.Repository), RepositoryCredentials.FromPassword(CliRunner.Password)))
        {
            shadow = (await AppendOnlyAttacker.AddShadowPackAsync(attacker, junkLength, relistRealPacksAsEmpty)).ToString();
        }

        var check = await _cli.RunAsync("check");
        check.ExitCode.Should().Be(4, check.Stdout + check.Stderr);
        check.Stdout.Should().NotContain("No problems found.");
        if (!relistRealPacksAsEmpty)
        {
            check.Stdout.Should().Contain("BlobDamaged").And.Contain(shadow);
        }

        var prune = await _cli.RunAsync("prune", "--repack-threshold", "0");
        prune.ExitCode.Should().NotBe(0, prune.Stdout);
        prune.Stderr.Should().Contain("repair index");
        PackFiles().Should().Contain(realPacks, "prune refused before deleting anything");

        var repair = await _cli.RunAsync("repair", "index");
        repair.ExitCode.Should().Be(0, repair.Stdout + repair.Stderr);
        var pruneAgain = await _cli.RunAsync("prune", "--repack-threshold", "0");
        pruneAgain.ExitCode.Should().Be(0, pruneAgain.Stdout + pruneAgain.Stderr);
        var clean = await _cli.RunAsync("check", "--read-data");
        clean.ExitCode.Should().Be(0, clean.Stdout + clean.Stderr);

        await RestoreAndCompareAsync(first, firstFiles);
        await RestoreAndCompareAsync(second, secondFiles);
    }

    [Fact]
    public async Task Prune_keeps_a_new_unindexed_pack_and_removes_it_once_older_than_the_grace_period()
    {
        await _cli.InitAsync();
        await CreateAsync();
        string pack;
        await using (var writer = await BackupRepository.OpenAsync(new LocalDirectoryTarget(_cli.Repository), RepositoryCredentials.FromPassword(CliRunner.Password)))
        {
            pack = Path.Combine(_cli.Repository, await UploadUnindexedPackAsync(writer));
        }

        var early = await _cli.RunAsync("prune");
        early.ExitCode.Should().Be(0, early.Stderr);
        early.Stdout.Should().Contain("unindexed packs:  1 kept");
        File.Exists(pack).Should().BeTrue("a backup whose lock lapsed may still be writing it, and its index after it");

        var refused = await _cli.RunAsync("prune", "--unindexed-grace", "400d");
        refused.ExitCode.Should().Be(2, refused.Stderr);

        File.SetLastWriteTimeUtc(pack, DateTime.UtcNow.AddDays(-2));
        var late = await _cli.RunAsync("prune");
        late.ExitCode.Should().Be(0, late.Stderr);
        File.Exists(pack).Should().BeFalse("two days is past the default grace period of one day");
    }

    [Fact]
    public async Task Check_after_an_interrupted_backup_sums_its_unindexed_packs_up_in_one_line_and_json_lists_each()
    {
        await _cli.InitAsync();
        await CreateAsync();
        await using (var writer = await BackupRepository.OpenAsync(new LocalDirectoryTarget(_cli.Repository), RepositoryCredentials.FromPassword(CliRunner.Password)))
        {
            for (var i = 0; i < 5; i++)
            {
                await UploadUnindexedPackAsync(writer);
            }
        }

        var check = await _cli.RunAsync("check");
        var json = await _cli.RunAsync("check", "--json");

        check.ExitCode.Should().Be(0, check.Stdout + check.Stderr);
        var lines = check.Stdout.Split('\n').Where(l => l.Contains("UnindexedPack", StringComparison.Ordinal)).ToList();
        lines.Should().ContainSingle("an interrupted backup leaves one pack per few megabytes, and a page of warnings says no more than one line");
        lines[0].Should().Contain("5 packs are in no index").And.Contain("the next backup reuses their data");
        check.Stdout.Should().Contain("0 error(s), 5 warning(s).");
        JsonDocument.Parse(json.Stdout).RootElement.GetProperty("problems").EnumerateArray()
            .Count(p => p.GetProperty("kind").GetString() == "UnindexedPack").Should().Be(5);
    }

    [Fact]
    public async Task Check_names_one_unindexed_pack_of_one_blob_in_the_singular()
    {
        await _cli.InitAsync();
        await CreateAsync();
        await using (var writer = await BackupRepository.OpenAsync(new LocalDirectoryTarget(_cli.Repository), RepositoryCredentials.FromPassword(CliRunner.Password)))
        {
            await UploadUnindexedPackAsync(writer);
        }

        var check = await _cli.RunAsync("check");

        check.ExitCode.Should().Be(0, check.Stdout + check.Stderr);
        check.Stdout.Should().Contain("Pack of 1 blob is in no index").And.NotContain("1 blobs");
    }

    /// <summary>One pack with one new blob and no index, as a writer leaves it before it writes its index.</summary>
    private static async Task<string> UploadUnindexedPackAsync(BackupRepository repository)
    {
        var content = RandomBytes(9, 50_000);
        var id = repository.Blobs.ComputeId(content);
        var aad = new byte[BlobId.Size];
        id.WriteTo(aad);
        var stored = repository.Blobs.Chain.Encode(content, aad);
        var bytes = stored.Concat(PackFormat.EncodeHeaderAndTrailer([new PackHeaderEntry(id, BlobType.Data, 0, (uint)stored.Length, (uint)content.Length)], repository.Blobs.Chain)).ToArray();
        var key = RepositoryLayout.PackKey(BlobId.Sha256(bytes));
        await repository.Blobs.Target.PutAsync(key, bytes);
        return key;
    }

    private async Task<string> CreateAsync()
    {
        var create = await _cli.RunAsync("create", "src", "--json");
        create.ExitCode.Should().Be(0, create.Stderr);
        return JsonDocument.Parse(create.Stdout).RootElement.GetProperty("snapshot").GetProperty("id").GetString()!;
    }

    private async Task RestoreAndCompareAsync(string snapshot, Dictionary<string, byte[]> expected)
    {
        var output = _cli.PathOf("out-" + snapshot[..8]);
        var restore = await _cli.RunAsync("restore", snapshot, "--target", output);
        restore.ExitCode.Should().Be(0, restore.Stdout + restore.Stderr);
        var restored = Snapshot(Path.Combine(output, _cli.PathOf("src").Replace('\\', '/').TrimStart('/')));
        restored.Keys.Should().BeEquivalentTo(expected.Keys);
        foreach (var (path, data) in expected)
        {
            restored[path].AsSpan().SequenceEqual(data).Should().BeTrue($"{path} of snapshot {snapshot[..8]} restores byte for byte");
        }
    }

    private static Dictionary<string, byte[]> Snapshot(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(root, f), File.ReadAllBytes);

    private List<string> PackFiles() => [.. Directory.EnumerateFiles(Path.Combine(_cli.Repository, "data"), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    private static byte[] RandomBytes(int seed, int length)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}
