namespace Backup.Core.Tests.Support;

/// <summary>Tests that measure process-wide memory run in this collection, alone, after the parallel tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialTests
{
    public const string Name = "Serial";
}
