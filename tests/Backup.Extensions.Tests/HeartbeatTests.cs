using System.Net;
using System.Net.Sockets;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;

namespace Backup.Extensions.Tests;

public sealed class HeartbeatTests
{
    [Fact]
    public async Task The_heartbeat_notifier_pings_start_success_and_fail_paths() => await PingsAsync(post: false);

    [Fact]
    public async Task The_heartbeat_notifier_can_POST_a_summary() => await PingsAsync(post: true);

    private static async Task PingsAsync(bool post)
    {
        var port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var requests = new List<string>();
        var bodies = new List<string>();
        var serving = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                using var body = new StreamReader(context.Request.InputStream);
                var text = await body.ReadToEndAsync();
                lock (requests)
                {
                    requests.Add($"{context.Request.HttpMethod} {context.Request.Url!.AbsolutePath}");
                    bodies.Add(text);
                }

                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        });

        await using (var provider = TestSupport.Build(settings: new Dictionary<string, string?> { ["Backup:Heartbeat:UsePost"] = post ? "true" : "false" }, configure: b =>
        {
            b.AddJob("export", j => j.HeartbeatUrl = new Uri($"http://127.0.0.1:{port}/ping/ok-uuid"));
            b.AddJob("broken", j =>
            {
                j.Repository = "main";
                j.HeartbeatUrl = new Uri($"http://127.0.0.1:{port}/ping/bad-uuid/");
                j.SourceFactory = _ => throw new InvalidOperationException("no source");
            });
            b.AddHeartbeatNotifier();
        }))
        {
            var runner = provider.GetRequiredService<IBackupJobRunner>();
            await runner.RunAsync("export");
            await runner.RunAsync("broken");
        }

        listener.Stop();
        await serving;
        var method = post ? "POST" : "GET";
        requests.Should().Equal($"{method} /ping/ok-uuid/start", $"{method} /ping/ok-uuid", $"{method} /ping/bad-uuid/start", $"{method} /ping/bad-uuid/fail");
        if (post)
        {
            bodies[3].Should().StartWith("broken: Failed").And.Contain("no source");
        }
    }

    [Fact]
    public async Task An_unreachable_monitor_times_out_without_failing_the_backup()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(); // accepts connections, never answers
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        await using var provider = TestSupport.Build(
            settings: new Dictionary<string, string?> { ["Backup:Heartbeat:Timeout"] = "00:00:00.2" },
            configure: b =>
            {
                b.AddJob("export", j => j.HeartbeatUrl = new Uri($"http://127.0.0.1:{port}/ping/x"));
                b.AddHeartbeatNotifier();
            });

        var result = await provider.GetRequiredService<IBackupJobRunner>().RunAsync("export");

        result.Outcome.Should().Be(BackupJobOutcome.Succeeded);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
