using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;

namespace Backup.Core.Tests;

public class KeyManagementTests
{
    [Fact]
    public async Task An_added_key_is_listed_and_opens_the_repository_to_the_same_data()
    {
        var target = new InMemoryTarget();
        var first = TestRepository.NewKeyFile();
        var secondBytes = Crypto.RepositoryCredentials.GenerateKeyFile();
        var data = TestRepository.RandomBytes(50_000, seed: 41);
        string added;
        await using (var repository = await TestRepository.InitAsync(target, first))
        {
            await TestRepository.BackupBytesAsync(repository, "data.bin", data);
            added = await repository.Keys.AddKeyAsync(Crypto.RepositoryCredentials.FromKeyFile(secondBytes), label: "ci");
            var keys = await repository.Keys.ListKeysAsync();
            keys.Should().HaveCount(2);
            keys.Single(k => k.Id == added).Should().Match<RepositoryKeyInfo>(k => !k.IsCurrent && k.Label == "ci");
            keys.Single(k => k.Id != added).IsCurrent.Should().BeTrue();
        }

        await using var reopened = await BackupRepository.OpenAsync(target, Crypto.RepositoryCredentials.FromKeyFile(secondBytes));
        (await reopened.Keys.ListKeysAsync()).Single(k => k.IsCurrent).Id.Should().Be(added);
        (await TestRepository.RestoreAsync(reopened, await reopened.Snapshots.FindAsync("latest"))).Should().Equal(data);
    }

    [Fact]
    public async Task A_removed_key_no_longer_opens_the_repository_and_the_key_in_use_cannot_be_removed()
    {
        var target = new InMemoryTarget();
        var first = Crypto.RepositoryCredentials.GenerateKeyFile();
        var second = Crypto.RepositoryCredentials.GenerateKeyFile();
        string firstId;
        await using (var repository = await TestRepository.InitAsync(target, Crypto.RepositoryCredentials.FromKeyFile(first)))
        {
            firstId = (await repository.Keys.ListKeysAsync()).Single().Id;
            await repository.Keys.AddKeyAsync(Crypto.RepositoryCredentials.FromKeyFile(second));
            var removeCurrent = () => repository.Keys.RemoveKeyAsync(firstId);
            (await removeCurrent.Should().ThrowAsync<RepositoryException>()).WithMessage("*in use*");
        }

        await using (var other = await BackupRepository.OpenAsync(target, Crypto.RepositoryCredentials.FromKeyFile(second)))
        {
            await other.Keys.RemoveKeyAsync(firstId[..8]);
            (await other.Keys.ListKeysAsync()).Should().ContainSingle().Which.IsCurrent.Should().BeTrue();
            var unknown = () => other.Keys.RemoveKeyAsync("ffffffffffff");
            await unknown.Should().ThrowAsync<RepositoryException>();
        }

        var act = () => BackupRepository.OpenAsync(target, Crypto.RepositoryCredentials.FromKeyFile(first));
        await act.Should().ThrowAsync<WrongPasswordException>();
    }

    [Fact]
    public async Task Changing_the_key_file_replaces_the_current_key()
    {
        var target = new InMemoryTarget();
        var oldBytes = Crypto.RepositoryCredentials.GenerateKeyFile();
        var newBytes = Crypto.RepositoryCredentials.GenerateKeyFile();
        await using (var repository = await TestRepository.InitAsync(target, Crypto.RepositoryCredentials.FromKeyFile(oldBytes)))
        {
            await repository.Keys.ChangePasswordAsync(Crypto.RepositoryCredentials.FromKeyFile(newBytes));
            (await repository.Keys.ListKeysAsync()).Should().ContainSingle().Which.IsCurrent.Should().BeTrue();
        }

        var old = () => BackupRepository.OpenAsync(target, Crypto.RepositoryCredentials.FromKeyFile(oldBytes));
        await old.Should().ThrowAsync<WrongPasswordException>();
        await (await BackupRepository.OpenAsync(target, Crypto.RepositoryCredentials.FromKeyFile(newBytes))).DisposeAsync();
    }

