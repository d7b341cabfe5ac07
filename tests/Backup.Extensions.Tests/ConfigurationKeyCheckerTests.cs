using Backup.Extensions.DependencyInjection;

namespace Backup.Extensions.Tests;

/// <summary>The checker is generic: any options type's dictionaries and lists of option objects are walked by reflection.</summary>
public sealed class ConfigurationKeyCheckerTests
{
    public sealed class EngineOptions
    {
        public string? Engine { get; set; }

        public bool DriverOnly { get; set; }

        public Dictionary<string, string> Settings { get; } = [];
    }

    public sealed class RootOptions
    {
        public Dictionary<string, EngineOptions> Sources { get; } = new(StringComparer.OrdinalIgnoreCase);

        public List<EngineOptions> Extra { get; } = [];

        public TimeSpan? Interval { get; set; }
    }

    [Fact]
    public void Dictionaries_and_lists_of_option_objects_added_later_are_checked_without_changes()
    {
        var configuration = TestSupport.Configuration(new Dictionary<string, string?>
        {
            ["Root:Sources:shop-db:Engine"] = "mysql",
            ["Root:Sources:shop-db:DriverOnly"] = "maybe",
            ["Root:Sources:shop-db:Settings:AnyName"] = "free-form",
            ["Root:Sources:shop-db:Engnie"] = "mysql",
            ["Root:Extra:0:Engine"] = "sqlite",
            ["Root:Extra:0:DriverOnyl"] = "true",
            ["Root:Interval"] = "6h",
        });

        var findings = ConfigurationKeyChecker.Check(configuration.GetSection("Root"), typeof(RootOptions));

        findings.Errors.Should().BeEquivalentTo(
            "Root:Sources:shop-db:DriverOnly: 'maybe' is not valid; expected true or false.",
            "Root:Sources:shop-db:Engnie: 'Engnie' is not a known setting; did you mean 'Engine'?",
            "Root:Extra:0:DriverOnyl: 'DriverOnyl' is not a known setting; did you mean 'DriverOnly'?",
            "Root:Interval: '6h' is not valid; expected a duration written d.hh:mm:ss, such as 1.00:00:00 for a day, 06:00:00 for six hours or 00:30:00 for thirty minutes.");
        findings.BadValuePaths.Should().BeEquivalentTo("Root:Sources:shop-db:DriverOnly", "Root:Interval");
    }

    [Theory]
    [InlineData("Shedule", "Schedule")]
    [InlineData("schedule", "Schedule")]
    [InlineData("Shcedule", "Schedule")]
    [InlineData("Rpo0", "Rpo")]
    [InlineData("Nonsense", null)]
    public void The_closest_known_name_is_suggested_only_when_it_is_close(string key, string? expected) =>
        ConfigurationKeyChecker.Closest(key, ["Schedule", "Rpo", "Rto", "Repository", "Paths"]).Should().Be(expected);
}
