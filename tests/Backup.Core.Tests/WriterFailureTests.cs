using System.Buffers;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Repository.Blobs;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;
using Backup.Core.Transforms;

namespace Backup.Core.Tests;

/// <summary>
/// A writer that fails part-way keeps what it had finished, stops when told to, and never lets a snapshot be written
/// over blobs it did not store.
/// </summary>
public class WriterFailureTests
{
    private const int PackSize = 4 * 1024 * 1024;

    private static async Task<(InMemoryTarget Inner, Crypto.RepositoryCredentials Credentials)> CreateAsync()
    {
        var inner = new InMemoryTarget();
        var credentials = TestRepository.NewKeyFile();
        await using var repository = await TestRepository.InitAsync(inner, credentials, TestRepository.SmallOptions("none", PackSize));
        await TestRepository.BackupBytesAsync(repository, "earlier.bin", TestRepository.RandomBytes(1024 * 1024, seed: 51));
        return (inner, credentials);
    }

    [Fact]
    public async Task Packs_already_filled_when_storage_fills_up_are_still_stored_for_the_next_run()
    {
        // The first pack's upload is held until the third pack has met a full disk: a writer that stopped its
        // uploads with its encoders would throw away two packs it had finished filling.
        var (inner, credentials) = await CreateAsync();
        var packsBefore = (await TestRepository.ListAsync(inner, RepositoryLayout.DataPrefix)).Count;
        var data = TestRepository.RandomBytes(20 * 1024 * 1024, seed: 54);
        var filling = new StallingStagingTarget(inner, failingObject: 3);
        _ = filling.Full.Task.ContinueWith(_ => filling.Release.TrySetResult(), TaskScheduler.Default);

        await using (var repository = await BackupRepository.OpenAsync(filling, credentials))
        {
            var act = () => TestRepository.BackupBytesAsync(repository, "data.bin", data);
            (await act.Should().ThrowAsync<IOException>()).Which.Message.Should().Contain("No space left");
        }

        (await TestRepository.ListAsync(inner, RepositoryLayout.DataPrefix)).Should().HaveCount(packsBefore + 2, "the two packs filled before the disk was full are sealed and stored");
        await using var reopened = await BackupRepository.OpenAsync(inner, credentials);
        reopened.Blobs.UnindexedPacks.Should().HaveCount(2);
        var result = await TestRepository.BackupBytesAsync(reopened, "data.bin", data);
        (await TestRepository.RestoreAsync(reopened, result.Snapshot)).ShouldEqualBytes(data);
    }

    // After an encoder fails, the packs already filled are still uploaded: cancelling must stop that too.
    [Fact]
    public async Task Cancelling_a_backup_whose_encoder_failed_stops_a_stalled_upload()
    {
        var (inner, credentials) = await CreateAsync();
        var data = TestRepository.RandomBytes(20 * 1024 * 1024, seed: 54);
        var target = new StallingStagingTarget(inner, failingObject: 3);
        await using var repository = await BackupRepository.OpenAsync(target, credentials);
        using var cancel = new CancellationTokenSource();
        var backup = new BackupService(repository).BackupAsync(StreamSource.FromStream("data.bin", new MemoryStream(data)), new BackupOptions { Level = BackupLevel.Full }, null, cancel.Token);
        try
        {
            await target.Full.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await Task.Delay(500);
            cancel.Cancel(); // the user gives up: the upload is stalled (a hung SFTP server, S3 retrying)
            var finished = await Task.WhenAny(backup, Task.Delay(TimeSpan.FromSeconds(10)));
            finished.Should().BeSameAs(backup, "cancellation is meant to stop uploads at once");
        }
        finally
        {
            target.Release.TrySetResult();
            await FluentActions.Awaiting(() => backup).Should().ThrowAsync<Exception>("the backup was cancelled after its disk was full");
        }
    }

