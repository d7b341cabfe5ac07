using System.Text;
using Backup.Core.Repository;
using Backup.Core.Restore;
using Backup.Core.Snapshots;
using Backup.Core.Verification;

namespace Backup.Files.Tests;

/// <summary>The one validator of entry names, for both platforms (Windows cannot run here: the platform is a parameter).</summary>
public class NodeNamesTests
{
    [Theory]
    [InlineData("a\\b")]
    [InlineData("..\\..\\x")]
    [InlineData("C:")]
    [InlineData("c:x")]
    [InlineData("file.txt:stream")]
    [InlineData("CON")]
    [InlineData("con")]
    [InlineData("NUL.txt")]
    [InlineData("nul .tar.gz")]
    [InlineData("COM1")]
    [InlineData("lpt9.log")]
    [InlineData("COM\u00B9")]
    [InlineData("CONIN$")]
    [InlineData("trailing.")]
    [InlineData("trailing ")]
    [InlineData("..." )]
    [InlineData("a*b")]
    [InlineData("a?b")]
    [InlineData("a|b")]
    [InlineData("a\"b")]
    [InlineData("a<b>")]
    [InlineData("bell\u0007")]
    public void Names_Windows_would_misread_are_refused_on_Windows_only(string name)
    {
        NodeNames.IsSafe(name, windows: true).Should().BeFalse();
        NodeNames.Describe(name, windows: true).Should().StartWith("refused the entry name");
        NodeNames.IsSafe(name, windows: false).Should().BeTrue("on Unix it is one ordinary name");
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("../x")]
    [InlineData("/")]
    [InlineData("nul\0byte")]
    public void Names_that_are_not_one_segment_are_refused_everywhere(string? name)
    {
        NodeNames.IsSafe(name, windows: false).Should().BeFalse();
        NodeNames.IsSafe(name, windows: true).Should().BeFalse();
    }

    [Theory]
    [InlineData("CONSOLE")]
    [InlineData("COM10")]
    [InlineData("NULL")]
    [InlineData("aux-files")]
    [InlineData(".hidden")]
    [InlineData("name with spaces.txt")]
    [InlineData("日本語")]
    [InlineData("COMx")]
    public void Ordinary_names_are_safe_on_both(string name)
    {
        NodeNames.IsSafe(name, windows: true).Should().BeTrue();
        NodeNames.IsSafe(name, windows: false).Should().BeTrue();
    }

    [Fact]
    public async Task The_restore_and_the_restore_drill_refuse_the_same_names()
    {
        string[] names = ["ok", "a\\b", "CON", "x:y", "trail.", "..", ".", "a/b", "nul\0byte", ""];
        await using var repo = await TestRepository.CreateAsync();
        Snapshot snapshot;
        await using (var writer = repo.Repository.CreateWriter(2))
        {
            var bytes = Encoding.UTF8.GetBytes("content");
            var id = await writer.AddBlobAsync(bytes, BlobType.Data);
            var nodes = names.Select(n => new TreeNode { Name = n, Type = NodeType.File, Mode = 0x81A4, Size = bytes.Length, Content = [id], MtimeNs = 1_000_000_000 }).ToArray();
            var tree = await writer.AddBlobAsync(TreeCodec.Serialize(new Tree(nodes)), BlobType.Tree);
            await writer.CompleteAsync();
            snapshot = await repo.Repository.Snapshots.SaveAsync(new Snapshot { Hostname = "h", SourceKind = "files", Tree = tree, Time = DateTimeOffset.Now });
        }

        using var target = new TempDirectory();
        var restore = await new RestoreService(repo.Repository).RestoreAsync(snapshot, target.Path);
        using var scratch = new TempDirectory();
        var drill = await new VerificationService(repo.Repository).RestoreDrillAsync(new DrillOptions { ScratchDirectory = scratch.Path });

        var refusedByRestore = names.Where(n => !File.Exists(Path.Combine(target.Path, n)) || n is "" or "." or "..").ToList();
        refusedByRestore.Should().BeEquivalentTo(names.Where(n => !NodeNames.IsSafe(n)));
        drill.Files.Should().Be(names.Count(NodeNames.IsSafe));
        drill.Problems.Select(p => p.Message).Should().BeEquivalentTo(restore.Problems.Select(p => p.Reason));
        restore.Problems.Should().HaveCount(5);
    }
}
