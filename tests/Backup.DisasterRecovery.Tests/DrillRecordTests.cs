using Backup.Core;
using Backup.Core.Crypto;
using Backup.Core.Repository;

namespace Backup.DisasterRecovery.Tests;

public class DrillRecordTests
{
    [Fact]
    public async Task Drill_results_round_trip_through_the_repository_oldest_first_and_by_system()
    {
        await using var repository = await BackupRepository.InitAsync(new InMemoryTarget(), RepositoryCredentials.FromKeyFile(RepositoryCredentials.GenerateKeyFile()));
        var start = new DateTimeOffset(2026, 12, 1, 3, 0, 0, TimeSpan.Zero);
        var later = Result("shop", start.AddDays(1), succeeded: false);
        var earlier = Result("shop", start, succeeded: true);
        await RecoveryDrillRecords.SaveAsync(repository, later);
        await RecoveryDrillRecords.SaveAsync(repository, earlier);
        await RecoveryDrillRecords.SaveAsync(repository, Result("wiki", start, succeeded: true));

        var shop = await RecoveryDrillRecords.ListAsync(repository, "SHOP").ToListAsync();

        shop.Should().HaveCount(2);
        shop[0].Should().BeEquivalentTo(earlier);
        shop[1].Should().BeEquivalentTo(later);
        shop[1].Steps[0].Outcome.Should().Be(RecoveryStepOutcome.Failed);
        (await RecoveryDrillRecords.ListAsync(repository).ToListAsync()).Should().HaveCount(3);
    }

    [Fact]
    public async Task A_steps_warnings_are_stored_with_the_drill_and_a_record_from_before_warnings_reads_with_none()
    {
        await using var repository = await BackupRepository.InitAsync(new InMemoryTarget(), RepositoryCredentials.FromKeyFile(RepositoryCredentials.GenerateKeyFile()));
        var start = new DateTimeOffset(2026, 12, 1, 3, 0, 0, TimeSpan.Zero);
        var warned = Result("shop", start, succeeded: true);
        warned = warned with { Steps = [warned.Steps[0] with { Warnings = ["The server lacks role 'shop_reader'.", "The server lacks role 'shop_writer'."] }] };
        await RecoveryDrillRecords.SaveAsync(repository, warned);

        // Written before steps had warnings: no such member at all.
        var older = System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(Result("shop", start.AddDays(-1), succeeded: true), DrillJson.Default.RecoveryDrillResult))!.AsObject();
        older["steps"]![0]!.AsObject().Remove("warnings").Should().BeTrue("the writer stores an empty list");
        await repository.Records.SaveAsync(RecoveryDrillRecords.Kind, System.Text.Encoding.UTF8.GetBytes(older.ToJsonString()));

        var results = await RecoveryDrillRecords.ListAsync(repository, "shop").ToListAsync();

        results.Should().HaveCount(2);
        results[0].Steps[0].Warnings.Should().BeEmpty();
        results[1].Steps[0].Warnings.Should().Equal("The server lacks role 'shop_reader'.", "The server lacks role 'shop_writer'.");
    }

    [Theory]
    [InlineData("steps", "[{\"name\":\"Restore\",\"kind\":\"Restore\",\"outcome\":\"Succeeded\",\"warnings\":null}]")]
    [InlineData("steps", "[{\"name\":\"Restore\",\"kind\":\"Restore\",\"outcome\":\"Succeeded\",\"warnings\":[\"lacks a role\",null]}]")]
    [InlineData("steps", "null")]
    [InlineData("steps", "[null]")]
    [InlineData("cleanedUp", "null")]
    [InlineData("cleanupProblems", "[null]")]
    [InlineData("host", "null")]
    [InlineData("system", "null")]
    [InlineData("steps", "[{\"kind\":\"Restore\",\"outcome\":\"Failed\",\"name\":null}]")]
    public async Task A_stored_drill_result_with_null_where_the_writer_puts_a_value_is_reported_as_unreadable_not_returned(string member, string value)
    {
        // Records are authenticated, but anyone who holds the password writes them: a null where a list or a name
        // belongs decoded, and the report or the health check then failed with NullReferenceException.
        await using var repository = await BackupRepository.InitAsync(new InMemoryTarget(), RepositoryCredentials.FromKeyFile(RepositoryCredentials.GenerateKeyFile()));
        var start = new DateTimeOffset(2026, 12, 1, 3, 0, 0, TimeSpan.Zero);
        var json = System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(Result("shop", start, succeeded: false), DrillJson.Default.RecoveryDrillResult))!.AsObject();
        json[member] = System.Text.Json.Nodes.JsonNode.Parse(value);
        await repository.Records.SaveAsync(RecoveryDrillRecords.Kind, System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()));
        var problems = new List<Exception>();

        var results = await RecoveryDrillRecords.ListAsync(repository, null, (_, e) => problems.Add(e)).ToListAsync();

        results.Should().BeEmpty();
        problems.Should().ContainSingle().Which.Should().BeOfType<RepositoryCorruptException>().Which.Message.Should().Contain("cannot be read");
        await FluentActions.Awaiting(async () => await RecoveryDrillRecords.ListAsync(repository, "shop").ToListAsync()).Should().ThrowAsync<RepositoryCorruptException>();
    }

    private static RecoveryDrillResult Result(string system, DateTimeOffset start, bool succeeded) => new()
    {
        System = system,
        Plan = "plan",
        Host = "drill-host",
        StartedAt = start,
        FinishedAt = start.AddMinutes(3),
        Succeeded = succeeded,
        TargetRpo = TimeSpan.FromHours(6),
        TargetRto = TimeSpan.FromMinutes(30),
        AchievedRto = TimeSpan.FromMinutes(2.5),
        AchievedRpo = TimeSpan.FromHours(1),
        Steps =
        [
            new RecoveryStepResult
            {
                Name = "Restore the database",
                Kind = RecoveryStepKind.Restore,
                Outcome = succeeded ? RecoveryStepOutcome.Succeeded : RecoveryStepOutcome.Failed,
                Duration = TimeSpan.FromMinutes(2),
                Job = "shop-db",
                SnapshotId = new string('a', 64),
                SnapshotTime = start.AddHours(-1),
                Error = succeeded ? null : "pg_restore exited with 1",
            },
        ],
        CleanedUp = ["postgres database dr_shop_1"],
    };
}