    [Fact]
    public async Task Cancelling_CompleteAsync_while_it_stores_the_packs_already_filled_returns_and_a_late_cancel_throws_nothing()
    {
        var (inner, credentials) = await CreateAsync();
        var target = new StallingStagingTarget(inner, failingObject: 3);
        await using var repository = await BackupRepository.OpenAsync(target, credentials);
        using var cancel = new CancellationTokenSource();
        var writer = repository.CreateWriter(2);
        try
        {
            for (var i = 0; i < 200; i++)
            {
                await writer.AddBlobAsync(TestRepository.RandomBytes(200 * 1024, seed: 500 + i), BlobType.Data);
            }
        }
        catch (IOException)
        {
        }

        var complete = writer.CompleteAsync(cancel.Token);
        await Task.Delay(300);
        complete.IsCompleted.Should().BeFalse("the drain waits for the stalled upload");
        cancel.Cancel();
        (await Task.WhenAny(complete, Task.Delay(10_000))).Should().BeSameAs(complete);
        await FluentActions.Awaiting(() => complete).Should().ThrowAsync<OperationCanceledException>();
        await writer.DisposeAsync();

        using var late = new CancellationTokenSource();
        var writer2 = repository.CreateWriter(1);
        await writer2.CompleteAsync(late.Token);
        await writer2.DisposeAsync();
        late.Invoking(c => c.Cancel()).Should().NotThrow();
        target.Release.TrySetResult();
    }

    // An OperationCanceledException nobody asked for (an HTTP client's timeout) is a failure, not a stop.
    [Fact]
    public async Task An_upload_that_throws_a_cancellation_nobody_asked_for_fails_CompleteAsync()
    {
        var (inner, credentials) = await CreateAsync();
        var target = new TimingOutTarget(inner);
        await using var repository = await BackupRepository.OpenAsync(target, credentials);
        var blobs = Enumerable.Range(0, 10).Select(i => TestRepository.RandomBytes(200 * 1024, seed: 900 + i)).ToList();
        var ids = new List<BlobId>();
        var act = async () =>
        {
            await using var writer = repository.CreateWriter(2);
            foreach (var blob in blobs)
            {
                ids.Add(await writer.AddBlobAsync(blob, BlobType.Data));
            }

            await writer.CompleteAsync();
        };
        await act.Should().ThrowAsync<Exception>("the only pack was never stored");
    }

    [Fact]
    public async Task A_backup_whose_pack_upload_times_out_does_not_save_a_snapshot_of_missing_data()
    {
        var (inner, credentials) = await CreateAsync();
        var target = new TimingOutTarget(inner, once: true);
        await using var repository = await BackupRepository.OpenAsync(target, credentials);
        var data = TestRepository.RandomBytes(2 * 1024 * 1024, seed: 77);
        try
        {
            var result = await TestRepository.BackupBytesAsync(repository, "data.bin", data);
            // Reached: the backup "succeeded". Its snapshot must at least restore.
            await using var reopened = await BackupRepository.OpenAsync(inner, credentials);
            var restore = async () => await TestRepository.RestoreAsync(reopened, result.Snapshot);
            await restore.Should().NotThrowAsync("a backup that reported success must restore");
        }
        catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
        {
            // A failed backup is the right outcome.
        }
    }

    // A full pack waiting to be handed to the uploader when another encoder's transform fails is stored too.
    [Fact]
    public async Task A_full_pack_waiting_for_the_uploader_is_stored_when_a_transform_fails()
    {
        var inner = new InMemoryTarget();
        var credentials = TestRepository.NewKeyFile();
        var failing = new FailingTransform();
        await (await TestRepository.InitAsync(inner, credentials, TestRepository.SmallOptions("none", PackSize) with { Transforms = [TransformProviders.Fixed(failing)] })).DisposeAsync();
        var packsBefore = (await TestRepository.ListAsync(inner, RepositoryLayout.DataPrefix)).Count;
        var target = new HeldStagingTarget(inner, failing.Failed.Task);
        await using var repository = await BackupRepository.OpenAsync(target, credentials, new RepositoryOpenOptions { Transforms = [TransformProviders.Fixed(failing)] });
        // 200 KiB incompressible blobs: 21 fill a 4 MiB pack, so blobs 0-62 fill three packs; blob 63 fails to encode.
        var blobs = Enumerable.Range(0, 70).Select(i => { var b = TestRepository.RandomBytes(200 * 1024, seed: 300 + i); b[0] = (byte)(i >= 63 ? 0xFF : 0); return b; }).ToList();
        var writer = repository.CreateWriter(2);
        var add = async () =>
        {
            foreach (var blob in blobs)
            {
                await writer.AddBlobAsync(blob, BlobType.Data);
            }

            await writer.CompleteAsync();
        };
        await add.Should().ThrowAsync<InvalidOperationException>();
        await writer.DisposeAsync();
        (await TestRepository.ListAsync(inner, RepositoryLayout.DataPrefix)).Count.Should().Be(packsBefore + 3, "three packs were full when the transform failed");
    }

