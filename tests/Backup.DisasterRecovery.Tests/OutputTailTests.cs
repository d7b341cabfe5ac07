namespace Backup.DisasterRecovery.Tests;

public class OutputTailTests
{
    [Fact]
    public void A_long_output_keeps_only_its_end_and_says_the_beginning_was_dropped()
    {
        var tail = new OutputTail(capacity: 20);
        for (var i = 0; i < 100; i++)
        {
            tail.AppendLine($"line {i}");
        }

        var text = tail.ToString();

        text.Should().StartWith("…").And.EndWith("line 99");
        text!.Length.Should().BeLessThanOrEqualTo(21);
        new OutputTail().ToString().Should().BeNull();
        var shortTail = new OutputTail();
        shortTail.AppendLine("only line");
        shortTail.ToString().Should().Be("only line");
    }
}
