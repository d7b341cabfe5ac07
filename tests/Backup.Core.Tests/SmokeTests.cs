using Backup.Core.Crypto;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Sources;
using Backup.Core.Storage;
using Backup.Core.Content;

namespace Backup.Core.Tests;

public class SmokeTests
{
    [Fact]
    public async Task A_stream_round_trips_through_a_repository()
    {
        var target = new InMemoryTarget();
        var credentials = RepositoryCredentials.FromKeyFile(RepositoryCredentials.GenerateKeyFile());
        var data = new byte[5_000_000];
        new Random(1).NextBytes(data.AsSpan(0, 2_000_000));
        await using (var repository = await BackupRepository.InitAsync(target, credentials))
        {
            var result = await new BackupService(repository).BackupAsync(StreamSource.FromStream("data.bin", new MemoryStream(data)));
            result.IsComplete.Should().BeTrue();
        }

        await using var reopened = await BackupRepository.OpenAsync(target, credentials);
        var snapshot = await reopened.Snapshots.FindAsync("latest");
        var tree = await reopened.Snapshots.LoadTreeAsync(snapshot.Tree);
        var output = new MemoryStream();
        await new ContentReader(reopened.Blobs).CopyToAsync(tree.Nodes.Single(), output);
        output.ToArray().Should().Equal(data);
    }
}
