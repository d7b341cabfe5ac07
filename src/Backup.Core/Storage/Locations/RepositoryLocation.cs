namespace Backup.Core.Storage.Locations;

/// <summary>
/// Where a repository is: a local directory (a path or a <c>file://</c> URL, <see cref="Scheme"/> "file") or a URL
/// whose scheme names a <see cref="ITargetProvider"/> (<c>sftp://user@host[:port]/path</c>, <c>s3://bucket[/prefix]</c>,
/// <c>azure://container[/prefix]</c>). The same string means the same repository to the backup tool (<c>--repo</c>)
/// and to a host (<c>Backup:Repositories:NAME:Location</c>).
/// </summary>
public sealed class RepositoryLocation
{
    /// <summary>The scheme of local directories.</summary>
    public const string FileScheme = "file";

    private RepositoryLocation(string scheme, string address)
    {
        Scheme = scheme;
        Address = address;
    }

    /// <summary>The scheme in lower case, without "://": "file" for a local directory, else such as "s3".</summary>
    public string Scheme { get; }

    /// <summary>What follows "scheme://" (<c>bucket/prefix</c>); for a local directory, its path as given (a file:// URL turned into a path).</summary>
    public string Address { get; }

    /// <summary>Whether this is a local directory.</summary>
    public bool IsLocal => Scheme == FileScheme;

    /// <summary>Parses a location.</summary>
    /// <param name="location">A directory path, a file:// URL, or a URL such as s3://bucket/prefix.</param>
    /// <exception cref="TargetConfigurationException">
    /// It is blank or malformed, or it is a URL whose "://" is mistyped (<c>s3:/bucket</c>, <c>sftp:user@host:/path</c>,
    /// <c>s3//bucket</c>) rather than a local path; the message does not quote user info, which may hold a password.
    /// </exception>
    public static RepositoryLocation Parse(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (string.IsNullOrWhiteSpace(location))
        {
            throw new TargetConfigurationException("The repository location is empty: give a directory path or a URL such as s3://bucket/prefix.");
        }

        var separator = location.IndexOf("://", StringComparison.Ordinal);
        if (separator <= 0 || !IsScheme(location.AsSpan(0, separator)))
        {
            RefuseMistypedUrl(location);
            return new RepositoryLocation(FileScheme, location);
        }

        var scheme = location[..separator].ToLowerInvariant();
        var rest = location[(separator + 3)..];
        if (scheme == FileScheme)
        {
            try
            {
                return new RepositoryLocation(FileScheme, new Uri(location, UriKind.Absolute).LocalPath);
            }
            catch (UriFormatException)
            {
                throw new TargetConfigurationException("The repository location is not a valid file:// URL; the form is file:///PATH (or give the path itself).");
            }
        }

        return string.IsNullOrWhiteSpace(rest)
            ? throw new TargetConfigurationException($"The repository location '{scheme}://' says nothing after the scheme.")
            : new RepositoryLocation(scheme, rest);
    }

    /// <summary>The location for messages and logs: a password put in its user info by mistake shows as "***".</summary>
    public override string ToString()
    {
        if (IsLocal)
        {
            return Address;
        }

        var at = Address.IndexOf('@', StringComparison.Ordinal);
        var slash = Address.IndexOf('/', StringComparison.Ordinal);
        var colon = at > 0 ? Address.IndexOf(':', 0, at) : -1;
        return colon >= 0 && (slash < 0 || slash > at)
            ? $"{Scheme}://{Address[..colon]}:***{Address[at..]}"
            : $"{Scheme}://{Address}";
    }

    // "s3:/bucket", "sftp:user@host:/srv/repo" (restic's form) and "s3//bucket" are URLs with a typo, not directories:
    // taken as relative paths they would put the repository on this machine, where init creates it without a word and
    // every backup lands beside the data it should protect. Only the schemes this library knows count: a relative
    // directory such as "nightly:2026/repo" stays a directory, as it always was. A directory whose name really begins
    // like a mistyped URL can be given as "./s3:/…". The message names the scheme only: the rest may hold a password.
    private static void RefuseMistypedUrl(string location)
    {
        var scheme = KnownRemoteSchemes.FirstOrDefault(s =>
            location.StartsWith(s + ":", StringComparison.OrdinalIgnoreCase) || location.StartsWith(s + "//", StringComparison.OrdinalIgnoreCase));
        if (scheme is null)
        {
            return;
        }

        var lower = scheme.ToLowerInvariant();
        throw new TargetConfigurationException(
            $"The repository location begins with the scheme '{lower}' but not '{lower}://': write it as {lower}://… " +
            "(sftp://USER@HOST[:PORT]/PATH, s3://BUCKET[/PREFIX], azure://CONTAINER[/PREFIX]), or, for a local directory " +
            $"whose name begins that way, as ./{scheme}….");
    }

    private static readonly string[] KnownRemoteSchemes = ["sftp", "s3", "azure", FileScheme];

    // RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). Anything else before "://" is part of a path.
    private static bool IsScheme(ReadOnlySpan<char> text)
    {
        if (!char.IsAsciiLetter(text[0]))
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not '+' and not '-' and not '.')
            {
                return false;
            }
        }

        return true;
    }
}
