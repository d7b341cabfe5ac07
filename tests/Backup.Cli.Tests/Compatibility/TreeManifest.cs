using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Backup.Cli.Tests.Compatibility;

/// <summary>
/// Reads an expected manifest, and the same facts of a restored tree through GNU find (not through the code under test),
/// so that a restore is compared with what the source tree held, byte for byte and in metadata.
/// </summary>
internal static class TreeManifest
{
    public static IReadOnlyList<TreeEntry> Read(string manifestFile) =>
        File.ReadAllLines(manifestFile)
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split('\t'))
            .Select(f => new TreeEntry(f[0], f[1], f[2], f[3], f[4], long.Parse(f[5], CultureInfo.InvariantCulture), f[6], f[7]))
            .ToList();

    /// <summary>Describes the tree below <paramref name="root"/> in the manifest's terms.</summary>
    public static async Task<IReadOnlyList<TreeEntry>> DescribeAsync(string root)
    {
        var start = new ProcessStartInfo("find") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { root, "-printf", @"%P\0%y\0%m\0%s\0%T@\0%l\0%i\0%n\0" })
        {
            start.ArgumentList.Add(argument);
        }

        using var find = Process.Start(start)!;
        var output = await find.StandardOutput.ReadToEndAsync();
        var errors = await find.StandardError.ReadToEndAsync();
        await find.WaitForExitAsync();
        find.ExitCode.Should().Be(0, errors);

        var fields = output.Split('\0');
        var raw = new List<(string Path, string Type, int Mode, long Size, long MtimeNs, string Target, string Inode, int Links)>();
        for (var i = 0; i + 8 <= fields.Length; i += 8)
        {
            raw.Add((fields[i].Length == 0 ? "." : fields[i], fields[i + 1], Convert.ToInt32(fields[i + 2], 8), long.Parse(fields[i + 3], CultureInfo.InvariantCulture),
                ParseNanoseconds(fields[i + 4]), fields[i + 5], fields[i + 6], int.Parse(fields[i + 7], CultureInfo.InvariantCulture)));
        }

        var firstNameOfInode = raw.Where(e => e.Type == "f" && e.Links > 1).OrderBy(e => e.Path, StringComparer.Ordinal)
            .GroupBy(e => e.Inode).ToDictionary(g => g.Key, g => g.First().Path);
        return raw.Select(e => e.Type switch
        {
            "f" => new TreeEntry(e.Path, "file", Octal(e.Mode), e.Size.ToString(CultureInfo.InvariantCulture), Sha256Of(Path.Combine(root, e.Path)), e.MtimeNs, "-",
                e.Links > 1 ? firstNameOfInode[e.Inode] : "-"),
            "d" => new TreeEntry(e.Path, "dir", Octal(e.Mode), "-", "-", e.MtimeNs, "-", "-"),
            "l" => new TreeEntry(e.Path, "symlink", Octal(e.Mode), "-", "-", e.MtimeNs, e.Target, "-"),
            "p" => new TreeEntry(e.Path, "fifo", Octal(e.Mode), "-", "-", e.MtimeNs, "-", "-"),
            _ => throw new InvalidOperationException($"Unexpected entry type '{e.Type}' at {e.Path}."),
        }).ToList();
    }

    /// <summary>Asserts the restored tree holds exactly the manifest's entries, each as recorded.</summary>
    public static async Task ShouldMatchAsync(string restoredRoot, string manifestFile)
    {
        var expected = Read(manifestFile).ToDictionary(e => e.Path, StringComparer.Ordinal);
        var actual = (await DescribeAsync(restoredRoot)).ToDictionary(e => e.Path, StringComparer.Ordinal);

        actual.Keys.Should().BeEquivalentTo(expected.Keys, "the restore of {0} holds the entries of {1}", restoredRoot, Path.GetFileName(manifestFile));
        var differences = new StringBuilder();
        foreach (var (path, want) in expected)
        {
            if (actual[path] != want)
            {
                differences.AppendLine(CultureInfo.InvariantCulture, $"expected {want}\n     got {actual[path]}");
            }
        }

        differences.ToString().Should().BeEmpty();
    }

    private static string Octal(int mode) => Convert.ToString(mode, 8).PadLeft(4, '0');

    private static long ParseNanoseconds(string secondsDotFraction)
    {
        var parts = secondsDotFraction.Split('.');
        var fraction = (parts.Length > 1 ? parts[1] : string.Empty).PadRight(9, '0')[..9];
        return (long.Parse(parts[0], CultureInfo.InvariantCulture) * 1_000_000_000) + long.Parse(fraction, CultureInfo.InvariantCulture);
    }

    private static string Sha256Of(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
