using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Backup.Providers.MySql;
using Backup.Providers.Tests.Servers;
using MySqlConnector;

namespace Backup.Providers.Tests;

/// <summary>The connection string's TLS settings reach the client tools (mariadb-dump, mariadb), not only the driver.</summary>
public sealed class MySqlTlsTests : IDisposable
{
    private const string CertifiedPassword = "c3rt-Pass";
    private readonly string _directory = Directory.CreateTempSubdirectory("mysql-tls-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("SslMode=None", false, "ssl-mode=DISABLED\n")]
    [InlineData("SslMode=None", true, "skip-ssl\n")]
    [InlineData("SslMode=Preferred", false, "ssl-mode=PREFERRED\n")]
    [InlineData("SslMode=Preferred", true, "")]
    [InlineData("SslMode=Required", false, "ssl-mode=REQUIRED\n")]
    [InlineData("SslMode=Required", true, "ssl\n")]
    [InlineData("SslMode=VerifyCA;SslCa=/etc/ca.pem", false, "ssl-mode=VERIFY_CA\nssl-ca=\"/etc/ca.pem\"\n")]
    [InlineData("SslMode=VerifyCA;SslCa=/etc/ca.pem", true, "ssl\nssl-verify-server-cert\nssl-ca=\"/etc/ca.pem\"\n")]
    [InlineData("SslMode=VerifyFull;SslCa=/c/ca.pem;SslCert=/c/me.pem;SslKey=/c/me.key;TlsVersion=Tls12,Tls13", false,
        "ssl-mode=VERIFY_IDENTITY\nssl-ca=\"/c/ca.pem\"\nssl-cert=\"/c/me.pem\"\nssl-key=\"/c/me.key\"\ntls-version=TLSv1.2,TLSv1.3\n")]
    [InlineData("SslMode=VerifyFull;SslCa=/c/ca.pem;SslCert=/c/me.pem;SslKey=/c/me.key", true,
        "ssl\nssl-verify-server-cert\nssl-ca=\"/c/ca.pem\"\nssl-cert=\"/c/me.pem\"\nssl-key=\"/c/me.key\"\n")]
    public void The_option_file_carries_the_TLS_mode_in_the_tools_dialect_and_the_PEM_files(string connectionString, bool mariaDb, string expected)
    {
        var text = new StringBuilder();

        MyServer.AppendTlsOptions(text, new MySqlConnectionStringBuilder("Server=db;" + connectionString), mariaDb);

        text.ToString().Should().Be(expected);
    }

    [Fact]
    public void A_client_certificate_only_as_PKCS12_is_refused_rather_than_left_out()
    {
        var append = () => MyServer.AppendTlsOptions(new StringBuilder(), new MySqlConnectionStringBuilder("Server=db;SslMode=Required;CertificateFile=/c/me.pfx"), mariaDb: true);

        append.Should().Throw<InvalidOperationException>().WithMessage("*SslCert and SslKey*");
    }

    [SkippableFact]
    public async Task The_installed_client_tools_are_recognised_and_accept_the_option_file()
    {
        var tool = new[] { "/usr/bin/mariadb-dump", "/usr/bin/mysqldump" }.FirstOrDefault(File.Exists);
        Skip.If(tool is null, "no mariadb-dump or mysqldump installed");
        var mariaDb = await MyServer.IsMariaDbToolAsync(tool!, CancellationToken.None);
        var text = new StringBuilder("[client]\n");
        MyServer.AppendTlsOptions(text, new MySqlConnectionStringBuilder("Server=db;SslMode=VerifyFull"), mariaDb);
        var file = Path.Combine(_directory, "tls.cnf");
        await File.WriteAllTextAsync(file, text.ToString());

        // A tool that does not know an option in the file stops before it connects; this one gets as far as the closed port.
        var start = new System.Diagnostics.ProcessStartInfo(tool!) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { $"--defaults-extra-file={file}", "--host=127.0.0.1", "--port=1", "nodb" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        stderr.Should().NotContain("unknown variable").And.NotContain("unknown option").And.Contain("connect", "the only failure is the closed port");
    }

    [SkippableFact]
    public async Task A_user_that_must_present_a_client_certificate_is_backed_up_and_restored_by_the_client_tools()
    {
        Skip.If(MariaDbServer.FindServer() is null && !ServerProcess.IsCi, "MariaDB server binaries are not installed (scripts/install-test-servers.sh)");
        var (ca, serverCert, serverKey, clientCert, clientKey) = WriteCertificates();
        await using var server = await MariaDbServer.StartAsync([$"--ssl-ca={ca}", $"--ssl-cert={serverCert}", $"--ssl-key={serverKey}"]);
        // REQUIRE X509: a session of this user exists only over TLS with a client certificate the server's CA signed.
        await server.ExecuteAsync(null, $"""
            CREATE USER 'certified'@'%' IDENTIFIED BY '{CertifiedPassword}' REQUIRE X509; GRANT ALL ON *.* TO 'certified'@'%';
            CREATE DATABASE tls_source; CREATE TABLE tls_source.t (id INT PRIMARY KEY, v TEXT); INSERT INTO tls_source.t VALUES (1, 'over tls'), (2, 'only');
            """);
        string Connection(string database) =>
            $"Server=127.0.0.1;Port={server.Port};User ID=certified;SslMode=VerifyFull;SslCa={ca};SslCert={clientCert};SslKey={clientKey};Database={database}";
        await using var repo = await TestRepository.CreateAsync();

        var result = await repo.Service.BackupAsync(new MySqlSource(new MySqlSourceOptions { ConnectionString = Connection("tls_source"), Password = CertifiedPassword }));
        await new MySqlRestorer(repo.Repository).RestoreAsync(result.Snapshot, new MySqlRestoreOptions { ConnectionString = Connection("tls_restored"), Password = CertifiedPassword });

        result.Snapshot.Metadata["mysql.method"].Should().Be("dump", "the dump comes from mariadb-dump, through the option file");
        (await server.ScalarAsync("tls_restored", "SELECT GROUP_CONCAT(v ORDER BY id) FROM t")).Should().Be("over tls,only");
    }

    /// <summary>A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files.</summary>
    private (string Ca, string ServerCert, string ServerKey, string ClientCert, string ClientKey) WriteCertificates()
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=backup test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(2));

        (string Cert, string Key) Leaf(string name, bool isServer)
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(isServer ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
            if (isServer)
            {
                var names = new SubjectAlternativeNameBuilder();
                names.AddIpAddress(IPAddress.Loopback);
                request.CertificateExtensions.Add(names.Build());
            }

            using var certificate = request.Create(ca, now.AddDays(-1), now.AddDays(1), RandomNumberGenerator.GetBytes(16));
            var certPath = Path.Combine(_directory, name + ".pem");
            var keyPath = Path.Combine(_directory, name + ".key");
            File.WriteAllText(certPath, certificate.ExportCertificatePem());
            File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
            return (certPath, keyPath);
        }

        var caPath = Path.Combine(_directory, "ca.pem");
        File.WriteAllText(caPath, ca.ExportCertificatePem());
        var (serverCert, serverKey) = Leaf("server", isServer: true);
        var (clientCert, clientKey) = Leaf("client", isServer: false);
        return (caPath, serverCert, serverKey, clientCert, clientKey);
    }
}
