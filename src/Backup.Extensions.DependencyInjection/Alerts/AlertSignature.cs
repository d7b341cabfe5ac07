using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// The webhook signature: <c>t=&lt;unix seconds&gt;,sha256=&lt;hex HMAC-SHA256 of "&lt;t&gt;.&lt;body&gt;" keyed with the UTF-8 secret&gt;</c>.
/// The time is signed so that a receiver can reject an old request replayed later.
/// </summary>
internal static class AlertSignature
{
    public const string HeaderName = "X-Backup-Signature";

    public static string Create(string secret, long unixSeconds, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(unixSeconds.ToString(CultureInfo.InvariantCulture) + ".");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed);
        return $"t={unixSeconds.ToString(CultureInfo.InvariantCulture)},sha256={Convert.ToHexStringLower(mac)}";
    }
}
