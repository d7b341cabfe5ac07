using System.Text.Json.Serialization;

namespace Backup.Providers.MySql;

/// <summary>
/// A MariaDB/MySQL account as the grant tables name it: <c>'user'@'host'</c>, where the host is a pattern
/// (<c>%</c>, <c>10.0.%</c>, <c>localhost</c>) and part of the account's identity; or a MariaDB role, which has no host.
/// </summary>
internal sealed record MyAccount
{
    /// <summary>The user (or MariaDB role) name.</summary>
    [JsonPropertyName("user")]
    public required string User { get; init; }

    /// <summary>The host pattern; empty for a MariaDB role.</summary>
    [JsonPropertyName("host")]
    public required string Host { get; init; }

    /// <summary>Whether it is a MariaDB role (no host; granted to accounts, not signed in as).</summary>
    [JsonIgnore]
    public bool IsRole => Host.Length == 0;

    /// <summary>As SQL names it: <c>'app'@'%'</c>, or a role as <c>'reporting'</c>.</summary>
    public override string ToString() => IsRole ? Literal(User) : $"{Literal(User)}@{Literal(Host)}";

    /// <summary>Whether <paramref name="user"/>@<paramref name="host"/> is this account: user names are case-sensitive, host names are not.</summary>
    public bool Matches(string user, string host) => string.Equals(User, user, StringComparison.Ordinal) && string.Equals(Host, host, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// A definer as information_schema spells it (<c>app@%</c>; a MariaDB role has no <c>@</c> or nothing after it).
    /// The host never holds an <c>@</c>, so the last one separates them.
    /// </summary>
    public static MyAccount? FromDefiner(string definer)
    {
        var at = definer.LastIndexOf('@');
        var account = at < 0 ? new MyAccount { User = definer, Host = string.Empty } : new MyAccount { User = definer[..at], Host = definer[(at + 1)..] };
        return account.User.Length == 0 ? null : account;
    }

    /// <summary>A string literal, so that a name with a quote or backslash in it is written as the server reads it.</summary>
    private static string Literal(string value) => "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal) + "'";
}
