using Backup.Tests.Support;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;

namespace Backup.Core.Tests;

/// <summary>What every <see cref="IBackupTarget"/> must do; each target's test class derives from this.</summary>
public abstract class TargetConformanceTests
{
    protected abstract IBackupTarget Target { get; }

    [Fact]
    public async Task Put_then_get_stat_range_list_and_delete_behave_as_specified()
    {
        var target = Target;
        await target.PutAsync("data/ab/one", new byte[] { 1, 2, 3, 4, 5 });
        await target.PutAsync("data/cd/two", new byte[] { 6 });
        await target.PutAsync("index/three", new byte[] { 7, 8 });

        (await target.ReadAllAsync("data/ab/one", Array.MaxLength)).Should().Equal(1, 2, 3, 4, 5);
        (await target.ReadRangeArrayAsync("data/ab/one", 1, 3)).Should().Equal(2, 3, 4);
        (await target.ReadRangeArrayAsync("data/ab/one", 5, 0)).Should().BeEmpty();
        (await target.StatAsync("data/ab/one"))!.Length.Should().Be(5);
        (await target.StatAsync("data/ab/missing")).Should().BeNull();
        (await TestRepository.ListAsync(target, "data/")).Select(o => o.Key).Should().BeEquivalentTo("data/ab/one", "data/cd/two");
        (await TestRepository.ListAsync(target, "data/ab/o")).Select(o => o.Key).Should().Equal("data/ab/one");
        (await TestRepository.ListAsync(target, "")).Should().HaveCount(3);
        (await TestRepository.ListAsync(target, "nothing/")).Should().BeEmpty();

        await target.PutAsync("data/ab/one", new byte[] { 9 });
        (await target.ReadAllAsync("data/ab/one", Array.MaxLength)).Should().Equal(9);
        await target.DeleteAsync("data/ab/one");
        await target.DeleteAsync("data/ab/one");
        await target.DeleteAsync("never/was");
        (await target.StatAsync("data/ab/one")).Should().BeNull();
        (await TestRepository.ListAsync(target, "data/")).Select(o => o.Key).Should().Equal("data/cd/two");
    }

    [Fact]
    public async Task Missing_objects_throw_BackupObjectNotFoundException_and_ranges_outside_an_object_throw()
    {
        var target = Target;
        var get = () => target.ReadAllAsync("keys/missing", Array.MaxLength);
        (await get.Should().ThrowAsync<BackupObjectNotFoundException>()).Which.Key.Should().Be("keys/missing");
        var range = () => target.ReadRangeArrayAsync("keys/missing", 0, 1);
        await range.Should().ThrowAsync<BackupObjectNotFoundException>();

        await target.PutAsync("keys/present", new byte[10]);
        var outside = () => target.ReadRangeArrayAsync("keys/present", 5, 6);
        (await outside.Should().ThrowAsync<BackupTargetException>()).Which.Should().NotBeOfType<BackupObjectNotFoundException>();
    }

    [Fact]
    public async Task A_range_read_into_the_callers_buffer_fills_exactly_that_buffer_or_throws()
    {
        var target = Target;
        await target.PutAsync("data/ab/range", new byte[] { 1, 2, 3, 4, 5, 6 });
        var destination = new byte[] { 0, 0, 0, 0, 9 };

        await target.ReadExactlyAsync("data/ab/range", 2, destination.AsMemory(0, 4));

        destination.Should().Equal(3, 4, 5, 6, 9);
        var outside = () => target.ReadExactlyAsync("data/ab/range", 3, new byte[4]);
        (await outside.Should().ThrowAsync<BackupTargetException>()).Which.Should().NotBeOfType<BackupObjectNotFoundException>();
        var missing = () => target.ReadExactlyAsync("data/ab/none", 0, new byte[1]);
        await missing.Should().ThrowAsync<BackupObjectNotFoundException>();
    }

    [Fact]
    public async Task Reads_keep_the_contract_at_every_edge_of_an_object() => await ReadContract.CheckAsync(Target);

