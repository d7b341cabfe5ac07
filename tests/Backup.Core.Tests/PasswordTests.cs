using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
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

    [Fact]
    public void New_password_keys_split_their_iterations_into_lanes_as_the_format_describes()
    {
        var credentials = RepositoryCredentials.FromPassword("correct horse");
        var kdf = KeyDerivation.For(credentials);
        kdf.Lanes.Should().Be(KeyDerivation.DefaultLanes);
        kdf.Iterations.Should().Be(KeyDerivation.MinimumIterations);

        // docs/repository-format.md, section 7, computed here without the library.
        var lanes = new byte[kdf.Lanes * 32];
        for (var lane = 0; lane < kdf.Lanes; lane++)
        {
            var salt = new byte[kdf.Salt.Length + 4];
            kdf.Salt.CopyTo(salt, 0);
            BinaryPrimitives.WriteInt32BigEndian(salt.AsSpan(kdf.Salt.Length), lane);
            Rfc2898DeriveBytes.Pbkdf2("correct horse"u8, salt, lanes.AsSpan(lane * 32, 32), kdf.Iterations / kdf.Lanes, HashAlgorithmName.SHA256);
        }

        var expected = SHA256.HashData([.. "backup-sdk pbkdf2 lanes"u8, .. lanes]);
        kdf.DeriveKey(credentials).Should().Equal(expected);
    }

    [Fact]
    public void Keys_written_before_lanes_existed_still_derive_one_plain_PBKDF2()
    {
        var salt = RandomNumberGenerator.GetBytes(32);
        var json = $$"""{"algorithm":"pbkdf2-sha256","iterations":600000,"salt":"{{Convert.ToBase64String(salt)}}"}""";
        var old = JsonSerializer.Deserialize(json, RepositoryJson.Default.KeyDerivation)!;

        old.Lanes.Should().Be(0);
        old.DeriveKey(RepositoryCredentials.FromPassword("pw")).Should().Equal(
            Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes("pw"), salt, 600_000, HashAlgorithmName.SHA256, 32));
        JsonSerializer.Serialize(KeyDerivation.For(RepositoryCredentials.FromPassword("pw")), RepositoryJson.Default.KeyDerivation)
            .Should().Contain($"\"lanes\":{KeyDerivation.DefaultLanes}");
    }

    [Theory]
    [InlineData(600_000, 7)] // not a whole number of iterations per lane
    [InlineData(600_064, 65)] // more lanes than a reader accepts
    [InlineData(600_000, -4)]
    [InlineData(400_000, 4)] // too few iterations in all, however they are split
    public void Stored_lane_parameters_that_are_malformed_or_weak_are_refused(int iterations, int lanes)
    {
        var kdf = new KeyDerivation { Algorithm = KeyDerivation.Pbkdf2Sha256, Iterations = iterations, Lanes = lanes, Salt = new byte[32] };
        ((Action)(() => kdf.DeriveKey(RepositoryCredentials.FromPassword("pw")))).Should().Throw<InvalidDataException>();
    }

    [Theory]
    [InlineData(0, 32, 1)]
    [InlineData(7, 0, 2)]
    [InlineData(63, 36, 3)]
    [InlineData(64, 36, 1000)] // a key of exactly one block
    [InlineData(65, 36, 1000)] // a key longer than a block is hashed first
    [InlineData(300, 100, 4097)]
    public void The_native_PBKDF2_gives_the_same_bytes_as_the_platform(int passwordLength, int saltLength, int iterations)
    {
        // On Linux the system's libcrypto is always there (the platform's own cryptography uses it).
        Pbkdf2.Native.Should().NotBeNull(OperatingSystem.IsLinux() ? "libcrypto's SHA256_Transform should load" : null);
        var password = RandomNumberGenerator.GetBytes(passwordLength);
        var salt = RandomNumberGenerator.GetBytes(saltLength);
        var actual = new byte[32];

        Pbkdf2.Native!.DeriveNative(password, salt, iterations, actual);

        actual.Should().Equal(Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, 32));
    }
}
