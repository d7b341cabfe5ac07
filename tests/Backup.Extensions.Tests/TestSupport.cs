using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Text;
using Backup.Core.Crypto;
using Backup.Core.Sources;
using Backup.Core.Storage;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Backup.Core;

namespace Backup.Extensions.Tests;

/// <summary>Builds containers the way an application would, with an in-memory repository and captured logs.</summary>
internal static class TestSupport
{
    public const string Password = "correct horse battery staple 7f3a";

    private static readonly byte[] TestKeyFile = [.. Enumerable.Range(0, 64).Select(i => (byte)i)];

    public static IConfiguration Configuration(IDictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    /// <summary>A container with one in-memory repository "main" (password from configuration) and one stream job "export".</summary>
    public static ServiceProvider Build(
        TimeProvider? time = null,
        Action<BackupBuilder>? configure = null,
        IDictionary<string, string?>? settings = null,
        LogCapture? logs = null,
        Action<IServiceCollection>? services = null,
        InMemoryTarget? target = null,
        bool fastKey = true)
    {
        var values = new Dictionary<string, string?>
        {
            ["Secrets:BackupPassword"] = Password,
            ["Backup:Repositories:main:PasswordConfigurationKey"] = "Secrets:BackupPassword",
            ["Backup:Repositories:main:CreateIfMissing"] = "true",
            ["Backup:Repositories:main:Retry"] = "false",
            ["Backup:Repositories:main:Compression"] = "zstd:1",
            ["Backup:Jobs:export:Repository"] = "main",
            ["Backup:Jobs:export:Rpo"] = "1.00:00:00",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var configuration = Configuration(values);
        var collection = new ServiceCollection();
        collection.AddSingleton(configuration);
        collection.AddLogging(b =>
        {
            b.SetMinimumLevel(LogLevel.Trace);
            if (logs is not null)
            {
                b.AddProvider(logs);
            }
        });
        if (time is not null)
        {
            collection.AddSingleton(time);
        }

        var memory = target ?? new InMemoryTarget(time);
        collection.AddBackup(b =>
        {
            b.BindConfiguration(configuration.GetSection("Backup"));
            b.AddRepository("main", r =>
            {
                r.TargetFactory = _ => memory;

                // A key file skips the 600,000-iteration password KDF, keeping tests fast; password tests opt out.
                if (fastKey)
                {
                    r.KeySource = _ => FastKey();
                }
            });
            b.AddJob("export", j => j.SourceFactory = _ => Export("export.csv", 64 * 1024));
            configure?.Invoke(b);
        });
        services?.Invoke(collection);
        return collection.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    /// <summary>The test key file as a key source (no password KDF).</summary>
    public static IRepositoryKeySource FastKey() =>
        new DelegateKeySource("test key file", _ => ValueTask.FromResult(RepositoryCredentials.FromKeyFile(TestKeyFile)));

    /// <summary>The test key file's credentials, to create a repository beforehand.</summary>
    public static RepositoryCredentials FastCredentials() => RepositoryCredentials.FromKeyFile(TestKeyFile);

    /// <summary>Every snapshot of <paramref name="repository"/>.</summary>
    public static async Task<List<Backup.Core.Snapshots.Snapshot>> SnapshotsAsync(Backup.Core.BackupRepository repository)
    {
        var snapshots = new List<Backup.Core.Snapshots.Snapshot>();
        await foreach (var snapshot in repository.Snapshots.ListAsync())
        {
            snapshots.Add(snapshot);
        }

        return snapshots;
    }

    /// <summary>A generated export of <paramref name="size"/> bytes (deterministic, so reruns deduplicate).</summary>
    public static StreamSource Export(string name, int size)
    {
        var bytes = new byte[size];
        new Random(42).NextBytes(bytes);
        return StreamSource.FromStream(name, new MemoryStream(bytes));
    }

    /// <summary>A source that blocks until <paramref name="release"/> completes (to hold a run open).</summary>
    public static StreamSource Blocking(TaskCompletionSource started, Task release) =>
        new("slow.bin", async ct =>
        {
            started.TrySetResult();
            await release.WaitAsync(ct);
            return PipeReader.Create(new MemoryStream(Encoding.UTF8.GetBytes("done")));
        });

    public static async Task WaitUntilAsync(Func<bool> condition, int timeoutMs = 10_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException("Condition not met in time.");
            }

            await Task.Delay(2);
        }
    }
}

/// <summary>Captures every formatted log message and its structured values.</summary>
internal sealed class LogCapture : ILoggerProvider
{
    public ConcurrentQueue<string> Messages { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(";", pairs.Select(p => $"{p.Key}={p.Value}")) : string.Empty;
            owner.Messages.Enqueue($"{logLevel} {category}: {formatter(state, exception)} [{values}] {exception}");
        }
    }
}