    [Theory]
    [InlineData("../escape")]
    [InlineData("data/../../escape")]
    [InlineData("/absolute")]
    [InlineData("data//double")]
    [InlineData("data/./dot")]
    [InlineData("back\\slash")]
    [InlineData("")]
    public async Task Keys_that_could_escape_the_repository_are_rejected(string key)
    {
        var target = Target;
        var put = () => target.PutAsync(key, new byte[] { 1 });
        await put.Should().ThrowAsync<ArgumentException>();
        var get = () => target.ReadAllAsync(key, Array.MaxLength);
        await get.Should().ThrowAsync<ArgumentException>();
        var delete = () => target.DeleteAsync(key);
        await delete.Should().ThrowAsync<ArgumentException>();
    }

    [Fact]
    public async Task List_prefixes_that_could_escape_are_rejected()
    {
        var act = async () => await TestRepository.ListAsync(Target, "../");
        await act.Should().ThrowAsync<ArgumentException>();
    }
}

public sealed class InMemoryTargetTests : TargetConformanceTests
{
    protected override IBackupTarget Target { get; } = new InMemoryTarget();

    [Fact]
    public async Task Stored_objects_are_copies_that_callers_cannot_alter()
    {
        var target = new InMemoryTarget();
        var content = new byte[] { 1, 2, 3 };
        await target.PutAsync("a", content);
        content[0] = 9;
        var read = await target.ReadAllAsync("a", Array.MaxLength);
        read.Should().Equal(1, 2, 3);
        read[1] = 9;
        (await target.ReadAllAsync("a", Array.MaxLength)).Should().Equal(1, 2, 3);
    }
}

public sealed class LocalDirectoryTargetTests : TargetConformanceTests, IDisposable
{
    private readonly TempDirectory _directory = new();

    public LocalDirectoryTargetTests() => Target = new LocalDirectoryTarget(_directory.Path);

    protected override IBackupTarget Target { get; }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Listings_never_show_temporary_files_and_the_temp_folder_cannot_be_addressed()
    {
        var target = new LocalDirectoryTarget(_directory.Path);
        await target.PutAsync("data/x", new byte[] { 1 });
        Directory.CreateDirectory(Path.Combine(_directory.Path, ".tmp"));
        await File.WriteAllBytesAsync(Path.Combine(_directory.Path, ".tmp", "abc.partial"), new byte[] { 2 });

        (await TestRepository.ListAsync(target, "")).Select(o => o.Key).Should().Equal("data/x");
        var put = () => target.PutAsync(".tmp/abc.partial", new byte[] { 3 });
        await put.Should().ThrowAsync<ArgumentException>();
    }

    [Fact]
    public async Task A_staged_object_appears_whole_under_its_key_only_when_committed()
    {
        var target = new LocalDirectoryTarget(_directory.Path);
        await using (var staged = await target.BeginObjectAsync())
        {
            await staged.AppendAsync(new byte[] { 1, 2 });
            await staged.AppendAsync(new byte[] { 3 });
            staged.Length.Should().Be(3);
            (await TestRepository.ListAsync(target, "")).Should().BeEmpty("nothing is visible before the commit");

            await staged.CommitAsync("data/ab/staged");

            var again = () => staged.CommitAsync("data/ab/other");
            await again.Should().ThrowAsync<InvalidOperationException>();
        }

        (await target.ReadAllAsync("data/ab/staged", Array.MaxLength)).Should().Equal(1, 2, 3);
        Directory.GetFiles(Path.Combine(_directory.Path, ".tmp")).Should().BeEmpty();
    }

    [Fact]
    public async Task A_staged_object_disposed_without_a_commit_leaves_nothing_behind()
    {
        var target = new LocalDirectoryTarget(_directory.Path);
        await using (var staged = await target.BeginObjectAsync())
        {
            await staged.AppendAsync(new byte[1000]);
        }

        (await TestRepository.ListAsync(target, "")).Should().BeEmpty();
        Directory.GetFiles(Path.Combine(_directory.Path, ".tmp")).Should().BeEmpty();
    }

    [Fact]
    public async Task Objects_are_plain_files_under_the_root_and_a_finished_put_leaves_no_temporary_file()
    {
        var target = new LocalDirectoryTarget(_directory.Path);
        await target.PutAsync("snapshots/abc", new byte[] { 4, 5 });
        (await File.ReadAllBytesAsync(Path.Combine(_directory.Path, "snapshots", "abc"))).Should().Equal(4, 5);
        var temp = Path.Combine(_directory.Path, ".tmp");
        (Directory.Exists(temp) ? Directory.GetFiles(temp) : []).Should().BeEmpty();
        target.Description.Should().Contain(_directory.Path);
    }
}
