using System.Text.Json.Nodes;
using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;

namespace Backup.Core.Tests;

/// <summary>Flipping any stored byte makes reading fail loudly; altered data is never returned.</summary>
public class TamperingTests
{
    private static async Task<(InMemoryTarget Target, Crypto.RepositoryCredentials Credentials, byte[] Data)> CreateAsync()
    {
        var target = new InMemoryTarget();
        var credentials = TestRepository.NewKeyFile();
        var data = TestRepository.RandomBytes(1024 * 1024, seed: 21);
        await using var repository = await TestRepository.InitAsync(target, credentials);
        await TestRepository.BackupBytesAsync(repository, "data.bin", data);
        return (target, credentials, data);
    }

    private static async Task<string> SingleKeyAsync(IBackupTarget target, string prefix) =>
        (await TestRepository.ListAsync(target, prefix)).Should().ContainSingle().Subject.Key;

    private static async Task FlipAsync(IBackupTarget target, string key, byte[] pristine, long position, byte mask = 0x01)
    {
        var altered = (byte[])pristine.Clone();
        altered[position] ^= mask;
        await target.PutAsync(key, altered);
    }

    [Fact]
    public async Task Any_flipped_byte_in_a_packs_blob_region_makes_the_restore_fail()
    {
        var (target, credentials, data) = await CreateAsync();
        await using var repository = await BackupRepository.OpenAsync(target, credentials);
        var snapshot = await repository.Snapshots.FindAsync("latest");
        var packKey = await SingleKeyAsync(target, RepositoryLayout.DataPrefix);
        var pristine = await target.ReadAllAsync(packKey, Array.MaxLength);
        var blobs = repository.Blobs.Index.ToList().Select(e => e.Location).OrderBy(l => l.Offset).ToList();
        var blobsEnd = blobs.Max(l => l.Offset + l.Length);
        var positions = new List<long> { 0, 1, 2, 5, 40, blobsEnd / 3, blobsEnd / 2, blobsEnd - 17, blobsEnd - 1 };
        positions.AddRange(blobs.Skip(1).Select(l => (long)l.Offset)); // the first byte of every blob (its envelope version)

        foreach (var position in positions)
        {
            await FlipAsync(target, packKey, pristine, position);
            var act = () => TestRepository.RestoreAsync(repository, snapshot);
            await act.Should().ThrowAsync<RepositoryCorruptException>($"byte {position} of the pack was flipped");
        }

        await target.PutAsync(packKey, pristine);
        (await TestRepository.RestoreAsync(repository, snapshot)).Should().Equal(data);
    }

    [Fact]
    public async Task A_flipped_byte_in_a_pack_header_or_trailer_is_detected_and_data_still_reads_correctly()
    {
        var (target, credentials, data) = await CreateAsync();
        await using var repository = await BackupRepository.OpenAsync(target, credentials);
        var snapshot = await repository.Snapshots.FindAsync("latest");
        var info = (await TestRepository.ListAsync(target, RepositoryLayout.DataPrefix)).Single();
        var pristine = await target.ReadAllAsync(info.Key, Array.MaxLength);
        (await repository.Blobs.ReadPackHeaderAsync(info)).Should().HaveCount(repository.Blobs.Index.Count);
        var headerStart = repository.Blobs.Index.ToList().Max(e => e.Location.Offset + e.Location.Length);

        foreach (var position in new[] { headerStart, headerStart + 1, headerStart + 30, info.Length - 9, info.Length - 8, info.Length - 5, info.Length - 1 })
        {
            await FlipAsync(target, info.Key, pristine, position);
            var act = () => repository.Blobs.ReadPackHeaderAsync(info);
            await act.Should().ThrowAsync<InvalidDataException>($"byte {position} of the pack was flipped");
            (await repository.Blobs.TryReadPackHeaderAsync(info)).Should().BeNull();
            (await TestRepository.RestoreAsync(repository, snapshot)).Should().Equal(data, "blobs are authenticated on their own");
        }
    }

    [Fact]
    public async Task A_pack_with_a_damaged_header_and_no_index_is_not_trusted()
    {
        var (target, credentials, _) = await CreateAsync();
        var info = (await TestRepository.ListAsync(target, RepositoryLayout.DataPrefix)).Single();
        await FlipAsync(target, info.Key, await target.ReadAllAsync(info.Key, Array.MaxLength), info.Length - 20);
        await target.DeleteAsync(await SingleKeyAsync(target, RepositoryLayout.IndexPrefix));

        await using var repository = await BackupRepository.OpenAsync(target, credentials);
        repository.Blobs.Index.Count.Should().Be(0);
        var snapshot = await repository.Snapshots.FindAsync("latest");
        var act = () => TestRepository.RestoreAsync(repository, snapshot);
        await act.Should().ThrowAsync<RepositoryCorruptException>();
    }

