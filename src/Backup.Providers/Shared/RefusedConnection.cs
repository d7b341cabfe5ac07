using System.Net.Sockets;

namespace Backup.Providers;

/// <summary>
/// A connection the server's machine refused: nothing listens on that port (the service is stopped, or the address or
/// port is wrong). Said in those words, naming the endpoint: the bare "Connection refused" left operators to guess
/// which of the settings was at fault.
/// </summary>
internal static class RefusedConnection
{
    /// <summary>Whether <paramref name="exception"/>, or one it wraps, is a refused connection.</summary>
    public static bool IsRefused(Exception? exception) => exception switch
    {
        null => false,
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsRefused),
        _ => IsRefused(exception.InnerException),
    };

    /// <summary>What to say about a refused connection to <paramref name="endpoint"/> (such as <c>https://host:9000</c>).</summary>
    public static string Describe(string endpoint) =>
        $"the connection to {endpoint} was refused: nothing listens there. Check that the server runs and that the address and port are right";
}
