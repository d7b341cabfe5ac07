using System.Buffers;
using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core.Transforms;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Backup.Extensions.Tests;

public sealed class RepositoryTransformOptionsTests
{
    [Fact]
    public async Task A_repository_created_with_transforms_from_its_options_records_them_and_needs_them_to_open()
    {
        var store = new InMemoryTarget();
        var marker = TransformProviders.Fixed(new MarkerTransform());
        await using (var created = Build(store, r => r.Transforms = _ => [marker]))
        {
            var repository = await created.GetRequiredService<IBackupRepositoryProvider>().GetAsync("enveloped");
            repository.Config.Transforms.Should().ContainSingle().Which.Name.Should().Be(MarkerTransform.TransformName);
            repository.Blobs.Chain.Encoders.Select(t => t.Name).Should().Contain(MarkerTransform.TransformName);
        }

        await using (var reopened = Build(store, r => r.Transforms = _ => [marker]))
        {
            (await reopened.GetRequiredService<IBackupRepositoryProvider>().GetAsync("enveloped")).Config.Transforms.Should().ContainSingle();
        }

        await using var without = Build(store, _ => { });
        (await FluentActions.Awaiting(async () => await without.GetRequiredService<IBackupRepositoryProvider>().GetAsync("enveloped"))
            .Should().ThrowAsync<TransformNotRegisteredException>()).Which.TransformName.Should().Be(MarkerTransform.TransformName);
    }

    private static ServiceProvider Build(InMemoryTarget store, Action<BackupRepositoryOptions> configure) =>
        TestSupport.Build(new FakeTimeProvider(), b => b.AddRepository("enveloped", r =>
        {
            r.TargetFactory = _ => store;
            r.CreateIfMissing = true;
            r.Retry = false;
            r.KeySource = _ => TestSupport.FastKey();
            configure(r);
        }));

    /// <summary>A pass-through transform that is recorded in the config and the objects, like a real one.</summary>
    private sealed class MarkerTransform : IStreamTransform
    {
        public const string TransformName = "test-marker";

        public string Name => TransformName;

        public bool IsAuthenticatedEncryption => false;

        public bool TryEncode(ReadOnlySpan<byte> input, IBufferWriter<byte> output, in TransformContext context)
        {
            output.Write(input);
            return true;
        }

        public void Decode(ReadOnlySpan<byte> input, IBufferWriter<byte> output, in TransformContext context) => output.Write(input);
    }
}
