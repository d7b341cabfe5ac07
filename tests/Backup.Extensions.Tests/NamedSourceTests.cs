using System.IO.Pipelines;
using System.Text;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;

namespace Backup.Extensions.Tests;

/// <summary>A job names a source registered with AddSource; any IBackupSource runs hosted with its whole lifecycle.</summary>
public sealed class NamedSourceTests
{
    private const string Job = "ledger-nightly";

    [Fact]
    public async Task A_job_naming_a_user_written_source_prepares_reads_records_and_disposes_a_fresh_one_each_run()
    {
        var created = new List<LedgerSource>();
        await using var provider = Build(() =>
        {
            var source = new LedgerSource();
            created.Add(source);
            return source;
        });
        var runner = provider.GetRequiredService<IBackupJobRunner>();

        var first = await runner.RunAsync(Job);
        var second = await runner.RunAsync(Job);

        first.Outcome.Should().Be(BackupJobOutcome.Succeeded, first.Error?.ToString());
        second.Outcome.Should().Be(BackupJobOutcome.Succeeded, second.Error?.ToString());
        created.Should().HaveCount(2, "each run builds its own source").And.AllSatisfy(s => s.Calls.Should().Equal("prepare", "read", "metadata", "dispose"));
        first.Snapshot!.Metadata.Should().Contain("ledger.entries", "2").And.Contain("backup.job", Job);
        first.Snapshot.SourceKind.Should().Be("ledger");
    }

    [Fact]
    public async Task A_named_source_that_cannot_be_prepared_fails_the_run_writes_no_snapshot_and_is_disposed()
    {
        var source = new LedgerSource { FailPrepare = true };
        await using var provider = Build(() => source);
        var runner = provider.GetRequiredService<IBackupJobRunner>();

        var result = await runner.RunAsync(Job);

        result.Outcome.Should().Be(BackupJobOutcome.Failed);
        result.Snapshot.Should().BeNull();
        result.Error!.Message.Should().Contain("ledger unavailable");
        source.Calls.Should().Equal("prepare", "dispose");
        var repository = await provider.GetRequiredService<IBackupRepositoryProvider>().GetAsync("main");
        (await TestSupport.SnapshotsAsync(repository)).Should().BeEmpty();
    }

    private static ServiceProvider Build(Func<LedgerSource> create) => TestSupport.Build(
        configure: b => b.AddSource("ledger", _ => create()),
        settings: new Dictionary<string, string?>
        {
            [$"Backup:Jobs:{Job}:Repository"] = "main",
            [$"Backup:Jobs:{Job}:Source"] = "ledger",
        });

    /// <summary>An application's own source with the lifecycle a database needs: prepare, read, facts, dispose.</summary>
    private sealed class LedgerSource : IBackupSource
    {
        public List<string> Calls { get; } = [];

        public bool FailPrepare { get; init; }

        public string Kind => "ledger";

        public IReadOnlyList<string> Paths => ["ledger://main"];

        public Task PrepareAsync(CancellationToken cancellationToken = default)
        {
            Calls.Add("prepare");
            return FailPrepare ? throw new InvalidOperationException("ledger unavailable") : Task.CompletedTask;
        }

        public async IAsyncEnumerable<SourceEntry> ReadEntriesAsync(SourceContext context, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            Calls.Add("read");
            await Task.Yield();
            var content = Encoding.UTF8.GetBytes("debit 10\ncredit 10\n");
            yield return new SourceEntry
            {
                Path = "ledger.txt",
                Metadata = new TreeNode { Name = "ledger.txt", Type = NodeType.File, Mode = 0b110_000_000 },
                OpenContentAsync = _ => ValueTask.FromResult(PipeReader.Create(new MemoryStream(content))),
            };
        }

        public Task<IReadOnlyDictionary<string, string>> GetSnapshotMetadataAsync(CancellationToken cancellationToken = default)
        {
            Calls.Add("metadata");
            return Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string> { ["ledger.entries"] = "2" });
        }

        public ValueTask DisposeAsync()
        {
            Calls.Add("dispose");
            return ValueTask.CompletedTask;
        }
    }
}
