using System.Text.Json;

namespace Backup.Cli.Tests;

/// <summary>check, repair and verify, end to end.</summary>
public sealed class VerificationTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public VerificationTests()
    {
        Directory.CreateDirectory(_cli.PathOf("src/sub"));
        File.WriteAllText(_cli.PathOf("src/a.txt"), "alpha");
        File.WriteAllText(_cli.PathOf("src/sub/b.txt"), "bravo");
    }

    public void Dispose() => _cli.Dispose();

    [Theory]
    [InlineData("forget")]
    [InlineData("prune")]
    [InlineData("check")]
    [InlineData("repair")]
    [InlineData("repair", "index")]
    [InlineData("repair", "snapshots")]
    [InlineData("verify")]
    public async Task Every_new_verb_has_help(params string[] verb)
    {
        var result = await _cli.RunAsync([.. verb, "--help"]);

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Stdout.Should().Contain($"backup {string.Join(' ', verb)}").And.Contain("4    problems found");
    }

    [Fact]
    public async Task Check_passes_on_a_healthy_repository()
    {
        await CreateAsync();

        var human = await _cli.RunAsync("check", "--read-data");
        var json = await _cli.RunAsync("check", "--read-data-subset", "1/1", "--json");

        human.ExitCode.Should().Be(0, human.Stderr);
        human.Stdout.Should().Contain("Checked 1 snapshot(s)").And.Contain("No problems found.");
        json.ExitCode.Should().Be(0, json.Stderr);
        var root = JsonDocument.Parse(json.Stdout).RootElement;
        root.GetProperty("success").GetBoolean().Should().BeTrue();
        root.GetProperty("packsRead").GetInt64().Should().BeGreaterThan(0);
        root.GetProperty("problems").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task Check_fails_and_names_the_pack_after_a_pack_file_is_deleted()
    {
        await CreateAsync();
        var pack = Directory.EnumerateFiles(Path.Combine(_cli.Repository, "data"), "*", SearchOption.AllDirectories).First();
        File.Delete(pack);

        var check = await _cli.RunAsync("check");
        var json = await _cli.RunAsync("check", "--json");

        check.ExitCode.Should().Be(4, check.Stderr);
        check.Stdout.Should().Contain(Path.GetFileName(pack)).And.Contain("PackMissing");
        check.Stderr.Should().Contain("backup: error: check found").And.Contain("run 'backup repair index', then 'backup repair snapshots'");
        json.ExitCode.Should().Be(4);
        JsonDocument.Parse(json.Stdout).RootElement.GetProperty("success").GetBoolean().Should().BeFalse();
    }

    [Fact]
    public async Task A_damaged_blob_found_by_reading_the_data_names_the_repair_that_reads_it_too()
    {
        await CreateAsync();
        var pack = Directory.EnumerateFiles(Path.Combine(_cli.Repository, "data"), "*", SearchOption.AllDirectories).MaxBy(f => new FileInfo(f).Length)!;
        var bytes = await File.ReadAllBytesAsync(pack);
        bytes[100] ^= 0xFF;
        await File.WriteAllBytesAsync(pack, bytes);

        var check = await _cli.RunAsync("check", "--read-data");

        check.ExitCode.Should().Be(4, check.Stderr);
        check.Stdout.Should().Contain("BlobDamaged");
        check.Stderr.Should().Contain("run 'backup repair index --read-data', then 'backup repair snapshots'", "an index rebuilt from the headers alone would keep the damaged blob");
    }

    [Fact]
    public async Task Repair_index_after_the_index_is_deleted_makes_check_pass_again()
    {
        await CreateAsync();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(_cli.Repository, "index"), "*", SearchOption.AllDirectories))
        {
            File.Delete(file);
        }

        var broken = await _cli.RunAsync("check");
        var repair = await _cli.RunAsync("repair", "index");
        var check = await _cli.RunAsync("check", "--read-data");
        var restore = await _cli.RunAsync("restore", "latest", "--target", "out");

        // Packs no index lists are a warning (their headers still locate the blobs); repair indexes them again.
        broken.Stdout.Should().Contain("UnindexedPack");
        repair.ExitCode.Should().Be(0, repair.Stderr);
        repair.Stdout.Should().Contain("Indexed");
        check.ExitCode.Should().Be(0, check.Stdout + check.Stderr);
        check.Stdout.Should().Contain("No problems found.");
        restore.ExitCode.Should().Be(0, restore.Stderr);
    }

    [Fact]
    public async Task Repair_index_after_the_index_is_damaged_makes_a_failing_check_pass()
    {
        await CreateAsync();
        var index = Directory.EnumerateFiles(Path.Combine(_cli.Repository, "index"), "*", SearchOption.AllDirectories).First();
        File.WriteAllBytes(index, new byte[64]);

        var broken = await _cli.RunAsync("check");
        var repair = await _cli.RunAsync("repair", "index");
        var check = await _cli.RunAsync("check");

        broken.ExitCode.Should().Be(4, broken.Stdout + broken.Stderr);
        broken.Stdout.Should().Contain(Path.GetFileName(index));
        repair.ExitCode.Should().Be(0, repair.Stderr);
        check.ExitCode.Should().Be(0, check.Stdout + check.Stderr);
    }

    [Fact]
    public async Task Repair_snapshots_on_a_healthy_repository_has_nothing_to_do()
    {
        await CreateAsync();

        var repair = await _cli.RunAsync("repair", "snapshots", "--dry-run", "--json");

        repair.ExitCode.Should().Be(0, repair.Stderr);
        var root = JsonDocument.Parse(repair.Stdout).RootElement;
        root.GetProperty("dryRun").GetBoolean().Should().BeTrue();
        root.GetProperty("snapshotsRewritten").GetInt32().Should().Be(0);
    }

    [Fact]
    public async Task Verify_reports_success_and_the_duration()
    {
        var id = await CreateAsync();
        Directory.CreateDirectory(_cli.PathOf("scratch"));

        var json = await _cli.RunAsync("verify", "latest", "--scratch", "scratch", "--json");
        var human = await _cli.RunAsync("verify", id[..8]);

        json.ExitCode.Should().Be(0, json.Stderr);
        var root = JsonDocument.Parse(json.Stdout).RootElement;
        root.GetProperty("success").GetBoolean().Should().BeTrue();
        root.GetProperty("snapshotId").GetString().Should().Be(id);
        root.GetProperty("files").GetInt64().Should().Be(2);
        root.GetProperty("bytes").GetInt64().Should().Be(10);
        root.GetProperty("durationSeconds").GetDouble().Should().BeGreaterThan(0);
        Directory.EnumerateFileSystemEntries(_cli.PathOf("scratch")).Should().BeEmpty("the drill deletes its scratch directory");
        human.ExitCode.Should().Be(0, human.Stderr);
        human.Stdout.Should().Contain("Achieved RTO");
    }

    [Fact]
    public async Task Verify_of_a_files_snapshot_refuses_a_connection_string_for_scratch_instead_of_making_a_directory_of_it()
    {
        await CreateAsync();
        const string connectionString = "Host=127.0.0.1;Port=5432;Username=postgres;Password=Scratch-Secret-4711";

        var verify = await _cli.RunAsync("verify", "latest", "--scratch", connectionString);

        verify.ExitCode.Should().Be(2, verify.Stderr);
        verify.Stderr.Should().Contain("--scratch is a connection string").And.Contain("files snapshot").And.Contain("--scratch DIR")
            .And.NotContain("Scratch-Secret-4711");
        Directory.EnumerateFileSystemEntries(_cli.Root).Should().NotContain(e => Path.GetFileName(e).StartsWith("Host=", StringComparison.Ordinal));
    }

    private async Task<string> CreateAsync()
    {
        await _cli.InitAsync();
        var create = await _cli.RunAsync("create", "src", "--json");
        create.ExitCode.Should().Be(0, create.Stderr);
        return JsonDocument.Parse(create.Stdout).RootElement.GetProperty("snapshot").GetProperty("id").GetString()!;
    }
}
