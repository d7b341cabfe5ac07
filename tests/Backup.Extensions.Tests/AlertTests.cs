using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Backup.Extensions.Tests;

public sealed class AlertTests
{
    private const string Secret = "whsec-9c1f0e7a-test-only";

    [Fact]
    public async Task A_failed_job_posts_the_documented_JSON_body_signed_so_the_receiver_can_verify_it()
    {
        await using var receiver = new AlertReceiver();
        var secretFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(secretFile, Secret + "\n");
        try
        {
            await using (var provider = Build(receiver, new() { ["Backup:Alerts:Webhooks:0:SecretFile"] = secretFile }))
            {
                var runner = provider.GetRequiredService<IBackupJobRunner>();
                await runner.RunAsync("export");
                await runner.RunAsync("broken");
            }
        }
        finally
        {
            File.Delete(secretFile);
        }

        // The successful run sends nothing (by default only Failed, Partial, Degraded and Recovered alert).
        var request = receiver.Requests.Should().ContainSingle().Subject;
        request.Method.Should().Be("POST");
        request.Path.Should().Be("/hooks/T0KEN");
        request.Headers["Content-Type"].Should().Be("application/json; charset=utf-8");

        var signature = request.Headers["X-Backup-Signature"];
        Verify(signature, request.Body, Secret).Should().BeTrue("the receiver recomputes HMAC-SHA256(secret, t + \".\" + body)");
        Verify(signature, request.Body, "another secret").Should().BeFalse();
        Verify(signature.Replace("t=", "t=1", StringComparison.Ordinal), request.Body, Secret).Should().BeFalse("the time is signed: a replay cannot move it");

        using var json = JsonDocument.Parse(request.Body);
        var root = json.RootElement;
        root.GetProperty("version").GetInt32().Should().Be(1);
        root.GetProperty("id").GetString().Should().Be(request.Headers["X-Backup-Alert-Id"]);
        root.GetProperty("job").GetString().Should().Be("broken");
        root.GetProperty("outcome").GetString().Should().Be("Failed");
        root.GetProperty("jobOutcome").GetString().Should().Be("Failed");
        root.GetProperty("host").GetString().Should().Be(Environment.MachineName);
        root.GetProperty("snapshot").ValueKind.Should().Be(JsonValueKind.Null);
        root.GetProperty("files").ValueKind.Should().Be(JsonValueKind.Null);
        root.GetProperty("error").GetString().Should().Contain("no source");
        root.GetProperty("verification").ValueKind.Should().Be(JsonValueKind.Null);
        root.GetProperty("failedCopies").GetArrayLength().Should().Be(0);
        root.GetProperty("suppressed").GetInt32().Should().Be(0);
        root.GetProperty("title").GetString().Should().Be($"Backup job broken failed on {Environment.MachineName}");
        root.GetProperty("endTime").GetDateTimeOffset().Should().BeOnOrAfter(root.GetProperty("startTime").GetDateTimeOffset());
        root.GetProperty("durationSeconds").GetDouble().Should().BeGreaterThanOrEqualTo(0);
    }

    [Theory]
    [InlineData("SecretConfigurationKey")]
    [InlineData("SecretEnvironmentVariable")]
    public async Task The_secret_can_come_from_configuration_or_the_environment(string source)
    {
        await using var receiver = new AlertReceiver();
        var variable = "BACKUP_TEST_HMAC_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, Secret);
        try
        {
            await using var provider = Build(receiver, new()
            {
                ["Secrets:Hmac"] = Secret,
                [$"Backup:Alerts:Webhooks:0:{source}"] = source == "SecretConfigurationKey" ? "Secrets:Hmac" : variable,
            });
            await provider.GetRequiredService<IBackupJobRunner>().RunAsync("broken");
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }

        var request = receiver.Requests.Should().ContainSingle().Subject;
        Verify(request.Headers["X-Backup-Signature"], request.Body, Secret).Should().BeTrue();
    }

