using Backup.Providers.PostgreSql;

namespace Backup.Providers.Tests;

/// <summary>maintenance_work_mem for a restore's index and key builds: raised through PGOPTIONS, never lowered, validated.</summary>
public sealed class PostgreSqlRestoreSessionSettingsTests
{
    [Fact]
    public void The_setting_is_raised_only_above_the_servers_and_keeps_inherited_options()
    {
        // The server's default, 64 MB, is 65536 kB.
        RestoreSessionSettings.PgOptions(256, 65536, null).Should().Be("-c maintenance_work_mem=256MB");
        RestoreSessionSettings.PgOptions(256, 65536, "-c search_path=x").Should().Be("-c search_path=x -c maintenance_work_mem=256MB");
        RestoreSessionSettings.PgOptions(256, 1024 * 1024, null).Should().BeNull("a server tuned higher keeps its setting");
        RestoreSessionSettings.PgOptions(256, 256 * 1024, null).Should().BeNull();
        RestoreSessionSettings.PgOptions(null, 65536, "-c search_path=x").Should().BeNull("null keeps the server's setting");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(2_097_152)]
    public void An_out_of_range_maintenance_work_mem_is_refused(int megabytes)
    {
        var options = new PostgreSqlRestoreOptions { ConnectionString = "Host=localhost;Database=x", MaintenanceWorkMemMegabytes = megabytes };

        options.Invoking(o => o.Validate()).Should().Throw<ArgumentException>().WithMessage("*MaintenanceWorkMemMegabytes must be 1-2097151*");
    }

    [Fact]
    public void The_default_is_256_MB_and_null_is_allowed()
    {
        var options = new PostgreSqlRestoreOptions { ConnectionString = "Host=localhost;Database=x" };

        options.MaintenanceWorkMemMegabytes.Should().Be(256);
        options.Invoking(o => o.Validate()).Should().NotThrow();
        (options with { MaintenanceWorkMemMegabytes = null }).Invoking(o => o.Validate()).Should().NotThrow();
    }
}
