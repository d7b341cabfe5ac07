using System.Data.Common;

namespace Backup.Providers.MySql;

/// <summary>
/// The server refused the configured user's login (error 1045). A <see cref="DbException"/>, as the driver's own is, so
/// that callers telling an unreachable server (<see cref="IOException"/>) from a refused sign-in keep doing so.
/// </summary>
internal sealed class MySignInRefusedException(string message, Exception innerException) : DbException(message, innerException);
