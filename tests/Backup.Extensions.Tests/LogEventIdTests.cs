using System.Reflection;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Backup.Extensions.Tests;

/// <summary>
/// Operators filter and alert on a host's event IDs, and the docs name them ("event 88, Warning"): two messages under
/// one ID would make a rule for one fire on the other.
/// </summary>
public sealed class LogEventIdTests
{
    [Fact]
    public void Every_log_message_of_the_hosting_library_has_an_event_id_of_its_own()
    {
        var messages = typeof(BackupBuilder).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => (Method: $"{m.DeclaringType!.Name}.{m.Name}", Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(m => m.Attribute is not null)
            .ToList();

        messages.Should().NotBeEmpty();
        messages.GroupBy(m => m.Attribute!.EventId).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Method))}")
            .Should().BeEmpty();
    }
}