    [Fact]
    public async Task A_key_of_one_repository_does_not_open_another_repository()
    {
        var a = new InMemoryTarget();
        var b = new InMemoryTarget();
        var credentials = Crypto.RepositoryCredentials.GenerateKeyFile();
        await (await TestRepository.InitAsync(a, Crypto.RepositoryCredentials.FromKeyFile(credentials))).DisposeAsync();
        await (await TestRepository.InitAsync(b, TestRepository.NewKeyFile())).DisposeAsync();
        // Copy a's key object into b: it is bound to a's repository ID, so it must not unlock b.
        var keyA = (await TestRepository.ListAsync(a, RepositoryLayout.KeysPrefix)).Single().Key;
        await b.PutAsync(keyA, await a.ReadAllAsync(keyA, Array.MaxLength));
        var act = () => BackupRepository.OpenAsync(b, Crypto.RepositoryCredentials.FromKeyFile(credentials));
        await act.Should().ThrowAsync<WrongPasswordException>();
    }
}

/// <summary>A key object added by someone who holds a password, wrapping another master key under it.</summary>
public class ForeignMasterKeyTests
{
    [Fact]
    public async Task A_key_that_the_password_opens_but_that_wraps_another_master_key_is_skipped_and_the_real_key_opens()
    {
        // An append-only client that holds the key file adds a key object the same key file unwraps, named to be tried
        // first, wrapping a master key of its own: the config's MAC then fails under it, which stopped every open
        // (backup, check, restore, prune) with "the config was changed".
        var target = new InMemoryTarget();
        var credentials = TestRepository.NewKeyFile();
        var data = TestRepository.RandomBytes(20_000, seed: 5);
        await using (var repository = await TestRepository.InitAsync(target, credentials))
        {
            await TestRepository.BackupBytesAsync(repository, "data.bin", data);
        }

        var config = await BackupRepository.ReadConfigAsync(target);
        var forged = new string('0', 32);
        await new AppendOnlyTarget(target).PutAsync(RepositoryLayout.KeysPrefix + forged, ForeignKeyObject(credentials, config.Id));

        await using var reopened = await BackupRepository.OpenAsync(target, credentials);

        reopened.SkippedKeys.Should().ContainSingle().Which.Should().Match<RepositoryKeyInfo>(k => k.Id == forged && k.Problem!.Contains("another master key"));
        (await reopened.Keys.ListKeysAsync()).Should().ContainSingle(k => k.Problem != null).Which.Id.Should().Be(forged);
        var snapshot = await reopened.Snapshots.ListAsync().SingleAsync();
        (await TestRepository.RestoreAsync(reopened, snapshot)).Should().Equal(data);
    }

    [Fact]
    public async Task When_every_key_the_password_opens_wraps_another_master_key_the_open_says_so()
    {
        var target = new InMemoryTarget();
        var credentials = TestRepository.NewKeyFile();
        await using (await TestRepository.InitAsync(target, credentials))
        {
        }

        var config = await BackupRepository.ReadConfigAsync(target);
        var real = (await TestRepository.ListAsync(target, RepositoryLayout.KeysPrefix)).Single().Key;
        await target.DeleteAsync(real);
        await target.PutAsync(RepositoryLayout.KeysPrefix + new string('0', 32), ForeignKeyObject(credentials, config.Id));

        var open = () => BackupRepository.OpenAsync(target, credentials);

        (await open.Should().ThrowAsync<RepositoryCorruptException>()).Which.Message.Should().Contain("config").And.Contain("another master key");
    }

    private static byte[] ForeignKeyObject(Crypto.RepositoryCredentials credentials, string repositoryId)
    {
        var kdf = Crypto.KeyDerivation.For(credentials);
        var wrapping = kdf.DeriveKey(credentials);
        using var aes = new Transforms.AesGcmTransform(wrapping);
        using var output = new Buffers.PooledBufferWriter();
        aes.TryEncode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(Crypto.MasterKey.Size), output, new Transforms.TransformContext(System.Text.Encoding.UTF8.GetBytes("backup-sdk key v1:" + repositoryId), Crypto.MasterKey.Size));
        var keyObject = new Repository.Keys.KeyObject { Created = DateTimeOffset.UnixEpoch, Kdf = kdf, Data = output.WrittenSpan.ToArray() };
        return System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(keyObject, Repository.Keys.KeyJson.Default.KeyObject);
    }
}