    [Fact]
    public async Task A_flipped_byte_in_an_index_object_makes_opening_fail()
    {
        var (target, credentials, _) = await CreateAsync();
        var key = await SingleKeyAsync(target, RepositoryLayout.IndexPrefix);
        var pristine = await target.ReadAllAsync(key, Array.MaxLength);
        foreach (var position in new[] { 0, 1, 3, 10, pristine.Length / 2, pristine.Length - 1 })
        {
            await FlipAsync(target, key, pristine, position);
            var act = () => BackupRepository.OpenAsync(target, credentials);
            (await act.Should().ThrowAsync<RepositoryCorruptException>($"byte {position} of the index was flipped")).WithMessage($"*{key}*");
        }
    }

    [Fact]
    public async Task A_flipped_byte_in_a_snapshot_object_makes_reading_it_fail()
    {
        var (target, credentials, _) = await CreateAsync();
        await using var repository = await BackupRepository.OpenAsync(target, credentials);
        var key = await SingleKeyAsync(target, RepositoryLayout.SnapshotsPrefix);
        var pristine = await target.ReadAllAsync(key, Array.MaxLength);
        foreach (var position in new[] { 0, 1, 20, pristine.Length / 2, pristine.Length - 1 })
        {
            await FlipAsync(target, key, pristine, position);
            var act = () => repository.Snapshots.FindAsync("latest");
            await act.Should().ThrowAsync<RepositoryCorruptException>($"byte {position} of the snapshot was flipped");
            var byPrefix = () => repository.Snapshots.FindAsync(key[RepositoryLayout.SnapshotsPrefix.Length..][..8]);
            await byPrefix.Should().ThrowAsync<RepositoryCorruptException>();

            var errors = new List<string>();
            await foreach (var _ in repository.Snapshots.ListAsync((k, _) => errors.Add(k)))
            {
                throw new InvalidOperationException("a damaged snapshot was listed");
            }

            errors.Should().Equal(key);
        }
    }

    [Fact]
    public async Task A_snapshot_object_replaced_by_another_valid_snapshot_is_detected()
    {
        var target = new InMemoryTarget();
        await using var repository = await TestRepository.InitAsync(target, TestRepository.NewKeyFile());
        var first = await TestRepository.BackupBytesAsync(repository, "a.bin", [1, 2, 3]);
        var second = await TestRepository.BackupBytesAsync(repository, "b.bin", [4, 5, 6]);
        await target.PutAsync(RepositoryLayout.SnapshotKey(first.Snapshot.Id), await target.ReadAllAsync(RepositoryLayout.SnapshotKey(second.Snapshot.Id), Array.MaxLength));
        var act = () => repository.Snapshots.FindAsync(first.Snapshot.Id.ToString());
        await act.Should().ThrowAsync<RepositoryCorruptException>();
    }

    [Fact]
    public async Task An_altered_key_object_no_longer_opens_the_repository()
    {
        var (target, credentials, _) = await CreateAsync();
        var key = await SingleKeyAsync(target, RepositoryLayout.KeysPrefix);
        var pristine = await target.ReadAllAsync(key, Array.MaxLength);
        foreach (var field in new[] { "data", "salt" })
        {
            for (var i = 0; i < 3; i++)
            {
                var json = JsonNode.Parse(pristine)!.AsObject();
                var holder = field == "salt" ? json["kdf"]!.AsObject() : json;
                var bytes = Convert.FromBase64String(holder[field]!.GetValue<string>());
                bytes[i * (bytes.Length - 1) / 2] ^= 0x01;
                holder[field] = Convert.ToBase64String(bytes);
                await target.PutAsync(key, System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()));
                var act = () => BackupRepository.OpenAsync(target, credentials);
                await act.Should().ThrowAsync<WrongPasswordException>($"the key's {field} was altered");
            }
        }

        await FlipAsync(target, key, pristine, 0, (byte)'{' ^ (byte)'x'); // not JSON any more
        var broken = () => BackupRepository.OpenAsync(target, credentials);
        await broken.Should().ThrowAsync<WrongPasswordException>();
    }

    [Fact]
    public async Task Any_flipped_byte_in_the_config_either_fails_to_open_or_still_restores_exactly()
    {
        var (target, credentials, data) = await CreateAsync();
        var pristine = await target.ReadAllAsync(RepositoryLayout.Config, Array.MaxLength);
        foreach (var mask in new byte[] { 0x01, 0x08 })
        {
            for (var position = 0; position < pristine.Length; position++)
            {
                await FlipAsync(target, RepositoryLayout.Config, pristine, position, mask);
                BackupRepository repository;
                try
                {
                    repository = await BackupRepository.OpenAsync(target, credentials);
                }
                catch (RepositoryException)
                {
                    continue; // refusing a damaged config is fine
                }

                await using (repository)
                {
                    var snapshot = await repository.Snapshots.FindAsync("latest");
                    (await TestRepository.RestoreAsync(repository, snapshot)).Should().Equal(data, $"byte {position} of the config was flipped with {mask}");
                }
            }
        }
    }
}