    [Fact]
    public async Task A_succeeded_job_alerts_with_its_snapshot_and_counts_when_asked_to()
    {
        await using var receiver = new AlertReceiver();
        await using (var provider = Build(receiver, new() { ["Backup:Alerts:On:0"] = "Succeeded" }))
        {
            await provider.GetRequiredService<IBackupJobRunner>().RunAsync("export");
        }

        var request = receiver.Requests.Should().ContainSingle().Subject;
        request.Headers.Should().NotContainKey("X-Backup-Signature", "no secret is configured");
        using var json = JsonDocument.Parse(request.Body);
        json.RootElement.GetProperty("outcome").GetString().Should().Be("Succeeded");
        json.RootElement.GetProperty("snapshot").GetString().Should().MatchRegex("^[0-9a-f]{64}$");
        json.RootElement.GetProperty("files").GetInt64().Should().Be(1);
        json.RootElement.GetProperty("bytesStored").GetInt64().Should().BePositive();
        json.RootElement.GetProperty("error").ValueKind.Should().Be(JsonValueKind.Null);
    }

    [Fact]
    public async Task A_receiver_that_fails_twice_gets_the_alert_on_the_third_attempt()
    {
        await using var receiver = new AlertReceiver(503, 500);
        var logs = new LogCapture();
        await using (var provider = Build(receiver, logs: logs))
        {
            await provider.GetRequiredService<IBackupJobRunner>().RunAsync("broken");
        }

        receiver.Requests.Should().HaveCount(3);
        receiver.Requests.Select(r => r.Headers["X-Backup-Alert-Id"]).Distinct().Should().ContainSingle("a retry is the same alert, so a receiver can drop duplicates");
        logs.Messages.Should().Contain(m => m.Contains("failed on attempt 1 of 3 (HTTP 503", StringComparison.Ordinal));
        logs.Messages.Should().Contain(m => m.Contains("failed on attempt 2 of 3 (HTTP 500", StringComparison.Ordinal));
        logs.Messages.Should().Contain(m => m.Contains($"Failed alert sent to webhook http://127.0.0.1:{receiver.Port} (attempt 3)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_rejected_alert_is_not_retried_and_its_log_shows_no_token()
    {
        await using var receiver = new AlertReceiver(404, 404, 404);
        var logs = new LogCapture();
        await using (var provider = Build(receiver, logs: logs))
        {
            var result = await provider.GetRequiredService<IBackupJobRunner>().RunAsync("broken");
            result.Outcome.Should().Be(BackupJobOutcome.Failed, "the job's own outcome, untouched by the alert");
        }

        receiver.Requests.Should().ContainSingle("a 404 (a revoked webhook) does not heal by retrying");
        logs.Messages.Should().Contain(m => m.StartsWith("Warning", StringComparison.Ordinal) && m.Contains("failed after 1 attempts: HTTP 404", StringComparison.Ordinal));
        logs.Messages.Should().NotContain(m => m.Contains("T0KEN", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_receiver_that_never_answers_is_abandoned_at_the_timeout_and_the_job_completes()
    {
        // Accepts connections and never answers: each attempt hangs until its own timeout.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var logs = new LogCapture();
        await using var provider = TestSupport.Build(logs: logs, settings: new Dictionary<string, string?>
        {
            ["Backup:Alerts:Webhooks:0:Url"] = $"http://127.0.0.1:{port}/hooks/T0KEN",
            ["Backup:Alerts:Timeout"] = "00:00:01",
            ["Backup:Alerts:AttemptTimeout"] = "00:00:00.300",
            ["Backup:Alerts:Attempts"] = "10",
            ["Backup:Alerts:RetryDelay"] = "00:00:00.010",
        }, configure: AddBrokenJob);

        var result = await provider.GetRequiredService<IBackupJobRunner>().RunAsync("broken");

        result.Outcome.Should().Be(BackupJobOutcome.Failed);
        logs.Messages.Should().Contain(m => m.Contains("no answer within 0.3 s", StringComparison.Ordinal));
        logs.Messages.Should().Contain(m => m.Contains($"alert to webhook http://127.0.0.1:{port} abandoned after 1 s", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Repeats_within_the_interval_are_suppressed_and_counted_in_the_next_alert()
    {
        await using var receiver = new AlertReceiver();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 2, 0, 0, TimeSpan.Zero));
        await using var provider = Build(receiver, new() { ["Backup:Alerts:RepeatInterval"] = "01:00:00" }, time: time);
        var dispatcher = Dispatcher(provider);

        await dispatcher.NotifyAsync(Completed("nightly", BackupJobOutcome.Failed, time));
        for (var i = 0; i < 3; i++)
        {
            time.Advance(TimeSpan.FromMinutes(15));
            await dispatcher.NotifyAsync(Completed("nightly", BackupJobOutcome.Failed, time));
        }

        // Another job, or another outcome of the same job, is not held back by these.
        await dispatcher.NotifyAsync(Completed("weekly", BackupJobOutcome.Failed, time));
        await dispatcher.NotifyAsync(Completed("nightly", BackupJobOutcome.Partial, time));
        time.Advance(TimeSpan.FromMinutes(16));
        await dispatcher.NotifyAsync(Completed("nightly", BackupJobOutcome.Failed, time));

        var alerts = receiver.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
        alerts.Select(a => $"{a.GetProperty("job").GetString()} {a.GetProperty("outcome").GetString()} {a.GetProperty("suppressed").GetInt32()}")
            .Should().Equal("nightly Failed 0", "weekly Failed 0", "nightly Partial 0", "nightly Failed 3");
    }

    [Fact]
    public async Task A_success_after_a_failure_alerts_Recovered_once()
    {
        await using var receiver = new AlertReceiver();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 2, 0, 0, TimeSpan.Zero));
        await using var provider = Build(receiver, new() { ["Backup:Alerts:RepeatInterval"] = "00:00:00" }, time: time);
        var dispatcher = Dispatcher(provider);

        await dispatcher.NotifyAsync(Completed("nightly", BackupJobOutcome.Succeeded, time));
        await dispatcher.NotifyAsync(Completed("nightly", BackupJobOutcome.Failed, time));
        await dispatcher.NotifyAsync(Completed("nightly", BackupJobOutcome.Succeeded, time));
        await dispatcher.NotifyAsync(Completed("nightly", BackupJobOutcome.Succeeded, time));
        await dispatcher.NotifyAsync(Completed("nightly", BackupJobOutcome.Cancelled, time));

        var alerts = receiver.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
        alerts.Select(a => $"{a.GetProperty("outcome").GetString()}/{a.GetProperty("jobOutcome").GetString()}").Should().Equal("Failed/Failed", "Recovered/Succeeded");
    }

    [Fact]
    public async Task A_failed_copy_alerts_Degraded()
    {
        await using var receiver = new AlertReceiver();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 2, 0, 0, TimeSpan.Zero));
        await using var provider = Build(receiver, time: time);

        var result = Completed("nightly", BackupJobOutcome.Succeeded, time);
        await Dispatcher(provider).NotifyAsync(result with
        {
            Result = result.Result! with { Copies = [new BackupCopyResult { Repository = "offsite", Succeeded = false, Copy = null, BytesStored = 0, Duration = TimeSpan.Zero }] },
        });

        using var json = JsonDocument.Parse(receiver.Requests.Single().Body);
        json.RootElement.GetProperty("outcome").GetString().Should().Be("Degraded");
        json.RootElement.GetProperty("failedCopies")[0].GetString().Should().Be("offsite");
    }

    [Fact]
    public async Task Slack_and_Teams_webhooks_get_payloads_in_their_own_shapes()
    {
        await using var receiver = new AlertReceiver();
        await using (var provider = Build(receiver, webhook: false, settings: new()
        {
            ["Backup:Alerts:Chat:0:Url"] = receiver.Url("/services/T000/B000/XXXX").ToString(),
            ["Backup:Alerts:Chat:0:Format"] = "Slack",
            ["Backup:Alerts:Chat:1:Url"] = receiver.Url("/workflows/teams").ToString(),
            ["Backup:Alerts:Chat:1:Format"] = "Teams",
        }))
        {
            await provider.GetRequiredService<IBackupJobRunner>().RunAsync("broken");
        }

        var byPath = receiver.Requests.ToDictionary(r => r.Path);
        byPath.Keys.Should().BeEquivalentTo("/services/T000/B000/XXXX", "/workflows/teams");

        using var slack = JsonDocument.Parse(byPath["/services/T000/B000/XXXX"].Body);
        slack.RootElement.EnumerateObject().Select(p => p.Name).Should().Equal("text");
        var text = slack.RootElement.GetProperty("text").GetString();
        text.Should().StartWith($":red_circle: *Backup job broken failed on {Environment.MachineName}*\nOutcome: Failed\n");
        text.Should().Contain("\nError: ").And.Contain("no source");

        using var teams = JsonDocument.Parse(byPath["/workflows/teams"].Body);
        teams.RootElement.GetProperty("type").GetString().Should().Be("message");
        var attachment = teams.RootElement.GetProperty("attachments").EnumerateArray().Should().ContainSingle().Subject;
        attachment.GetProperty("contentType").GetString().Should().Be("application/vnd.microsoft.card.adaptive");
        var card = attachment.GetProperty("content");
        card.GetProperty("type").GetString().Should().Be("AdaptiveCard");
        card.GetProperty("version").GetString().Should().Be("1.4");
        var body = card.GetProperty("body");
        body[0].GetProperty("type").GetString().Should().Be("TextBlock");
        body[0].GetProperty("text").GetString().Should().Be($"Backup job broken failed on {Environment.MachineName}");
        body[1].GetProperty("type").GetString().Should().Be("FactSet");
        body[1].GetProperty("facts").EnumerateArray().Select(f => f.GetProperty("title").GetString() + "=" + f.GetProperty("value").GetString())
            .Should().Contain("Outcome=Failed").And.Contain(f => f!.StartsWith("Error=", StringComparison.Ordinal) && f.Contains("no source", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Backup:Alerts:Webhooks:0:Url", "http://alerts.example.com/hooks/T0KEN", "Backup:Alerts:Webhooks:0:Url: http:// to alerts.example.com sends alerts in clear text; use https, or set AllowInsecureHttp to true.")]
    [InlineData("Backup:Alerts:Webhooks:0:Url", "ftp://alerts.example.com/T0KEN", "Backup:Alerts:Webhooks:0:Url: must be an absolute https URL.")]
    [InlineData("Backup:Alerts:Webhooks:0:SecretEnvironmentVariable", "BACKUP_TEST_UNSET_HMAC_SECRET", "Backup:Alerts:Webhooks:0:SecretEnvironmentVariable: the environment variable BACKUP_TEST_UNSET_HMAC_SECRET is not set.")]
    [InlineData("Backup:Alerts:Webhooks:0:SecretFile", "/nonexistent/hmac", "Backup:Alerts:Webhooks:0:SecretFile: '/nonexistent/hmac' does not exist.")]
    [InlineData("Backup:Alerts:Chat:0:Url", "https://user:T0KEN@hooks.slack.com/services/x", "Backup:Alerts:Chat:0:Url: must not contain a user name or password; use the URL's own token or a signing secret.")]
    [InlineData("Backup:Alerts:Attempts", "0", "Backup:Alerts:Attempts: must be between 1 and 10.")]
    [InlineData("Backup:Alerts:RepeatInterval", "-00:01:00", "Backup:Alerts:RepeatInterval: must not be negative (zero alerts every time).")]
    [InlineData("Backup:Alerts:Email:Host", "smtp.example.com", "Backup:Alerts:Email: email alerts are configured but not registered; add the Backup.Providers.Smtp package and call AddEmailAlerts() on the backup builder (or remove this section).")]
    [InlineData("Backup:Alerts:Email:Host", "smtp.example.com", "Backup:Alerts:Email:From: is required (the sender address).")]
    [InlineData("Backup:Alerts:Email:Host", "smtp.example.com", "Backup:Alerts:Email:To: at least one recipient is required.")]
    public async Task Bad_alert_settings_fail_validation_naming_the_setting(string key, string value, string expected)
    {
        var settings = new Dictionary<string, string?> { ["Backup:Alerts:Webhooks:0:Url"] = "https://alerts.example.com/hooks/T0KEN", [key] = value };
        await using var provider = TestSupport.Build(settings: settings);

        var failure = FluentActions.Invoking(() => provider.GetRequiredService<IOptions<BackupHostingOptions>>().Value).Should().Throw<OptionsValidationException>().Which;
        failure.Failures.Should().Contain(expected);
        failure.Message.Should().NotContain("T0KEN", "a webhook URL's token is a secret");
    }

    [Fact]
    public async Task Http_to_loopback_or_with_AllowInsecureHttp_passes_validation()
    {
        await using var provider = TestSupport.Build(settings: new Dictionary<string, string?>
        {
            ["Backup:Alerts:Webhooks:0:Url"] = "http://127.0.0.1:9/hook",
            ["Backup:Alerts:Webhooks:1:Url"] = "http://localhost:9/hook",
            ["Backup:Alerts:Chat:0:Url"] = "http://chat.internal/hook",
            ["Backup:Alerts:Chat:0:AllowInsecureHttp"] = "true",
            ["Backup:Alerts:On:0"] = "Failed",
            ["Backup:Alerts:On:1"] = "Recovered",
        });

        var alerts = provider.GetRequiredService<IOptions<BackupHostingOptions>>().Value.Alerts;
        alerts.Webhooks.Should().HaveCount(2);
        alerts.EffectiveOutcomes.Should().BeEquivalentTo([BackupAlertOutcome.Failed, BackupAlertOutcome.Recovered]);
    }

    internal static bool Verify(string header, byte[] body, string secret)
    {
        // What a receiver does: split t and sha256, recompute over "<t>.<body>", compare in constant time.
        var parts = header.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var signed = Encoding.UTF8.GetBytes(parts["t"] + ".").Concat(body).ToArray();
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed);
        return CryptographicOperations.FixedTimeEquals(Convert.FromHexString(parts["sha256"]), expected);
    }

    internal static void AddBrokenJob(BackupBuilder builder) => builder.AddJob("broken", j =>
    {
        j.Repository = "main";
        j.SourceFactory = _ => throw new InvalidOperationException("no source");
    });

    private static ServiceProvider Build(AlertReceiver receiver, Dictionary<string, string?>? settings = null, LogCapture? logs = null, TimeProvider? time = null, bool webhook = true)
    {
        var values = new Dictionary<string, string?> { ["Backup:Alerts:RetryDelay"] = "00:00:00.010" };
        if (webhook)
        {
            values["Backup:Alerts:Webhooks:0:Url"] = receiver.Url("/hooks/T0KEN").ToString();
        }

        foreach (var (key, value) in settings ?? [])
        {
            values[key] = value;
        }

        return TestSupport.Build(time: time, settings: values, logs: logs, configure: AddBrokenJob);
    }

    private static BackupAlertDispatcher Dispatcher(ServiceProvider provider) =>
        provider.GetServices<IBackupNotificationSink>().OfType<BackupAlertDispatcher>().Single();

    private static BackupJobEvent Completed(string job, BackupJobOutcome outcome, TimeProvider time) => new()
    {
        JobName = job,
        Kind = BackupJobEventKind.Completed,
        Time = time.GetUtcNow(),
        Result = new BackupJobResult
        {
            JobName = job,
            Outcome = outcome,
            StartTime = time.GetUtcNow(),
            Duration = TimeSpan.FromSeconds(3),
            Error = outcome == BackupJobOutcome.Failed ? new IOException("disk full") : null,
        },
    };
}
