namespace Backup.Cli.Tests;

/// <summary>`backup dump … | ssh host 'cat > x.tar'`: when whatever reads the output stops, the dump must not pass for complete.</summary>
public sealed class DumpOutputTests : IDisposable
{
    private readonly CliRunner _cli = new();

    [SkippableFact]
    public async Task A_dump_whose_reader_stops_early_fails_naming_standard_output()
    {
        Skip.IfNot(File.Exists("/bin/bash"), "needs bash for the pipeline");
        await _cli.InitAsync();
        Directory.CreateDirectory(_cli.PathOf("src"));
        await File.WriteAllBytesAsync(_cli.PathOf("src/big.bin"), new byte[8 * 1024 * 1024]);
        (await _cli.RunAsync("create", _cli.PathOf("src"))).ExitCode.Should().Be(0);
        _cli.Launcher = ["/bin/bash", "-c", "\"$0\" \"$@\" | head -c 10 >/dev/null; exit ${PIPESTATUS[0]}"];

        var dump = await _cli.RunAsync("dump", "latest", _cli.PathOf("src/big.bin").TrimStart('/'));

        dump.ExitCode.Should().NotBe(0, "the reader got 10 bytes of 8 MiB");
        dump.Stderr.Should().Contain("Could not write to standard output").And.Contain("the output is incomplete");
    }

    [SkippableFact]
    public async Task A_dump_into_a_full_device_fails_naming_standard_output()
    {
        Skip.IfNot(File.Exists("/dev/full") && File.Exists("/bin/bash"), "needs /dev/full");
        await _cli.InitAsync();
        Directory.CreateDirectory(_cli.PathOf("src"));
        await File.WriteAllTextAsync(_cli.PathOf("src/a.txt"), "content");
        (await _cli.RunAsync("create", _cli.PathOf("src"))).ExitCode.Should().Be(0);
        _cli.Launcher = ["/bin/bash", "-c", "\"$0\" \"$@\" > /dev/full"];

        var dump = await _cli.RunAsync("dump", "latest", _cli.PathOf("src/a.txt").TrimStart('/'));

        dump.ExitCode.Should().Be(13, "a full disk is the storage-full exit code wherever the tool writes, standard output included");
        dump.Stderr.Should().Contain("Could not write to standard output: No space left on device").And.Contain("Free space");
    }

    [SkippableTheory]
    [InlineData("ls latest")]
    [InlineData("snapshots")]
    [InlineData("snapshots --json")]
    public async Task A_listing_into_a_full_device_fails_naming_standard_output_as_full(string command)
    {
        Skip.IfNot(File.Exists("/dev/full") && File.Exists("/bin/bash"), "needs /dev/full");
        await _cli.InitAsync();
        Directory.CreateDirectory(_cli.PathOf("src"));
        await File.WriteAllTextAsync(_cli.PathOf("src/a.txt"), "content");
        (await _cli.RunAsync("create", _cli.PathOf("src"))).ExitCode.Should().Be(0);
        _cli.Launcher = ["/bin/bash", "-c", "\"$0\" \"$@\" > /dev/full"];

        var listing = await _cli.RunAsync(command.Split(' '));

        listing.ExitCode.Should().Be(13, listing.Stderr);
        listing.Stderr.Should().Contain("Could not write to standard output: No space left on device");
    }

    [SkippableFact]
    public async Task Help_into_a_full_device_fails_naming_standard_output_rather_than_crashing()
    {
        Skip.IfNot(File.Exists("/dev/full") && File.Exists("/bin/bash"), "needs /dev/full");
        _cli.Launcher = ["/bin/bash", "-c", "\"$0\" \"$@\" > /dev/full"];

        var help = await _cli.RunAsync("--help");

        help.ExitCode.Should().Be(13, help.Stderr);
        help.Stderr.Should().StartWith("backup: error: Could not write to standard output").And.NotContain("Unhandled exception");
    }

    [SkippableFact]
    public async Task Two_dumps_into_one_redirected_file_follow_each_other()
    {
        Skip.IfNot(File.Exists("/bin/bash"), "needs bash for the redirection");
        await _cli.InitAsync();
        Directory.CreateDirectory(_cli.PathOf("src"));
        var content = new byte[300_000];
        new Random(3).NextBytes(content);
        await File.WriteAllBytesAsync(_cli.PathOf("src/a.bin"), content);
        (await _cli.RunAsync("create", _cli.PathOf("src"))).ExitCode.Should().Be(0);
        var output = _cli.PathOf("out.bin");
        _cli.Launcher = ["/bin/bash", "-c", "{ \"$0\" \"$@\" && \"$0\" \"$@\"; } > " + output];

        var dumps = await _cli.RunAsync("dump", "latest", _cli.PathOf("src/a.bin").TrimStart('/'));

        dumps.ExitCode.Should().Be(0, dumps.Stderr);
        (await File.ReadAllBytesAsync(output)).Should().Equal([.. content, .. content], "each write goes where the shared descriptor's offset is, as a shell expects");
    }

    public void Dispose() => _cli.Dispose();
}
