using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Sources.FileSystem;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;

namespace Backup.Core.Tests;

public class OptionsValidationTests
{
    public static TheoryData<RepositoryInitOptions, string> BadInitOptions => new()
    {
        { new RepositoryInitOptions { PackSize = 1024 * 1024 }, "PackSize" },
        { new RepositoryInitOptions { PackSize = 512 * 1024 * 1024 }, "PackSize" },
        { new RepositoryInitOptions { Compression = "lz4" }, "compression" },
        { new RepositoryInitOptions { Compression = "zstd:20" }, "compression" },
        { new RepositoryInitOptions { KdfIterations = 1000 }, "KdfIterations" },
        { new RepositoryInitOptions { Chunker = new() { MinSize = 10 } }, "MinSize" },
    };

    [Theory]
    [MemberData(nameof(BadInitOptions))]
    public async Task Bad_repository_settings_throw_ArgumentException_naming_the_setting_and_create_nothing(RepositoryInitOptions options, string setting)
    {
        options.Invoking(o => o.Validate()).Should().Throw<ArgumentException>().WithMessage($"*{setting}*");
        var target = new InMemoryTarget();
        var act = () => BackupRepository.InitAsync(target, TestRepository.NewKeyFile(), options);
        await act.Should().ThrowAsync<ArgumentException>();
        target.Count.Should().Be(0);
    }

    [Fact]
    public void Bad_retry_and_backup_settings_throw_ArgumentException_naming_the_setting()
    {
        new RetryOptions { MaxAttempts = 0 }.Invoking(o => o.Validate()).Should().Throw<ArgumentException>().WithMessage("*MaxAttempts*");
        new RetryOptions { BaseDelay = TimeSpan.FromSeconds(-1) }.Invoking(o => o.Validate()).Should().Throw<ArgumentException>().WithMessage("*BaseDelay*");
        new BackupOptions { EncodeWorkers = 0 }.Invoking(o => o.Validate()).Should().Throw<ArgumentException>().WithMessage("*EncodeWorkers*");
        new BackupOptions { Tags = ["a,b"] }.Invoking(o => o.Validate()).Should().Throw<ArgumentException>().WithMessage("*a,b*");
        new RepositoryInitOptions().Invoking(o => o.Validate()).Should().NotThrow();
        new FileSystemSourceOptions { Excludes = ["*.log", "[z-a]"] }.Invoking(o => o.Validate()).Should().Throw<ArgumentException>().WithMessage("*'[z-a]'*");
        new FileSystemSourceOptions { Excludes = ["foo[", "[!]"] }.Invoking(o => o.Validate()).Should().NotThrow();
    }
}
