using System.Buffers;
using System.Text;
using System.Text.Json;
using Backup.Core.Replication;
using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;
using Backup.Core.Transforms;
using EnvelopeEncryption;

namespace Backup.Core.Tests;

/// <summary>A user transform (the EnvelopeEncryption sample's KMS envelope) registered with real repositories.</summary>
public sealed class UserTransformTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private KmsEnvelopeTransformProvider Envelope(string kms = "kek") => new(new LocalFileKms(Path.Combine(_directory.Path, kms)));

    private LocalDirectoryTarget Target(string name) => new(Path.Combine(_directory.Path, name));

    private static RepositoryInitOptions WithTransforms(params ITransformProvider[] transforms) => TestRepository.SmallOptions() with { Transforms = transforms };

    private static RepositoryOpenOptions Registered(params ITransformProvider[] transforms) => new() { Transforms = transforms };

    [Fact]
    public async Task A_repository_created_with_a_transform_round_trips_through_a_local_directory_and_records_it()
    {
        var target = Target("repository");
        var credentials = TestRepository.NewKeyFile();
        var data = TestRepository.RandomBytes(3 * 1024 * 1024, seed: 171);
        await using (var created = await TestRepository.InitAsync(target, credentials, WithTransforms(Envelope())))
        {
            created.Blobs.Chain.Encoders.Select(t => t.Name).Should().Equal("zstd", KmsEnvelopeTransform.TransformName, AesGcmTransform.TransformName);
            await TestRepository.BackupBytesAsync(created, "data.bin", data);
        }

        await using var repository = await BackupRepository.OpenAsync(target, credentials, Registered(Envelope()));
        var snapshot = await repository.Snapshots.FindAsync("latest");
        (await TestRepository.RestoreAsync(repository, snapshot)).ShouldEqualBytes(data);

        using var config = JsonDocument.Parse(await target.ReadAllAsync(RepositoryLayout.Config, Array.MaxLength));
        config.RootElement.GetProperty("version").GetInt32().Should().Be(2, "a reader that predates user transforms must refuse, not ignore them");
        var recorded = config.RootElement.GetProperty("transforms").EnumerateArray().Should().ContainSingle().Subject;
        recorded.GetProperty("name").GetString().Should().Be(KmsEnvelopeTransform.TransformName);
        recorded.GetProperty("parameters").GetString().Should().StartWith("1:local-file-");
        var stored = await target.ReadAllAsync((await TestRepository.ListAsync(target, RepositoryLayout.SnapshotsPrefix))[0].Key, Array.MaxLength);
        TransformChain.ReadTransformNames(stored).Should().Equal("zstd", KmsEnvelopeTransform.TransformName, AesGcmTransform.TransformName);
    }

    [Fact]
    public async Task A_repository_without_user_transforms_writes_the_config_it_always_wrote()
    {
        var target = new InMemoryTarget();
        await using var repository = await TestRepository.InitAsync(target, TestRepository.NewKeyFile(), TestRepository.SmallOptions());

        var json = Encoding.UTF8.GetString(await target.ReadAllAsync(RepositoryLayout.Config, Array.MaxLength));
        json.Should().StartWith("{\"format\":\"backup-sdk-repository\",\"version\":1,").And.NotContain("transforms");
        json.Should().MatchRegex("\"compression\":\"zstd:3\",\"mac\":\"[0-9a-f]{64}\"}$");
        repository.Blobs.Chain.Encoders.Select(t => t.Name).Should().Equal("zstd", AesGcmTransform.TransformName);
    }

    [Fact]
    public async Task Opening_without_the_transform_registered_fails_naming_it()
    {
        var target = new InMemoryTarget();
        var credentials = TestRepository.NewKeyFile();
        await (await TestRepository.InitAsync(target, credentials, WithTransforms(Envelope()))).DisposeAsync();

        foreach (var open in new Func<Task<BackupRepository>>[]
        {
            () => BackupRepository.OpenAsync(target, credentials),
            () => BackupRepository.OpenWithoutIndexAsync(target, credentials),
            () => BackupRepository.OpenAsync(target, credentials, Registered(TransformProviders.Fixed(new RenamedTransform("kms-envelope-v2")))),
        })
        {
            var thrown = await open.Should().ThrowAsync<TransformNotRegisteredException>();
            thrown.Which.TransformName.Should().Be(KmsEnvelopeTransform.TransformName);
            thrown.WithMessage("*'kms-envelope-v1'*not registered*register*");
        }
    }

    [Fact]
    public async Task Parameters_of_an_unknown_version_or_another_kms_key_fail_naming_the_transform()
    {
        var target = new InMemoryTarget();
        var credentials = TestRepository.NewKeyFile();
        await (await TestRepository.InitAsync(target, credentials, WithTransforms(new ParametersOverride(Envelope(), "9:future:AAAA")))).DisposeAsync();

        var unknownVersion = await FluentActions.Awaiting(() => BackupRepository.OpenAsync(target, credentials, Registered(Envelope())))
            .Should().ThrowAsync<RepositoryTransformException>();
        unknownVersion.Which.TransformName.Should().Be(KmsEnvelopeTransform.TransformName);
        unknownVersion.WithMessage("*kms-envelope-v1*version '9'*reads version 1*");

        var other = new InMemoryTarget();
        await (await TestRepository.InitAsync(other, credentials, WithTransforms(Envelope("kek-a")))).DisposeAsync();
        var wrongKey = await FluentActions.Awaiting(() => BackupRepository.OpenAsync(other, credentials, Registered(Envelope("kek-b"))))
            .Should().ThrowAsync<RepositoryTransformException>();
        wrongKey.Which.TransformName.Should().Be(KmsEnvelopeTransform.TransformName);
        wrongKey.WithMessage("*wrapped by key 'local-file-*");
    }

    [Fact]
    public async Task Parameters_edited_in_the_stored_config_are_refused_by_its_mac()
    {
        var target = new InMemoryTarget();
        var credentials = TestRepository.NewKeyFile();
        await (await TestRepository.InitAsync(target, credentials, WithTransforms(Envelope()))).DisposeAsync();
        var json = Encoding.UTF8.GetString(await target.ReadAllAsync(RepositoryLayout.Config, Array.MaxLength));
        await target.PutAsync(RepositoryLayout.Config, Encoding.UTF8.GetBytes(json.Replace("\"parameters\":\"1:", "\"parameters\":\"2:", StringComparison.Ordinal)));

        await FluentActions.Awaiting(() => BackupRepository.OpenAsync(target, credentials, Registered(Envelope())))
            .Should().ThrowAsync<RepositoryCorruptException>();
    }

    [Fact]
    public async Task Deduplication_is_unaffected_a_second_backup_of_the_same_data_stores_no_new_data()
    {
        await using var repository = await TestRepository.InitAsync(Target("repository"), TestRepository.NewKeyFile(), WithTransforms(Envelope()));
        var data = TestRepository.RandomBytes(2 * 1024 * 1024, seed: 172);
        var first = await TestRepository.BackupBytesAsync(repository, "data.bin", data);
        var second = await TestRepository.BackupBytesAsync(repository, "data.bin", data);

        first.Snapshot.Statistics.BlobsAdded.Should().BeGreaterThan(10);
        second.Snapshot.Statistics.BlobsAdded.Should().BeLessThanOrEqualTo(1, "only the tree blob (new mtime) may be new");
    }

    [Fact]
    public async Task Copy_to_a_repository_without_the_transform_and_back_restores_byte_identical()
    {
        var credentials = TestRepository.NewKeyFile();
        var data = TestRepository.RandomBytes(3 * 1024 * 1024, seed: 173);
        await using var enveloped = await TestRepository.InitAsync(Target("enveloped"), credentials, WithTransforms(Envelope()));
        await TestRepository.BackupBytesAsync(enveloped, "data.bin", data);
        var plainTarget = Target("plain");
        await using var plain = await TestRepository.InitAsync(plainTarget, credentials, TestRepository.SmallOptions());
        await using var back = await TestRepository.InitAsync(Target("back"), credentials, WithTransforms(Envelope("other-kek")));

        // The copier decodes with the source's chain and encodes with the destination's.
        var there = (await new RepositoryCopier(enveloped, plain).CopyAsync()).Copied.Should().ContainSingle().Subject;
        var again = (await new RepositoryCopier(plain, back).CopyAsync()).Copied.Should().ContainSingle().Subject;

        (await TestRepository.RestoreAsync(plain, there)).ShouldEqualBytes(data);
        (await TestRepository.RestoreAsync(back, again)).ShouldEqualBytes(data);
        foreach (var pack in await TestRepository.ListAsync(plainTarget, RepositoryLayout.SnapshotsPrefix))
        {
            TransformChain.ReadTransformNames(await plainTarget.ReadAllAsync(pack.Key, Array.MaxLength)).Should().NotContain(KmsEnvelopeTransform.TransformName);
        }
    }

    [Fact]
    public async Task A_tampered_stored_object_is_still_detected()
    {
        var target = Target("repository");
        var credentials = TestRepository.NewKeyFile();
        var data = TestRepository.RandomBytes(1024 * 1024, seed: 174);
        await using (var created = await TestRepository.InitAsync(target, credentials, WithTransforms(Envelope()) with { Compression = "none" }))
        {
            await TestRepository.BackupBytesAsync(created, "data.bin", data);
        }

        await using var repository = await BackupRepository.OpenAsync(target, credentials, Registered(Envelope()));
        var snapshot = await repository.Snapshots.FindAsync("latest");
        var packKey = (await TestRepository.ListAsync(target, RepositoryLayout.DataPrefix)).Should().ContainSingle().Subject.Key;
        var pristine = await target.ReadAllAsync(packKey, Array.MaxLength);
        var first = repository.Blobs.Index.ToList().Select(e => e.Location).OrderBy(l => l.Offset).First();

        foreach (var position in new long[] { first.Offset + first.Length / 2, first.Offset + first.Length - 1 })
        {
            var altered = (byte[])pristine.Clone();
            altered[position] ^= 0x01;
            await target.PutAsync(packKey, altered);
            await FluentActions.Awaiting(() => TestRepository.RestoreAsync(repository, snapshot))
                .Should().ThrowAsync<RepositoryCorruptException>($"byte {position} of the pack was flipped");
        }
    }

    [Fact]
    public void Init_options_refuse_built_in_duplicate_or_malformed_transform_names()
    {
        foreach (var (name, expected) in new[] { ("zstd", "*built-in*"), ("aes-256-gcm", "*built-in*"), ("has space", "*printable ASCII*") })
        {
            FluentActions.Invoking(() => WithTransforms(TransformProviders.Fixed(new RenamedTransform(name))).Validate())
                .Should().Throw<ArgumentException>().WithMessage(expected);
        }

        FluentActions.Invoking(() => WithTransforms(TransformProviders.Fixed(new RenamedTransform("x")), TransformProviders.Fixed(new RenamedTransform("x"))).Validate())
            .Should().Throw<ArgumentException>().WithMessage("*registered twice*");
    }

    /// <summary>A pass-through transform with any name.</summary>
    private sealed class RenamedTransform(string name) : IStreamTransform
    {
        public string Name => name;

        public bool IsAuthenticatedEncryption => false;

        public bool TryEncode(ReadOnlySpan<byte> input, IBufferWriter<byte> output, in TransformContext context) => false;

        public void Decode(ReadOnlySpan<byte> input, IBufferWriter<byte> output, in TransformContext context) => output.Write(input);
    }

    /// <summary>Records other parameters than its inner provider would (as a future version of it might).</summary>
    private sealed class ParametersOverride(ITransformProvider inner, string recordedParameters) : ITransformProvider
    {
        public string Name => inner.Name;

        public async ValueTask<TransformSetup> CreateAsync(TransformProviderContext context, CancellationToken cancellationToken) =>
            new() { Transform = (await inner.CreateAsync(context, cancellationToken)).Transform, Parameters = recordedParameters };

        public ValueTask<IStreamTransform> OpenAsync(TransformProviderContext context, string? parameters, CancellationToken cancellationToken) =>
            inner.OpenAsync(context, parameters, cancellationToken);
    }
}
