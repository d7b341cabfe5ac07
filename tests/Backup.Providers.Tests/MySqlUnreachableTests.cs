using System.Net;
using System.Net.Sockets;
using Backup.Core.Pipeline;
using Backup.Core.Storage;
using Backup.Core;
using Backup.Core.Crypto;
using Backup.Providers.MySql;

namespace Backup.Providers.Tests;

/// <summary>At 3 a.m. "Unable to connect to any of the specified MySQL hosts" leaves the operator guessing which host; the error names it.</summary>
public sealed class MySqlUnreachableTests
{
    [Fact]
    public async Task A_backup_from_a_server_that_is_not_there_names_the_host_and_port()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port; // free now, so a connection is refused
        }

        await using var repository = await BackupRepository.InitAsync(new InMemoryTarget(), RepositoryCredentials.FromKeyFile(RepositoryCredentials.GenerateKeyFile()));
        var source = new MySqlSource(new MySqlSourceOptions { ConnectionString = $"Server=127.0.0.1;Port={port};User ID=nobody;Database=shop;SslMode=None", Method = MySqlBackupMethod.DriverOnly });

        var backup = () => new BackupService(repository).BackupAsync(source, new BackupOptions());

        (await backup.Should().ThrowAsync<BackupSourceException>()).Which.Message.Should().Contain($"127.0.0.1:{port}").And.Contain("cannot reach the MySQL/MariaDB server");
    }
}
