using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Backup.Core.Crypto;
using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;
using Backup.Core.Transforms;
using Backup.Core.Repository.Keys;

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
            await repository.Keys.ChangePasswordAsync(RepositoryCredentials.FromPassword("new password"));
        }

        var old = () => BackupRepository.OpenAsync(target, RepositoryCredentials.FromPassword("old password"));
        await old.Should().ThrowAsync<WrongPasswordException>();
        await using var reopened = await BackupRepository.OpenAsync(target, RepositoryCredentials.FromPassword("new password"));
        (await TestRepository.RestoreAsync(reopened, await reopened.Snapshots.FindAsync("latest"))).Should().Equal(data);
        (await reopened.Keys.ListKeysAsync()).Should().ContainSingle().Which.Algorithm.Should().Be(KeyDerivation.Argon2idAlgorithm);
    }

    [Fact]
    public void Empty_passwords_short_key_files_and_weak_iteration_counts_are_refused()
    {
        ((Action)(() => RepositoryCredentials.FromPassword(""))).Should().Throw<ArgumentException>();
        ((Action)(() => RepositoryCredentials.FromKeyFile(new byte[31]))).Should().Throw<ArgumentException>();
        ((Action)(() => KeyDerivation.ForPbkdf2(RepositoryCredentials.FromPassword("pw"), 1000))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => KeyDerivation.ForPbkdf2(RepositoryCredentials.FromPassword("pw"), KeyDerivation.MaximumIterations + 1))).Should().Throw<ArgumentOutOfRangeException>();
        var weak = new KeyDerivation { Algorithm = KeyDerivation.Pbkdf2Sha256, Iterations = 1000, Salt = new byte[32] };
        ((Action)(() => weak.DeriveKey(RepositoryCredentials.FromPassword("pw")))).Should().Throw<InvalidDataException>();
        RepositoryCredentials.FromPassword("hunter2").ToString().Should().NotContain("hunter2");
    }

    [Fact]
    public void New_password_keys_split_their_iterations_into_lanes_as_the_format_describes()
    {
        var credentials = RepositoryCredentials.FromPassword("correct horse");
        var kdf = KeyDerivation.ForPbkdf2(credentials, KeyDerivation.MinimumIterations);
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
        var old = JsonSerializer.Deserialize(json, KeyJson.Default.KeyDerivation)!;

        old.Lanes.Should().Be(0);
        old.DeriveKey(RepositoryCredentials.FromPassword("pw")).Should().Equal(
            Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes("pw"), salt, 600_000, HashAlgorithmName.SHA256, 32));
        JsonSerializer.Serialize(KeyDerivation.ForPbkdf2(RepositoryCredentials.FromPassword("pw"), KeyDerivation.MinimumIterations), KeyJson.Default.KeyDerivation)
            .Should().Contain($"\"lanes\":{KeyDerivation.DefaultLanes}");
    }

    [Theory]
    [InlineData(600_000, 7)] // not a whole number of iterations per lane
    [InlineData(600_064, 65)] // more lanes than a reader accepts
    [InlineData(600_000, -4)]
    [InlineData(400_000, 4)] // too few iterations in all, however they are split
    [InlineData(KeyDerivation.MaximumIterations + 4, 4)] // more than a reader computes
    [InlineData(int.MaxValue, 1)]
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

    [Fact]
    public void New_password_keys_use_Argon2id_as_the_format_describes()
    {
        Argon2id.Native.Should().NotBeNull(OperatingSystem.IsLinux() ? "the libsodium package ships a native build for Linux" : null);
        var kdf = KeyDerivation.For(RepositoryCredentials.FromPassword("pw"));
        kdf.Should().Match<KeyDerivation>(k => k.Algorithm == KeyDerivation.Argon2idAlgorithm && k.Iterations == 12 && k.MemoryKiB == 32768 && k.Lanes == 1 && k.Salt.Length == 16);
        JsonSerializer.Serialize(kdf, KeyJson.Default.KeyDerivation).Should().Contain("\"memoryKiB\":32768");

        // docs/repository-format.md, section 7: Argon2id v1.3 with the stored t, m, p = 1 and salt, 32 bytes. The
        // expected bytes are the reference implementation's (libargon2's argon2id_hash_raw), not libsodium's.
        var stored = new KeyDerivation { Algorithm = KeyDerivation.Argon2idAlgorithm, Iterations = 3, MemoryKiB = 65536, Lanes = 1, Salt = [.. Enumerable.Range(0, 16).Select(i => (byte)i)] };
        Convert.ToHexStringLower(stored.DeriveKey(RepositoryCredentials.FromPassword("correct horse battery staple")))
            .Should().Be("0d1a3c6523c8f06e4e0af9c515aa5b5448cfebd6838f2d52c3d8b6ef8ddc3c2e");

        // The parameters of new keys (Debian's argon2 tool: argon2 somesaltsomesalt -id -t 12 -k 32768 -p 1 -l 32 -r).
        var current = kdf with { Salt = "somesaltsomesalt"u8.ToArray() };
        Convert.ToHexStringLower(current.DeriveKey(RepositoryCredentials.FromPassword("correct horse battery staple")))
            .Should().Be("80e403e8fb0d879f486284cdde393b8b3c76dc9e068e76f805afc9564c8e2fb4");
    }

    [Fact]
    public async Task A_repository_whose_key_has_the_first_Argon2id_parameters_still_opens()
    {
        var (target, owners) = await RepositoryWithOwnersKeyAsync();
        await owners.AddAsync("pw", passes: 3, memoryKiB: 65536, "00000000000000000000000000000002");
        await target.DeleteAsync("keys/" + owners.Id);

        await using var reopened = await BackupRepository.OpenAsync(target, RepositoryCredentials.FromPassword("pw"));
        reopened.SkippedKeys.Should().BeEmpty();
        (await reopened.Keys.ListKeysAsync()).Should().ContainSingle().Which.Id.Should().Be("00000000000000000000000000000002");
    }

    [Fact]
    public async Task An_open_derives_the_owners_new_key_before_another_passwords_key_of_the_first_parameters()
    {
        // After `key passwd`, a recovery key or a colleague's key of the first parameters (64 MiB) may remain.
        var (target, owners) = await RepositoryWithOwnersKeyAsync();
        await owners.AddAsync("recovery", passes: 3, memoryKiB: 65536, "ffffffffffffffffffffffffffffffff");

        (await KeyDerivationsOfOpenAsync(target, "pw")).Should().Be(1, "the owner's open should not wait behind, or hold the memory of, another password's older key");
    }

    [Fact]
    public async Task A_key_added_by_someone_else_is_derived_before_the_owners_only_when_it_costs_no_more()
    {
        var (target, owners) = await RepositoryWithOwnersKeyAsync();
        // Within every rule, and cheaper to compute than a new key, but holding over three times its memory.
        var planted = new KeyDerivation { Algorithm = KeyDerivation.Argon2idAlgorithm, Iterations = 3, MemoryKiB = 109_226, Lanes = 1, Salt = new byte[16] };
        planted.Problem().Should().BeNull();
        await owners.AddAsync("someone else's", planted.Iterations, planted.MemoryKiB, "00000000000000000000000000000001");

        (await KeyDerivationsOfOpenAsync(target, "pw")).Should().Be(1);
    }

    /// <summary>A repository with one password key ("pw"), and a way to add keys of chosen parameters for its master key.</summary>
    private static async Task<(InMemoryTarget Target, KeyWriter Owners)> RepositoryWithOwnersKeyAsync()
    {
        var target = new InMemoryTarget();
        string repositoryId;
        await using (var repository = await TestRepository.InitAsync(target, RepositoryCredentials.FromPassword("pw")))
        {
            repositoryId = repository.Config.Id;
        }

        var id = (await target.ListWithinAsync("keys/").Select(k => k.Key).SingleAsync())["keys/".Length..];
        var keyObject = JsonSerializer.Deserialize(await target.ReadAllAsync("keys/" + id, Array.MaxLength), KeyJson.Default.KeyObject)!;
        var aad = new TransformContext(Encoding.UTF8.GetBytes("backup-sdk key v1:" + repositoryId), MasterKey.Size);
        var material = new ArrayBufferWriter<byte>();
        using (var aes = new AesGcmTransform(keyObject.Kdf.DeriveKey(RepositoryCredentials.FromPassword("pw"))))
        {
            aes.Decode(keyObject.Data, material, aad);
        }

        return (target, new KeyWriter(target, id, keyObject, material.WrittenSpan.ToArray(), aad));
    }

    /// <summary>How many key derivations opening <paramref name="target"/> with <paramref name="password"/> ran.</summary>
    private static async Task<int> KeyDerivationsOfOpenAsync(IBackupTarget target, string password)
    {
        // Other tests open repositories at the same time: only the derivations under this open's own trace count.
        using var source = new ActivitySource("Backup.Tests.Passwords");
        var derivations = 0;
        ActivityTraceId? trace = null;
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "Backup" or "Backup.Tests.Passwords",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                if (activity.OperationName == "open.kdf" && activity.TraceId == trace)
                {
                    Interlocked.Increment(ref derivations);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        using (var open = source.StartActivity("open under test"))
        {
            trace = open!.TraceId;
            await using var repository = await BackupRepository.OpenAsync(target, RepositoryCredentials.FromPassword(password));
            repository.SkippedKeys.Should().BeEmpty();
        }

        return derivations;
    }

    private sealed class KeyWriter(InMemoryTarget target, string id, KeyObject template, byte[] material, TransformContext aad)
    {
        /// <summary>The owner's key object's ID.</summary>
        public string Id => id;

        /// <summary>Adds a key object for the master key under <paramref name="password"/>, derived with Argon2id over the given passes and memory.</summary>
        public async Task AddAsync(string password, int passes, int memoryKiB, string keyId)
        {
            var kdf = new KeyDerivation { Algorithm = KeyDerivation.Argon2idAlgorithm, Iterations = passes, MemoryKiB = memoryKiB, Lanes = 1, Salt = RandomNumberGenerator.GetBytes(16) };
            var wrapped = new ArrayBufferWriter<byte>();
            using (var aes = new AesGcmTransform(kdf.DeriveKey(RepositoryCredentials.FromPassword(password))))
            {
                aes.TryEncode(material, wrapped, aad).Should().BeTrue();
            }

            await target.PutAsync("keys/" + keyId, JsonSerializer.SerializeToUtf8Bytes(template with { Kdf = kdf, Data = wrapped.WrittenSpan.ToArray() }, KeyJson.Default.KeyObject));
        }
    }

    [Theory]
    [InlineData(3, 65536)] // the first keys' parameters (RFC 9106's second recommended option)
    [InlineData(12, 32768)] // new keys: twice the computation, the same memory held over time
    [InlineData(3, 262144)]
    public void Stored_Argon2id_parameters_with_at_least_the_first_keys_work_are_accepted(int passes, int memoryKiB)
    {
        new KeyDerivation { Algorithm = KeyDerivation.Argon2idAlgorithm, Iterations = passes, MemoryKiB = memoryKiB, Lanes = 1, Salt = new byte[16] }
            .Problem().Should().BeNull();
    }

    [Fact]
    public async Task A_repository_whose_key_uses_PBKDF2_still_opens()
    {
        var target = new InMemoryTarget();
        await (await TestRepository.InitAsync(target, RepositoryCredentials.FromPassword("pw"), TestRepository.SmallOptions() with { KdfIterations = KeyDerivation.MinimumIterations })).DisposeAsync();

        await using var reopened = await BackupRepository.OpenAsync(target, RepositoryCredentials.FromPassword("pw"));
        (await reopened.Keys.ListKeysAsync()).Should().ContainSingle().Which.Algorithm.Should().Be(KeyDerivation.Pbkdf2Sha256);
    }

    [Theory]
    [InlineData(2, 65536, 1, "fewer")] // a downgraded copy: fewer passes
    [InlineData(3, 32768, 1, "fewer")] // a downgraded copy: less work than the first keys (t = 3, m = 64 MiB)
    [InlineData(5, 32768, 1, "fewer")]
    [InlineData(10, 32768, 1, "fewer")] // more computation than the first keys, but less memory held over time (t × m²)
    [InlineData(12, 16384, 1, "fewer")] // a downgraded copy: less memory, whatever the passes
    [InlineData(KeyDerivation.MaximumArgon2idPasses + 1, 65536, 1, "more")] // would stall every open
    [InlineData(3, KeyDerivation.MaximumArgon2idMemoryKiB + 1, 1, "more")] // would exhaust a small machine
    [InlineData(int.MaxValue, int.MaxValue, 1, "more")]
    [InlineData(3, 65536, 4, "lanes")]
    public void Stored_Argon2id_parameters_outside_the_caps_are_refused_before_any_work(int passes, int memoryKiB, int lanes, string reason)
    {
        var kdf = new KeyDerivation { Algorithm = KeyDerivation.Argon2idAlgorithm, Iterations = passes, MemoryKiB = memoryKiB, Lanes = lanes, Salt = new byte[16] };
        kdf.Problem().Should().Contain(reason);
        ((Action)(() => kdf.DeriveKey(RepositoryCredentials.FromPassword("pw")))).Should().Throw<InvalidDataException>();
    }

    [Fact]
    public async Task Every_key_a_reader_accepts_costs_at_most_the_caps_and_one_past_them_is_skipped_unread()
    {
        // The most expensive keys a reader still derives: within ten times a default key.
        var pbkdf2 = new KeyDerivation { Algorithm = KeyDerivation.Pbkdf2Sha256, Iterations = KeyDerivation.MaximumIterations, Lanes = 4, Salt = new byte[32] };
        var argon2 = new KeyDerivation { Algorithm = KeyDerivation.Argon2idAlgorithm, Iterations = KeyDerivation.MaximumArgon2idPasses, MemoryKiB = KeyDerivation.MaximumArgon2idMemoryKiB, Lanes = 1, Salt = new byte[16] };
        pbkdf2.Problem().Should().BeNull();
        argon2.Problem().Should().BeNull();
        pbkdf2.RelativeCost.Should().BeLessThanOrEqualTo(10);
        argon2.RelativeCost.Should().BeLessThanOrEqualTo(10);

        // A key past the caps, added by someone else, is skipped without being derived (2^31 iterations would take hours).
        var target = new InMemoryTarget();
        string ownersKey;
        await using (var repository = await TestRepository.InitAsync(target, RepositoryCredentials.FromPassword("pw")))
        {
            ownersKey = (await repository.Keys.ListKeysAsync()).Single().Id;
        }

        var stored = await target.ReadAllAsync("keys/" + ownersKey, Array.MaxLength);
        var keyObject = JsonSerializer.Deserialize(stored, KeyJson.Default.KeyObject)!;
        var huge = keyObject with { Kdf = keyObject.Kdf with { Iterations = int.MaxValue } };
        await target.PutAsync("keys/00000000000000000000000000000001", JsonSerializer.SerializeToUtf8Bytes(huge, KeyJson.Default.KeyObject));

        await using var reopened = await BackupRepository.OpenAsync(target, RepositoryCredentials.FromPassword("pw"));
        reopened.SkippedKeys.Should().ContainSingle().Which.Should().Match<RepositoryKeyInfo>(k => k.Id == "00000000000000000000000000000001" && k.Problem!.Contains("more than"));
        (await reopened.Keys.ListKeysAsync()).Single(k => k.IsCurrent).Id.Should().Be(ownersKey);
    }
}
