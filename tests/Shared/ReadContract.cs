using Backup.Core.Storage;
using FluentAssertions;

namespace Backup.Tests.Support;

/// <summary>
/// The read contract every target must keep, written once and run by both conformance suites (local and in-memory
/// targets in Backup.Core.Tests; SFTP, S3 and Azure against real servers in Backup.Providers.Targets.Tests).
/// </summary>
internal static class ReadContract
{
    /// <summary>Checks <see cref="IBackupTarget.ReadAsync"/> and the reads built on it at every edge of an object.</summary>
    public static async Task CheckAsync(IBackupTarget target)
    {
        var data = new byte[200_000];
        new Random(7).NextBytes(data);
        await target.PutAsync("data/ef/contract", data);
        await target.PutAsync("data/ef/empty", ReadOnlyMemory<byte>.Empty);

        // ReadAsync fills the buffer unless the object ends first, and says how much it read.
        var buffer = new byte[1000];
        (await target.ReadAsync("data/ef/contract", 10, buffer)).Should().Be(1000);
        buffer.Should().Equal(data[10..1010]);
        (await target.ReadAsync("data/ef/contract", data.Length - 300, buffer)).Should().Be(300, "the object is shorter than asked");
        buffer[..300].Should().Equal(data[^300..]);
        (await target.ReadAsync("data/ef/contract", data.Length, buffer)).Should().Be(0, "the offset is at the end");
        (await target.ReadAsync("data/ef/contract", data.Length + 1000, buffer)).Should().Be(0, "the offset is past the end");
        (await target.ReadAsync("data/ef/empty", 0, buffer)).Should().Be(0, "the object is empty");
        (await target.ReadAsync("data/ef/contract", 5, Memory<byte>.Empty)).Should().Be(0);
        await FluentActions.Awaiting(async () => await target.ReadAsync("data/ef/missing", 0, buffer)).Should().ThrowAsync<BackupObjectNotFoundException>();
        await FluentActions.Awaiting(async () => await target.ReadAsync("data/ef/contract", -1, buffer)).Should().ThrowAsync<ArgumentOutOfRangeException>();

        // ReadExactlyAsync: the range whole, or an error that is not "not found"; an empty range must lie inside.
        await target.ReadExactlyAsync("data/ef/contract", data.Length, Memory<byte>.Empty);
        await target.ReadExactlyAsync("data/ef/empty", 0, Memory<byte>.Empty);
        (await FluentActions.Awaiting(() => target.ReadExactlyAsync("data/ef/contract", data.Length + 1, Memory<byte>.Empty)).Should().ThrowAsync<BackupTargetException>())
            .Which.Should().NotBeOfType<BackupObjectNotFoundException>();
        (await FluentActions.Awaiting(() => target.ReadExactlyAsync("data/ef/contract", data.Length - 1, new byte[2])).Should().ThrowAsync<BackupTargetException>())
            .Which.Should().NotBeOfType<BackupObjectNotFoundException>();
        (await FluentActions.Awaiting(() => target.ReadExactlyAsync("data/ef/contract", data.Length + 5, new byte[2])).Should().ThrowAsync<BackupTargetException>())
            .Which.Should().NotBeOfType<BackupObjectNotFoundException>();
        await FluentActions.Awaiting(() => target.ReadExactlyAsync("data/ef/missing", 0, Memory<byte>.Empty)).Should().ThrowAsync<BackupObjectNotFoundException>();

        // ReadAllAsync: small and large objects whole, exactly at the limit, and refused one byte over it.
        (await target.ReadAllAsync("data/ef/contract", data.Length)).Should().Equal(data);
        (await target.ReadAllAsync("data/ef/empty", 0)).Should().BeEmpty();
        await target.PutAsync("data/ef/small", data.AsMemory(0, 100));
        (await target.ReadAllAsync("data/ef/small", 100)).Should().Equal(data[..100]);
        (await FluentActions.Awaiting(() => target.ReadAllAsync("data/ef/small", 99)).Should().ThrowAsync<BackupObjectTooLargeException>()).Which.MaxLength.Should().Be(99);
        (await FluentActions.Awaiting(() => target.ReadAllAsync("data/ef/contract", data.Length - 1)).Should().ThrowAsync<BackupObjectTooLargeException>()).Which.MaxLength.Should().Be(data.Length - 1);
        await FluentActions.Awaiting(() => target.ReadAllAsync("data/ef/missing", 10)).Should().ThrowAsync<BackupObjectNotFoundException>();
    }
}
