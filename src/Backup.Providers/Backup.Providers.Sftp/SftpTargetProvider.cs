using Backup.Core.Storage;
using Backup.Core.Storage.Locations;

namespace Backup.Providers.Sftp;

/// <summary>
/// Creates <see cref="SftpTarget"/>s for <c>sftp://user@host[:port]/path</c> locations (a path starting with
/// <c>/~/</c> is relative to the login directory). Register it with a <see cref="TargetResolver"/>, or in a host with
/// <c>AddTargetProvider(new SftpTargetProvider())</c>; the backup tool registers it and reads each setting from its
/// environment variable.
/// </summary>
/// <remarks>
/// Settings: <c>HostKey</c> (BACKUP_SFTP_HOST_KEY; the server's host key fingerprint, "SHA256:…"), a login with
/// <c>KeyFile</c> (BACKUP_SFTP_KEY_FILE; a private key file) and <c>KeyPassphrase</c> (BACKUP_SFTP_KEY_PASSPHRASE), or
/// <c>Password</c> (BACKUP_SFTP_PASSWORD); <c>FileMode</c> (BACKUP_FILE_MODE; octal permissions for new objects, 600 by default).
/// A password never belongs in the URL: one there is refused without being repeated.
/// </remarks>
public sealed class SftpTargetProvider : ITargetProvider
{
    private const string Form = "sftp://USER@HOST[:PORT]/PATH";

    /// <inheritdoc />
    public string Scheme => "sftp";

    /// <inheritdoc />
    public IReadOnlyList<TargetSetting> Settings { get; } =
    [
        new("HostKey", "BACKUP_SFTP_HOST_KEY", "the server's host key fingerprint ('SHA256:...', as 'ssh-keygen -lf' prints it)", isRequired: true),
        new("KeyFile", "BACKUP_SFTP_KEY_FILE", "the path of a private key file that logs in"),
        new("KeyPassphrase", "BACKUP_SFTP_KEY_PASSPHRASE", "the passphrase of the private key file", isSecret: true),
        new("Password", "BACKUP_SFTP_PASSWORD", "the login password (when no key file is given)", isSecret: true),
        new("FileMode", "BACKUP_FILE_MODE", "octal permissions for new objects, such as 600 (the default), 640 or 660"),
    ];

    /// <inheritdoc />
    public IBackupTarget Create(RepositoryLocation location, TargetSettings settings, TargetCreateOptions options)
    {
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        var rest = location.Address;
        var at = rest.IndexOf('@', StringComparison.Ordinal);
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (at <= 0 || (slash >= 0 && slash < at))
        {
            throw new TargetConfigurationException($"An SFTP repository needs a user name: {Form}.");
        }

        // Never echo the user info or the query: either may hold a password someone put there by mistake (a query
        // was ignored, and the password in it then looked wrong).
        if (rest[..at].Contains(':', StringComparison.Ordinal) || rest.Contains('?', StringComparison.Ordinal))
        {
            throw new TargetConfigurationException(
                $"Credentials do not go in the repository URL, which takes no password or query ('?…'): set {settings["Password"]} or {settings["KeyFile"]} instead. The form is {Form}.");
        }

        Uri uri;
        try
        {
            uri = new Uri("sftp://" + rest, UriKind.Absolute);
        }
        catch (UriFormatException)
        {
            throw new TargetConfigurationException($"The SFTP repository URL is not valid; the form is {Form}.");
        }

        var user = Uri.UnescapeDataString(uri.UserInfo);
        var host = uri.IdnHost;
        var path = Uri.UnescapeDataString(uri.AbsolutePath);
        if (string.IsNullOrEmpty(host) || path.Length <= 1)
        {
            throw new TargetConfigurationException($"An SFTP repository needs a host and a path: {Form}.");
        }

        if (path.StartsWith("/~/", StringComparison.Ordinal))
        {
            path = path[3..];
        }

        var hostKey = settings.Required("HostKey");
        var keyFile = settings.Optional("KeyFile");
        var password = settings.Optional("Password");
        if (keyFile is null && password is null)
        {
            throw new TargetConfigurationException($"An SFTP repository needs a login: set {settings["KeyFile"]} (a private key file) or {settings["Password"]}.", "KeyFile");
        }

        if (keyFile is not null && !File.Exists(keyFile))
        {
            throw new TargetConfigurationException($"The private key file named by {settings["KeyFile"]} ('{keyFile}') does not exist.", "KeyFile");
        }

        var sftpOptions = new SftpTargetOptions
        {
            Host = host,
            Port = uri.Port > 0 ? uri.Port : 22,
            Username = user,
            RootPath = path,
            HostKeyFingerprint = hostKey.Trim(),
            Password = keyFile is null ? password : null,
            PrivateKey = keyFile is null ? null : SftpPrivateKey.FromFile(Path.GetFullPath(keyFile), settings.Optional("KeyPassphrase")),
            ObjectPermissions = settings.GetFileMode("FileMode"),
        };
        TargetLocations.Validate(sftpOptions.Validate, $"the host key comes from {settings["HostKey"]}");
        return new SftpTarget(sftpOptions);
    }
}
