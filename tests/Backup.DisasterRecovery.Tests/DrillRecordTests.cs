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
