using Backup.Core.Crypto;
using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;

namespace Backup.Core.Tests;

/// <summary>The only tests that pay for PBKDF2 (600,000 iterations); everything else uses key files.</summary>
public class PasswordTests
{
    [Fact]
    public async Task A_wrong_password_throws_WrongPasswordException_naming_the_target()
    {
        using var directory = new TempDirectory();
        var target = new LocalDirectoryTarget(directory.Path);
        await (await TestRepository.InitAsync(target, RepositoryCredentials.FromPassword("correct horse"))).DisposeAsync();

        var act = () => BackupRepository.OpenAsync(target, RepositoryCredentials.FromPassword("battery staple"));
        (await act.Should().ThrowAsync<WrongPasswordException>()).WithMessage($"*{directory.Path}*");
        await (await BackupRepository.OpenAsync(target, RepositoryCredentials.FromPassword("correct horse"))).DisposeAsync();
    }

    [Fact]
    public async Task A_key_file_cannot_open_a_password_key_and_a_password_cannot_open_a_key_file_key()
    {
        var passwordRepo = new InMemoryTarget();
        await (await TestRepository.InitAsync(passwordRepo, RepositoryCredentials.FromPassword("pw"))).DisposeAsync();
        var keyFileRepo = new InMemoryTarget();
        await (await TestRepository.InitAsync(keyFileRepo, TestRepository.NewKeyFile())).DisposeAsync();

        var withKeyFile = () => BackupRepository.OpenAsync(passwordRepo, TestRepository.NewKeyFile());
        await withKeyFile.Should().ThrowAsync<WrongPasswordException>();
        var withPassword = () => BackupRepository.OpenAsync(keyFileRepo, RepositoryCredentials.FromPassword("pw"));
        await withPassword.Should().ThrowAsync<WrongPasswordException>();
    }

    [Fact]
    public async Task After_a_password_change_the_old_password_no_longer_opens_and_the_new_one_does()
    {
        var target = new InMemoryTarget();
        var data = TestRepository.RandomBytes(100_000, seed: 31);
        await using (var repository = await TestRepository.InitAsync(target, RepositoryCredentials.FromPassword("old password")))
        {
            await TestRepository.BackupBytesAsync(repository, "data.bin", data);
            await repository.ChangePasswordAsync(RepositoryCredentials.FromPassword("new password"));
        }

        var old = () => BackupRepository.OpenAsync(target, RepositoryCredentials.FromPassword("old password"));
        await old.Should().ThrowAsync<WrongPasswordException>();
        await using var reopened = await BackupRepository.OpenAsync(target, RepositoryCredentials.FromPassword("new password"));
        (await TestRepository.RestoreAsync(reopened, await reopened.FindSnapshotAsync("latest"))).Should().Equal(data);
        (await reopened.ListKeysAsync()).Should().ContainSingle().Which.Algorithm.Should().Be(KeyDerivation.Pbkdf2Sha256);
    }

    [Fact]
    public void Empty_passwords_short_key_files_and_weak_iteration_counts_are_refused()
    {
        ((Action)(() => RepositoryCredentials.FromPassword(""))).Should().Throw<ArgumentException>();
        ((Action)(() => RepositoryCredentials.FromKeyFile(new byte[31]))).Should().Throw<ArgumentException>();
        ((Action)(() => KeyDerivation.For(RepositoryCredentials.FromPassword("pw"), 1000))).Should().Throw<ArgumentOutOfRangeException>();
        var weak = new KeyDerivation { Algorithm = KeyDerivation.Pbkdf2Sha256, Iterations = 1000, Salt = new byte[32] };
        ((Action)(() => weak.DeriveKey(RepositoryCredentials.FromPassword("pw")))).Should().Throw<InvalidDataException>();
        RepositoryCredentials.FromPassword("hunter2").ToString().Should().NotContain("hunter2");
    }
}
