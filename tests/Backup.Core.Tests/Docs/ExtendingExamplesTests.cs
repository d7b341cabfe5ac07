using System.Text;
using System.Text.RegularExpressions;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Restore;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;
using Backup.Core.Transforms;

namespace Backup.Core.Tests.Docs;

/// <summary>Runs every example of docs/extending.md (the code is in ExtendingExamples.cs) end to end.</summary>
public class ExtendingExamplesTests
{
    [Fact]
    public async Task A_custom_source_is_backed_up_and_restored()
    {
        var files = new Dictionary<string, byte[]>
        {
            ["customers.csv"] = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 5000).Select(i => $"{i},customer {i}\n"))),
            ["orders.json"] = TestRepository.RandomBytes(300 * 1024, seed: 181),
        };
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile(), TestRepository.SmallOptions());

        var backup = await new BackupService(repository).BackupAsync(new InMemoryFilesSource(files));
        using var restored = new TempDirectory();
        await new RestoreService(repository).RestoreAsync(backup.Snapshot, restored.Path);

        backup.IsComplete.Should().BeTrue();
        backup.Snapshot.Statistics.Files.Should().Be(2);
        foreach (var (name, content) in files)
        {
            var path = Directory.EnumerateFiles(restored.Path, name, SearchOption.AllDirectories).Should().ContainSingle().Subject;
            File.ReadAllBytes(path).ShouldEqualBytes(content);
        }
    }

    [Fact]
    public async Task A_custom_target_holds_a_repository()
    {
        var target = new DictionaryTarget();
        var credentials = TestRepository.NewKeyFile();
        var data = TestRepository.RandomBytes(2 * 1024 * 1024, seed: 182);
        await using (var created = await TestRepository.InitAsync(target, credentials, TestRepository.SmallOptions()))
        {
            await TestRepository.BackupBytesAsync(created, "data.bin", data);
        }

        await using var repository = await BackupRepository.OpenAsync(target, credentials);
        (await TestRepository.RestoreAsync(repository, await repository.Snapshots.FindAsync("latest"))).ShouldEqualBytes(data);
        (await TestRepository.ListAsync(target, RepositoryLayout.DataPrefix)).Should().NotBeEmpty();
    }

    [Fact]
    public async Task A_custom_transform_is_registered_recorded_and_needed_to_open()
    {
        var target = new InMemoryTarget();
        var credentials = TestRepository.NewKeyFile();
        var data = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 200_000).Select(i => $"line {i % 977}\n")));
        var brotli = TransformProviders.Fixed(new BrotliTransform());
        await using (var created = await TestRepository.InitAsync(target, credentials, TestRepository.SmallOptions("none") with { Transforms = [brotli] }))
        {
            await TestRepository.BackupBytesAsync(created, "log.txt", data);
        }

        await FluentActions.Awaiting(() => BackupRepository.OpenAsync(target, credentials))
            .Should().ThrowAsync<TransformNotRegisteredException>().WithMessage("*'brotli'*");
        await using var repository = await BackupRepository.OpenAsync(target, credentials, new RepositoryOpenOptions { Transforms = [brotli] });
        (await TestRepository.RestoreAsync(repository, await repository.Snapshots.FindAsync("latest"))).ShouldEqualBytes(data);
        var packs = await TestRepository.ListAsync(target, RepositoryLayout.DataPrefix);
        packs.Sum(p => p.Length).Should().BeLessThan(data.Length / 4, "brotli compressed the data");
        var snapshotKey = (await TestRepository.ListAsync(target, RepositoryLayout.SnapshotsPrefix)).Should().ContainSingle().Subject.Key;
        TransformChain.ReadTransformNames(await target.ReadAllAsync(snapshotKey, Array.MaxLength)).Should().Equal("brotli", AesGcmTransform.TransformName);
    }

    [Fact]
    public void Every_code_block_of_the_document_is_in_the_compiled_examples()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Backup.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("The repository root was not found.");
        }

        var document = File.ReadAllText(Path.Combine(root, "docs", "extending.md"));
        var examples = File.ReadAllText(Path.Combine(root, "tests", "Backup.Core.Tests", "Docs", "ExtendingExamples.cs"));
        var blocks = Regex.Matches(document, "```csharp\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();

        blocks.Should().HaveCountGreaterThanOrEqualTo(3);
        foreach (var block in blocks.Where(b => b.Contains("class ", StringComparison.Ordinal)))
        {
            examples.Replace("\r\n", "\n", StringComparison.Ordinal).Should().Contain(block, "docs/extending.md quotes ExtendingExamples.cs verbatim");
        }
    }
}