    private sealed class FailingTransform : Transforms.IStreamTransform
    {
        public readonly TaskCompletionSource Failed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => "fails-v1";

        public bool IsAuthenticatedEncryption => false;

        public bool TryEncode(ReadOnlySpan<byte> input, System.Buffers.IBufferWriter<byte> output, in Transforms.TransformContext context)
        {
            if (input.Length > 100_000 && input[0] == 0xFF)
            {
                Thread.Sleep(500); // lets the other worker finish the third pack first
                Failed.TrySetResult();
                throw new InvalidOperationException("the KMS is unreachable");
            }

            return false;
        }

        public void Decode(ReadOnlySpan<byte> input, System.Buffers.IBufferWriter<byte> output, in Transforms.TransformContext context) => output.Write(input);
    }

    /// <summary>Stages in memory; the first object's commit waits until the transform has failed, then a second.</summary>
    private sealed class HeldStagingTarget(IBackupTarget inner, Task failed) : DelegatingTarget(inner), IStagingTarget
    {
        public Task Failed { get; } = failed;

        private int _begun;

        public override T? GetCapability<T>() where T : class => this as T ?? base.GetCapability<T>();

        public Task<IStagedObject> BeginObjectAsync(CancellationToken cancellationToken = default) =>
            Task.FromResult<IStagedObject>(new Staged(this, Interlocked.Increment(ref _begun)));

        private sealed class Staged(HeldStagingTarget target, int number) : IStagedObject
        {
            private readonly MemoryStream _bytes = new();

            public long Length => _bytes.Length;

            public ValueTask AppendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
            {
                _bytes.Write(data.Span);
                return ValueTask.CompletedTask;
            }

            public async Task CommitAsync(string key, CancellationToken cancellationToken = default)
            {
                if (number == 1)
                {
                    await target.Failed.WaitAsync(cancellationToken);
                    await Task.Delay(1000, cancellationToken);
                }

                await target.Inner.PutAsync(key, _bytes.ToArray(), cancellationToken);
            }

            public ValueTask DisposeAsync()
            {
                _bytes.Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }

    private sealed class TimingOutTarget(IBackupTarget inner, bool once = false) : DelegatingTarget(inner)
    {
        private int _failed;

        public override Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) =>
            key.StartsWith(RepositoryLayout.DataPrefix, StringComparison.Ordinal) && (!once || Interlocked.Exchange(ref _failed, 1) == 0)
                ? Task.FromException(new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout of 100 seconds elapsing."))
                : base.PutAsync(key, content, cancellationToken);
    }

    private sealed class StallingStagingTarget(IBackupTarget inner, int failingObject) : DelegatingTarget(inner), IStagingTarget
    {
        public readonly TaskCompletionSource Full = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource Release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _begun;

        public override T? GetCapability<T>() where T : class => this as T ?? base.GetCapability<T>();

        public Task<IStagedObject> BeginObjectAsync(CancellationToken cancellationToken = default) =>
            Task.FromResult<IStagedObject>(new Staged(this, Interlocked.Increment(ref _begun), failingObject));

        private sealed class Staged(StallingStagingTarget target, int number, int failing) : IStagedObject
        {
            private readonly MemoryStream _bytes = new();

            public long Length => _bytes.Length;

            public ValueTask AppendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
            {
                if (number == failing && _bytes.Length + data.Length > 1024 * 1024)
                {
                    target.Full.TrySetResult();
                    throw new IOException("No space left on device");
                }

                _bytes.Write(data.Span);
                return ValueTask.CompletedTask;
            }

            public async Task CommitAsync(string key, CancellationToken cancellationToken = default)
            {
                if (number == 1)
                {
                    // A stalled upload: it ends when cancelled or released (a test that never releases it fails, not hangs).
                    await Task.WhenAny(Task.Delay(TimeSpan.FromMinutes(2), cancellationToken), target.Release.Task);
                    cancellationToken.ThrowIfCancellationRequested();
                }

                await target.Inner.PutAsync(key, _bytes.ToArray(), cancellationToken);
            }

            public ValueTask DisposeAsync()
            {
                _bytes.Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }
}
