using Backup.Extensions.DependencyInjection;
using Backup.Providers.PostgreSql;
using Backup.Providers.Tests.Servers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Backup.DisasterRecovery.Tests;

/// <summary>
/// The issue's drill scenario against real servers: a shop system protected by a PostgreSQL database job and a files
/// job, with an HTTP failover step against a real local listener. A drill restores both into scratch targets, verifies
/// them, calls the endpoint, measures, cleans up and stores its result; a drill with a broken step reports it with its
/// output, does not run what follows, and cleans up.
/// </summary>
public sealed class RecoveryDrillRunnerTests(PostgresFixture fixture, ITestOutputHelper output) : IClassFixture<PostgresFixture>, IAsyncLifetime, IDisposable
{
    private const string RepositoryPassword = "dr-Repo-p4ss 77a1";
    private const string FailoverToken = "failover-Token-9f2e";

    // Unique per test instance: environment variables are process-wide and other classes run in parallel.
    private readonly string _repositoryPasswordVariable = $"BACKUP_TEST_DR_REPO_{Guid.NewGuid():N}";
    private readonly string _databasePasswordVariable = $"BACKUP_TEST_DR_PG_{Guid.NewGuid():N}";
    private readonly string _tokenVariable = $"BACKUP_TEST_DR_TOKEN_{Guid.NewGuid():N}";
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"dr-drill-{Guid.NewGuid():N}");
    private readonly EndpointRecorder _endpoint = new();

    private string Repository => Path.Combine(_root, "repo");

    private string Files => Path.Combine(_root, "uploads");

    private string Scratch => Path.Combine(_root, "scratch");

    [SkippableFact]
    public async Task A_drill_restores_the_database_and_the_files_into_scratch_targets_calls_the_endpoint_measures_cleans_up_and_stores_its_result()
    {
        var server = fixture.Require();
        var plan = await ShopPlanAsync(server);
        var system = plan.Systems["shop"];
        system.Steps.Add(new RecoveryStep { Name = "Restore the shop database", Restore = new RestoreStep { Job = "shop-db" } });
        system.Steps.Add(new RecoveryStep { Name = "Verify the shop database", Verify = new VerifyStep { Restore = "Restore the shop database" } });
        system.Steps.Add(new RecoveryStep { Name = "Restore the uploads", Restore = new RestoreStep { Job = "shop-files" } });
        system.Steps.Add(new RecoveryStep { Name = "Verify the uploads", Verify = new VerifyStep { Restore = "Restore the uploads" } });
        var smoke = new CommandStep();
        smoke.DrillRun.AddRange(["sh", "-c", "test -d \"$BACKUP_DR_SCRATCH\" && echo \"smoke test on $SHOP_ENV passed\""]);
        smoke.Environment["SHOP_ENV"] = "drill";
        system.Steps.Add(new RecoveryStep { Name = "Smoke test", Command = smoke });
        var failover = new HttpStep { Url = new Uri("https://dns.example.invalid/switch"), DrillUrl = _endpoint.Url("/failover"), Body = "{\"target\":\"standby\"}" };
        failover.Headers["X-Plan"] = "shop";
        failover.SecretHeaders["Authorization"] = $"env:{_tokenVariable}";
        system.Steps.Add(new RecoveryStep { Name = "Switch DNS to the standby", Http = failover });
        var production = new CommandStep();
        production.Run.AddRange(["false"]);
        system.Steps.Add(new RecoveryStep { Name = "Scale up production", Command = production });
        system.Steps.Add(new RecoveryStep { Name = "Wait for the shop", WaitFor = new WaitStep { Url = new Uri("https://shop.example.invalid/health"), DrillUrl = _endpoint.Url("/health"), Interval = TimeSpan.FromMilliseconds(50) } });

        await using var services = Services(plan);
        await BackUpAsync(services);

        var result = await services.GetRequiredService<IRecoveryDrillRunner>().RunAsync(plan, "shop");

        Print(result);
        result.Succeeded.Should().BeTrue();
        result.Steps.Select(s => s.Outcome).Should().Equal(
            RecoveryStepOutcome.Succeeded, RecoveryStepOutcome.Succeeded, RecoveryStepOutcome.Succeeded, RecoveryStepOutcome.Succeeded,
            RecoveryStepOutcome.Succeeded, RecoveryStepOutcome.Succeeded, RecoveryStepOutcome.Skipped, RecoveryStepOutcome.Succeeded);
        result.Steps[0].Job.Should().Be("shop-db");
        result.Steps[0].SnapshotId.Should().HaveLength(64);
        result.Steps[0].Output.Should().Contain("scratch database dr_");
        result.Steps[1].Output.Should().Contain("2 tables match the checksums recorded at backup time");
        result.Steps[2].Job.Should().Be("shop-files");
        result.Steps[3].Output.Should().Contain("compared 3 files");
        result.Steps[4].Output.Should().Be("smoke test on drill passed");
        result.Steps[5].Output.Should().Contain("-> 200");
        result.Steps[6].Error.Should().Contain("SafeInDrill");
        result.Steps[6].Duration.Should().Be(TimeSpan.Zero);

        // Measured: RTO is the steps' total, RPO is how old the oldest restored snapshot was when the drill started.
        result.AchievedRto.Should().Be(result.Steps.Aggregate(TimeSpan.Zero, (sum, s) => sum + s.Duration));
        var oldest = result.Steps.Where(s => s.SnapshotTime is not null).Min(s => s.SnapshotTime!.Value);
        result.AchievedRpo.Should().Be(result.StartedAt - oldest);
        result.AchievedRpo.Should().BePositive();
        result.TargetRto.Should().Be(system.Rto);
        result.MetRto.Should().BeTrue();
        result.MetRpo.Should().BeTrue();

        // The failover endpoint was called once, with the body, the plain header and the secret header from the environment.
        var call = _endpoint.Requests.Should().ContainSingle(r => r.Path == "/failover").Which;
        call.Method.Should().Be("POST");
        call.Body.Should().Be("{\"target\":\"standby\"}");
        call.Headers.Should().Contain("X-Plan", "shop").And.Contain("Authorization", FailoverToken);
        _endpoint.Requests.Should().Contain(r => r.Path == "/health");

        await ShouldBeCleanedUpAsync(server, result, expectedDatabases: 1);

        // Stored with the backups, and no secret in it.
        var repository = await services.GetRequiredService<IBackupRepositoryProvider>().GetAsync("main");
        var stored = await RecoveryDrillRecords.ListAsync(repository, "shop").ToListAsync();
        stored.Should().ContainSingle().Which.Should().BeEquivalentTo(result);
        var json = System.Text.Json.JsonSerializer.Serialize(result, DrillJson.Default.RecoveryDrillResult);
        json.Should().NotContain(FailoverToken).And.NotContain(PostgresServer.Password).And.NotContain(RepositoryPassword);
    }

    [SkippableFact]
    public async Task A_drill_with_a_broken_step_reports_it_with_its_output_does_not_run_later_steps_and_cleans_up()
    {
        var server = fixture.Require();
        var plan = await ShopPlanAsync(server);
        var system = plan.Systems["shop"];
        system.Steps.Add(new RecoveryStep { Name = "Restore the shop database", Restore = new RestoreStep { Job = "shop-db" } });
        system.Steps.Add(new RecoveryStep { Name = "Restore the uploads", Restore = new RestoreStep { Job = "shop-files" } });
        var migrate = new CommandStep();
        migrate.DrillRun.AddRange(["sh", "-c", "echo applying migration 42; echo 'ERROR: relation \"carts\" does not exist' >&2; exit 3"]);
        system.Steps.Add(new RecoveryStep { Name = "Migrate the schema", Command = migrate });
        system.Steps.Add(new RecoveryStep { Name = "Switch DNS to the standby", Http = new HttpStep { Url = new Uri("https://dns.example.invalid/switch"), DrillUrl = _endpoint.Url("/failover") } });
        system.Steps.Add(new RecoveryStep { Name = "Verify the shop database", Verify = new VerifyStep { Restore = "Restore the shop database" } });

        await using var services = Services(plan);
        await BackUpAsync(services);

        var result = await services.GetRequiredService<IRecoveryDrillRunner>().RunAsync(plan, "shop");

        Print(result);
        result.Succeeded.Should().BeFalse();
        result.Steps.Select(s => s.Outcome).Should().Equal(
            RecoveryStepOutcome.Succeeded, RecoveryStepOutcome.Succeeded, RecoveryStepOutcome.Failed, RecoveryStepOutcome.NotRun, RecoveryStepOutcome.NotRun);
        var broken = result.Steps[2];
        broken.Error.Should().Contain("exited with code 3");
        broken.Output.Should().Contain("applying migration 42").And.Contain("relation \"carts\" does not exist");
        result.Steps[3].Duration.Should().Be(TimeSpan.Zero);
        _endpoint.Requests.Should().BeEmpty("the failover step after the broken one is not run");

        await ShouldBeCleanedUpAsync(server, result, expectedDatabases: 1);
        var repository = await services.GetRequiredService<IBackupRepositoryProvider>().GetAsync("main");
        (await RecoveryDrillRecords.ListAsync(repository, "shop").ToListAsync()).Should().ContainSingle().Which.Succeeded.Should().BeFalse();
    }

    [SkippableFact]
    public async Task A_scratch_server_that_refuses_the_restore_is_named_with_where_its_password_comes_from()
    {
        var server = fixture.Require();
        var plan = await ShopPlanAsync(server);
        plan.Scratch.Databases["postgres"] = new ScratchDatabaseServer { ConnectionString = server.ConnectionString() + ";Username=nobody_here", PasswordEnvironmentVariable = _databasePasswordVariable };
        plan.Systems["shop"].Steps.Add(new RecoveryStep { Name = "Restore the shop database", Restore = new RestoreStep { Job = "shop-db" } });
        await using var services = Services(plan);
        await BackUpAsync(services);

        var result = await services.GetRequiredService<IRecoveryDrillRunner>().RunAsync(plan, "shop");

        result.Succeeded.Should().BeFalse();
        result.Steps[0].Error.Should().StartWith($"Restoring into the scratch PostgreSQL server (Scratch:Databases:postgres, password from the environment variable {_databasePasswordVariable}) failed: ")
            .And.NotContain(PostgresServer.Password);
    }

    [SkippableFact]
    public async Task Verifying_a_file_restore_that_was_altered_after_the_restore_fails_and_names_the_file()
    {
        var server = fixture.Require();
        var plan = await ShopPlanAsync(server);
        var system = plan.Systems["shop"];
        system.Steps.Add(new RecoveryStep { Name = "Restore the uploads", Restore = new RestoreStep { Job = "shop-files" } });
        var tamper = new CommandStep();
        tamper.DrillRun.AddRange(["sh", "-c", "find \"$BACKUP_DR_SCRATCH\" -name terms.txt -exec sh -c 'printf X | dd of=\"$1\" bs=1 seek=3 conv=notrunc 2>/dev/null' _ {} \\;"]);
        system.Steps.Add(new RecoveryStep { Name = "Corrupt a restored file", Command = tamper });
        system.Steps.Add(new RecoveryStep { Name = "Verify the uploads", Verify = new VerifyStep { Restore = "Restore the uploads" } });

        await using var services = Services(plan);
        await BackUpAsync(services);

        var result = await services.GetRequiredService<IRecoveryDrillRunner>().RunAsync(plan, "shop");

        Print(result);
        result.Succeeded.Should().BeFalse();
        result.Steps.Select(s => s.Outcome).Should().Equal(RecoveryStepOutcome.Succeeded, RecoveryStepOutcome.Succeeded, RecoveryStepOutcome.Failed);
        result.Steps[2].Error.Should().StartWith("1 file differs from the snapshot; compared ");
        result.Steps[2].Output.Should().Contain("terms.txt: content differs from the snapshot");
        await ShouldBeCleanedUpAsync(server, result, expectedDatabases: 0);
    }

    /// <summary>
    /// A drill creates no device nodes (it runs without root, into a scratch directory): a snapshot holding some (a
    /// /dev-like directory) is not a failed drill, though nothing is wrong with the backup. The skipped nodes are
    /// counted and named in the step's result, and the rest is restored and verified.
    /// </summary>
    [SkippableFact]
    public async Task A_file_drill_notes_the_device_nodes_it_skips_instead_of_failing()
    {
        var server = fixture.Require();
        var devices = Path.Combine(Files, "dev");
        Directory.CreateDirectory(devices);
        Skip.IfNot(await MknodAsync(Path.Combine(devices, "null"), 1, 3) && await MknodAsync(Path.Combine(devices, "zero"), 1, 5), "needs root for mknod");
        var plan = await ShopPlanAsync(server);
        var system = plan.Systems["shop"];
        system.Steps.Add(new RecoveryStep { Name = "Restore the uploads", Restore = new RestoreStep { Job = "shop-files" } });
        system.Steps.Add(new RecoveryStep { Name = "Verify the uploads", Verify = new VerifyStep { Restore = "Restore the uploads" } });
        await using var services = Services(plan);
        await BackUpAsync(services);

        var result = await services.GetRequiredService<IRecoveryDrillRunner>().RunAsync(plan, "shop");

        Print(result);
        result.Succeeded.Should().BeTrue("a device node a drill does not create is no fault of the backup");
        result.Steps.Select(s => s.Outcome).Should().Equal(RecoveryStepOutcome.Succeeded, RecoveryStepOutcome.Succeeded);
        result.Steps[0].Output.Should().Contain("restored 3 files").And.Contain("skipped 2 device nodes (a drill creates none): ")
            .And.Contain("uploads/dev/null").And.Contain("uploads/dev/zero");
        result.Steps[0].SkippedDeviceNodes.Should().Be(2);
        result.Steps[1].SkippedDeviceNodes.Should().Be(0);
        RecoveryDrillSummary.From(result).SkippedDeviceNodes.Should().Be(2, "the report counts them");
    }

    private static async Task<bool> MknodAsync(string path, int major, int minor)
    {
        using var mknod = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("mknod", [path, "c", major.ToString(System.Globalization.CultureInfo.InvariantCulture), minor.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { RedirectStandardError = true })!;
        await mknod.WaitForExitAsync();
        return mknod.ExitCode == 0;
    }

    [SkippableFact]
    public async Task A_step_past_its_timeout_times_out_with_what_it_saw_and_a_cancelled_drill_still_drops_its_scratch_database()
    {
        var server = fixture.Require();
        var plan = await ShopPlanAsync(server);
        var system = plan.Systems["shop"];
        system.Steps.Add(new RecoveryStep { Name = "Restore the shop database", Restore = new RestoreStep { Job = "shop-db" } });
        system.Steps.Add(new RecoveryStep { Name = "Wait for the shop", Timeout = TimeSpan.FromMilliseconds(400), WaitFor = new WaitStep { Url = new Uri("https://shop.example.invalid/health"), DrillUrl = _endpoint.Url("/down"), Interval = TimeSpan.FromMilliseconds(50) } });
        _endpoint.Statuses["/down"] = 503;

        await using var services = Services(plan);
        await BackUpAsync(services);
        var runner = services.GetRequiredService<IRecoveryDrillRunner>();

        var timedOut = await runner.RunAsync(plan, "shop");

        Print(timedOut);
        timedOut.Steps[1].Outcome.Should().Be(RecoveryStepOutcome.TimedOut);
        timedOut.Steps[1].Error.Should().Contain("timeout").And.Contain("503");
        await ShouldBeCleanedUpAsync(server, timedOut, expectedDatabases: 1, expectDirectory: false);

        // Cancelled while a command runs: the drill throws, and the scratch database restored before is dropped anyway.
        var sleep = new CommandStep();
        sleep.DrillRun.AddRange(["sleep", "60"]);
        system.Steps[1] = new RecoveryStep { Name = "Something slow", Command = sleep };
        using var cancel = new CancellationTokenSource();
        var drill = runner.RunAsync(plan, "shop", cancel.Token);
        await WaitUntilAsync(async () => Convert.ToInt64(await server.ScalarAsync("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'dr\\_%'"), System.Globalization.CultureInfo.InvariantCulture) > 0);
        await Task.Delay(500);
        await cancel.CancelAsync();

        await drill.Invoking(d => d).Should().ThrowAsync<OperationCanceledException>();
        (await server.ScalarAsync("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'dr\\_%'")).Should().Be(0L);
        Directory.EnumerateFileSystemEntries(Scratch).Should().BeEmpty();
    }

    [SkippableFact]
    public async Task A_job_snapshot_dated_ahead_is_not_the_one_a_drill_restores()
    {
        var server = fixture.Require();
        var plan = await ShopPlanAsync(server);
        plan.Systems["shop"].Steps.Add(new RecoveryStep { Name = "Restore the uploads", Restore = new RestoreStep { Job = "shop-files" } });
        await using var services = Services(plan);
        await BackUpAsync(services);
        var repository = await services.GetRequiredService<IBackupRepositoryProvider>().GetAsync("main");
        var real = await repository.Snapshots.ListAsync(null).LastAsync(s => s.Metadata.GetValueOrDefault("backup.job") == "shop-files");

        // Added by anyone who holds the password (a client that may only append), or by a host whose clock ran ahead: a
        // drill of it would prove a snapshot no restore of today's newest would use.
        await repository.Snapshots.SaveAsync(real with { Time = DateTimeOffset.UtcNow.AddYears(1) });
        var result = await services.GetRequiredService<IRecoveryDrillRunner>().RunAsync(plan, "shop");

        Print(result);
        result.Steps[0].Outcome.Should().Be(RecoveryStepOutcome.Succeeded);
        result.Steps[0].SnapshotTime.Should().Be(real.Time, "the newest snapshot dated up to now is the one drilled");
    }

    [SkippableFact]
    public async Task A_system_the_plan_does_not_have_is_an_argument_error()
    {
        var server = fixture.Require();
        var plan = await ShopPlanAsync(server);
        await using var services = Services(plan);

        var run = () => services.GetRequiredService<IRecoveryDrillRunner>().RunAsync(plan, "wiki");

        (await run.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("'wiki'").And.Contain("shop");
    }

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(Files);
        Directory.CreateDirectory(Path.Combine(Files, "products"));
        File.WriteAllText(Path.Combine(Files, "products", "chair.jpg"), new string('c', 70_000));
        File.WriteAllText(Path.Combine(Files, "products", "table.jpg"), "a table");
        File.WriteAllText(Path.Combine(Files, "terms.txt"), "terms of service");
        Directory.CreateDirectory(Scratch);
        Environment.SetEnvironmentVariable(_repositoryPasswordVariable, RepositoryPassword);
        Environment.SetEnvironmentVariable(_databasePasswordVariable, PostgresServer.Password);
        Environment.SetEnvironmentVariable(_tokenVariable, FailoverToken);
        return Task.CompletedTask;
    }

    public void Dispose() => _endpoint.Dispose();

    public Task DisposeAsync()
    {
        Environment.SetEnvironmentVariable(_repositoryPasswordVariable, null);
        Environment.SetEnvironmentVariable(_databasePasswordVariable, null);
        Environment.SetEnvironmentVariable(_tokenVariable, null);
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }

        return Task.CompletedTask;
    }

    /// <summary>The plan: a repository, the shop's database source and two jobs, a scratch directory and a scratch server; the steps are the test's.</summary>
    private async Task<RecoveryPlan> ShopPlanAsync(PostgresServer server)
    {
        var database = fixture.NewDatabaseName("shop");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, """
            CREATE TABLE orders (id int PRIMARY KEY, customer text NOT NULL, total numeric(12, 2));
            INSERT INTO orders SELECT g, 'customer ' || (g % 17), g * 2.5 FROM generate_series(1, 400) g;
            CREATE TABLE customers (id int PRIMARY KEY, name text);
            INSERT INTO customers SELECT g, 'name ' || g FROM generate_series(1, 17) g;
            """);
        var plan = new RecoveryPlan { Name = "drill-test" };
        plan.Backup.Repositories["main"] = new BackupRepositoryOptions { Path = Repository, CreateIfMissing = true, PasswordEnvironmentVariable = _repositoryPasswordVariable };
        plan.Backup.Sources["shop-pg"] = new BackupDatabaseSourceOptions { Engine = "postgres", ConnectionString = server.ConnectionString(database), PasswordEnvironmentVariable = _databasePasswordVariable };
        plan.Backup.Jobs["shop-db"] = new BackupJobOptions { Repository = "main", Source = "shop-pg" };
        var files = new BackupJobOptions { Repository = "main" };
        files.Paths.Add(Files);
        plan.Backup.Jobs["shop-files"] = files;
        plan.Scratch.Directory = Scratch;
        plan.Scratch.Databases["postgres"] = new ScratchDatabaseServer { ConnectionString = server.ConnectionString(), PasswordEnvironmentVariable = _databasePasswordVariable };
        var shop = new RecoverySystem { Description = "The web shop", Rpo = TimeSpan.FromDays(1), Rto = TimeSpan.FromMinutes(30) };
        shop.Jobs.AddRange(["shop-db", "shop-files"]);
        plan.Systems["shop"] = shop;
        return plan;
    }

    private static ServiceProvider Services(RecoveryPlan plan) => RecoveryPlanServices.Create(plan, backup =>
    {
        backup.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Debug));
        backup.AddDatabaseEngine(new PostgreSqlEngine());
    });

    private static async Task BackUpAsync(IServiceProvider services)
    {
        var jobs = services.GetRequiredService<IBackupJobRunner>();
        foreach (var job in new[] { "shop-db", "shop-files" })
        {
            var run = await jobs.RunAsync(job);
            run.Error.Should().BeNull();
            run.Outcome.Should().Be(BackupJobOutcome.Succeeded);
        }
    }

    private async Task ShouldBeCleanedUpAsync(PostgresServer server, RecoveryDrillResult result, int expectedDatabases, bool expectDirectory = true)
    {
        result.CleanupProblems.Should().BeEmpty();
        result.CleanedUp.Where(c => c.StartsWith("postgres database dr_", StringComparison.Ordinal)).Should().HaveCount(expectedDatabases);
        result.CleanedUp.Count(c => c.StartsWith("directory " + Scratch, StringComparison.Ordinal)).Should().Be(expectDirectory ? 1 : 0);
        (await server.ScalarAsync("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'dr\\_%'")).Should().Be(0L, "every scratch database is dropped");
        Directory.EnumerateFileSystemEntries(Scratch).Should().BeEmpty("the drill's scratch directory is removed");
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 600 && !await condition(); i++)
        {
            await Task.Delay(100);
        }
    }

    private void Print(RecoveryDrillResult result)
    {
        output.WriteLine($"{(result.Succeeded ? "succeeded" : "failed")}: RTO {result.AchievedRto}, RPO {result.AchievedRpo}");
        foreach (var step in result.Steps)
        {
            output.WriteLine($"  {step.Name}: {step.Outcome} in {step.Duration}: {step.Error}\n    {step.Output?.Replace("\n", "\n    ", StringComparison.Ordinal)}");
        }

        output.WriteLine($"  cleaned up: {string.Join("; ", result.CleanedUp)}");
    }
}
