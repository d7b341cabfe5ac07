using System.Diagnostics;
using Backup.Core.Native;
using Backup.Core.Restore;

namespace Backup.Files.Tests;

/// <summary>A tar dump extracted by GNU tar gives what a restore of the same snapshot gives: holes and nanoseconds included.</summary>
public sealed class TarDumpGnuTarTests : IDisposable
{
    private readonly TempDirectory _source = new();
    private readonly TempDirectory _restored = new();
    private readonly TempDirectory _extracted = new();

    public void Dispose()
    {
        _source.Dispose();
        _restored.Dispose();
        _extracted.Dispose();
    }

    private static byte[] Random(int length)
    {
        var bytes = new byte[length];
        System.Random.Shared.NextBytes(bytes);
        return bytes;
    }

    private static void WriteSparse(string path, long size, params (long Offset, int Length)[] data)
    {
        using var file = new FileStream(path, FileMode.CreateNew);
        file.SetLength(size);
        foreach (var (offset, length) in data)
        {
            file.Position = offset;
            file.Write(Random(length));
        }
    }

    [Fact]
    public async Task A_dump_extracted_by_gnu_tar_matches_a_restore_with_its_holes_and_nanosecond_times()
    {
        var root = _source.Sub("data");
        Directory.CreateDirectory(Path.Combine(root, "dir"));
        WriteSparse(Path.Combine(root, "hole-at-end.img"), 64 << 20, (0, 100_000), (32 << 20, 200_000));
        WriteSparse(Path.Combine(root, "dir", "data-at-end.img"), 16 << 20, ((16 << 20) - 50_000, 50_000));
        WriteSparse(Path.Combine(root, "all-hole.img"), 8 << 20);
        File.WriteAllBytes(Path.Combine(root, "dir", "plain.bin"), Random(300_000));
        File.WriteAllText(Path.Combine(root, "small.txt"), "small");
        File.CreateSymbolicLink(Path.Combine(root, "link"), "small.txt");
        // Names and link targets longer than the ustar fields travel in the PAX records.
        File.WriteAllText(Path.Combine(root, "dir", new string('n', 150) + ".txt"), "long name");
        File.CreateSymbolicLink(Path.Combine(root, "long-link"), new string('t', 120));
        var stamps = new[] { ("small.txt", "@1700000000.123456789"), ("hole-at-end.img", "@1600000000.000000001"), ("dir/plain.bin", "@-86400.25"), ("dir", "@1500000000.987654321") };
        foreach (var (name, stamp) in stamps)
        {
            Shell.Run("touch", "-h", "-d", stamp, Path.Combine(root, name));
        }

        await using var repo = await TestRepository.CreateAsync();
        var backup = await repo.BackupAsync(root);
        backup.Problems.Should().BeEmpty();
        (await new RestoreService(repo.Repository).RestoreAsync(backup.Snapshot, _restored.Path)).Problems.Should().BeEmpty();
        var archive = _extracted.Sub("dump.tar");
        await using (var output = File.Create(archive))
        {
            await SnapshotDumper.WriteTarAsync(repo.Repository, backup.Snapshot, null, output);
        }

        var tree = _extracted.Sub("tree");
        Directory.CreateDirectory(tree);
        var (exitCode, errors) = await RunAsync("tar", "-xf", archive, "-C", tree);
        exitCode.Should().Be(0, errors);
        // GNU tar warns about times before 1970 (and sets them all the same); anything else would be a record it did not take.
        errors.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().OnlyContain(line => line.Contains("implausibly old time stamp", StringComparison.Ordinal));

        var fromTar = Path.Combine(tree, root.TrimStart('/'));
        // (No file here has hard links; the directories' link counts form the only "groups".)
        await RoundTripTests.ShouldMatchAsync(_restored.Restored(root), fromTar, expectHardLinks: true);
        var extracted = await Entries.ReadAsync(fromTar);
        extracted["small.txt"].MtimeNs.Should().Be(1_700_000_000_123_456_789);
        extracted["hole-at-end.img"].MtimeNs.Should().Be(1_600_000_000_000_000_001);
        extracted["dir/plain.bin"].MtimeNs.Should().Be(-86_400_250_000_000, "a time before 1970 is written as GNU tar writes it");
        extracted["dir"].MtimeNs.Should().Be(1_500_000_000_987_654_321);
        // Holes are whole all-zero chunks (as for a restore), so a chunk that holds data and zeros is written whole.
        static long Allocated(string path) => UnixNative.Stat(path, follow: false, out _)!.Value.Blocks * 512;
        foreach (var (name, size, most) in new[] { ("hole-at-end.img", 64L << 20, 32L << 20), ("dir/data-at-end.img", 16L << 20, 12L << 20), ("all-hole.img", 8L << 20, 0L) })
        {
            var path = Path.Combine(fromTar, name);
            new FileInfo(path).Length.Should().Be(size, name);
            Allocated(path).Should().BeLessThanOrEqualTo(most, $"{name} keeps its holes")
                .And.BeLessThanOrEqualTo(Allocated(Path.Combine(_restored.Restored(root), name)), "the same holes as a restore");
        }

        // The dump holds what a restore writes, not the holes.
        var written = new[] { "hole-at-end.img", "dir/data-at-end.img", "all-hole.img" }.Sum(name => Allocated(Path.Combine(_restored.Restored(root), name)));
        new FileInfo(archive).Length.Should().BeLessThan(written + (1 << 20));
    }

    [Fact]
    public async Task Plain_files_are_plain_entries_and_a_tar_without_sparse_support_sees_the_gnu_names()
    {
        var root = _source.Sub("data");
        Directory.CreateDirectory(root);
        WriteSparse(Path.Combine(root, "sparse.img"), 64 << 20, (1 << 20, 10_000));
        File.WriteAllText(Path.Combine(root, "plain.txt"), "plain");
        await using var repo = await TestRepository.CreateAsync();
        var backup = await repo.BackupAsync(root);
        using var dump = new MemoryStream();
        await SnapshotDumper.WriteTarAsync(repo.Repository, backup.Snapshot, null, dump);

        dump.Position = 0;
        var names = new Dictionary<string, (long Length, Dictionary<string, string> ExtendedAttributes)>();
        using (var reader = new System.Formats.Tar.TarReader(dump))
        {
            while (await reader.GetNextEntryAsync() is System.Formats.Tar.PaxTarEntry entry)
            {
                names[entry.Name] = (entry.Length, new Dictionary<string, string>(entry.ExtendedAttributes));
            }
        }

        var prefix = root.TrimStart('/');
        names[prefix + "/plain.txt"].ExtendedAttributes.Keys.Should().NotContain(k => k.StartsWith("GNU.", StringComparison.Ordinal));
        names[prefix + "/plain.txt"].Length.Should().Be(5);
        // The ustar header names the GNU convention's stand-in, which a tar without sparse support extracts (.NET's
        // reader and GNU tar take the real name from GNU.sparse.name).
        System.Text.Encoding.UTF8.GetString(dump.ToArray()).Should().Contain(prefix + "/GNUSparseFile.0/sparse.img");
        var sparse = names.Single(n => n.Value.ExtendedAttributes.ContainsKey("GNU.sparse.name")).Value;
        sparse.ExtendedAttributes.Should().Contain("GNU.sparse.name", prefix + "/sparse.img").And.Contain("GNU.sparse.realsize", (64 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture))
            .And.Contain("GNU.sparse.major", "1").And.Contain("GNU.sparse.minor", "0");
    }

    private static async Task<(int ExitCode, string Errors)> RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, errors);
    }
}
