using System.Runtime.InteropServices;
using Backup.Core.Transforms;

namespace Backup.Core.Tests;

/// <summary>libzstd is loaded from trusted directories only: on Windows never from the current directory or PATH.</summary>
public sealed class NativeZstdLoadingTests
{
    [Fact]
    public void On_Windows_only_the_assembly_application_and_system_directories_are_searched()
    {
        var path = NativeZstd.SearchPathFor(windows: true);

        // A null search path means LoadLibrary's default order, which includes the current directory and PATH;
        // LegacyBehavior (0) and UserDirectories would widen it again.
        path.Should().NotBeNull();
        var allowed = DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.ApplicationDirectory | DllImportSearchPath.System32;
        (path!.Value & ~allowed).Should().Be((DllImportSearchPath)0, "no directory beyond the assembly's, the application's and System32 may be searched");
        path.Value.HasFlag(DllImportSearchPath.System32).Should().BeTrue();
        path.Value.Should().NotBe(DllImportSearchPath.LegacyBehavior);
    }

    [Fact]
    public void Each_system_looks_only_for_its_own_file_names()
    {
        NativeZstd.CandidateNames(windows: true).Should().OnlyContain(n => n.EndsWith(".dll", StringComparison.Ordinal));
        NativeZstd.CandidateNames(windows: false).Should().NotContain(n => n.EndsWith(".dll", StringComparison.Ordinal));
        NativeZstd.SearchPathFor(windows: false).Should().BeNull("ld.so and dyld never search the current directory for a bare name");
    }

    [SkippableFact]
    public void The_systems_libzstd_is_still_found_and_round_trips()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && File.Exists("/usr/lib/x86_64-linux-gnu/libzstd.so.1"), "needs the system's libzstd");

        var zstd = NativeZstd.TryLoad();

        zstd.Should().NotBeNull();
        var input = new byte[100_000];
        new Random(5).NextBytes(input.AsSpan(0, 50_000));
        var compressed = new byte[200_000];
        var cctx = zstd!.CreateCompressionContext();
        var size = zstd.Compress(cctx, input, compressed, 3);
        zstd.FreeCompressionContext(cctx);
        var output = new byte[input.Length];
        var dctx = zstd.CreateDecompressionContext();
        zstd.Decompress(dctx, compressed.AsSpan(0, size), output).Should().Be(input.Length);
        zstd.FreeDecompressionContext(dctx);
        output.Should().Equal(input);
    }
}
