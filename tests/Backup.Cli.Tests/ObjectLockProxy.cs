using System.Net;
using System.Net.Sockets;
using Backup.Providers.Targets.Tests;

namespace Backup.Cli.Tests;

/// <summary>
/// An HTTP endpoint on 127.0.0.1 that puts <see cref="ObjectLockHttpSimulator"/> between the tool and s3rver: the tool
/// runs as a child process whose S3 client a test cannot replace, so its requests come here, go through the simulator
/// (which keeps Object Lock retention as S3 does) and on to the real server. Nothing is changed on the way but what
/// the simulator changes.
/// </summary>
internal sealed class ObjectLockProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Transfer-Encoding", "Content-Length", "Expect", "Proxy-Connection", "Date", "Server",
    };

    private readonly HttpListener _listener = new();
    private readonly HttpMessageInvoker _upstream;
    private readonly Uri _server;
    private readonly Task _loop;

    public ObjectLockProxy(ObjectLockHttpSimulator simulator, Uri server)
    {
        _server = server;
        _upstream = new HttpMessageInvoker(simulator.CreateHandler());
        var port = FreePort();
        Endpoint = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(Endpoint.ToString());
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    public Uri Endpoint { get; }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            await _loop;
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
        {
            // Stopping the listener ends the accept loop this way.
        }

        _upstream.Dispose();
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private async Task AcceptAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => ForwardAsync(context));
        }
    }

    private async Task ForwardAsync(HttpListenerContext context)
    {
        try
        {
            using var request = new HttpRequestMessage(new HttpMethod(context.Request.HttpMethod), new Uri(_server, context.Request.RawUrl));
            if (context.Request.HasEntityBody)
            {
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                request.Content = new ByteArrayContent(body.ToArray());
            }

            foreach (var name in context.Request.Headers.AllKeys.OfType<string>().Where(n => !HopByHop.Contains(n)))
            {
                var values = context.Request.Headers.GetValues(name) ?? [];
                if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
                {
                    request.Content?.Headers.TryAddWithoutValidation(name, values);
                }
                else
                {
                    request.Headers.TryAddWithoutValidation(name, values);
                }
            }

            using var response = await _upstream.SendAsync(request, CancellationToken.None);
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var header in response.Headers.Concat(response.Content.Headers).Where(h => !HopByHop.Contains(h.Key)))
            {
                foreach (var value in header.Value)
                {
                    context.Response.Headers.Add(header.Key, value);
                }
            }

            var bytes = await response.Content.ReadAsByteArrayAsync();
            if (context.Request.HttpMethod == "HEAD")
            {
                context.Response.ContentLength64 = response.Content.Headers.ContentLength ?? 0;
            }
            else
            {
                context.Response.ContentLength64 = bytes.Length;
                await context.Response.OutputStream.WriteAsync(bytes);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or HttpListenerException)
        {
            context.Response.StatusCode = 502;
        }
        finally
        {
            context.Response.Close();
        }
    }
}
