using Backup.Core.Sources;

namespace Backup.Extensions.DependencyInjection;

/// <summary>A source jobs name with <see cref="BackupJobOptions.Source"/>: <paramref name="Create"/> builds a fresh one for each run.</summary>
/// <param name="Name">The name jobs use (case-insensitive).</param>
/// <param name="Create">Builds the source of one run; the backup service prepares, reads and disposes of it.</param>
internal sealed record NamedBackupSource(string Name, Func<IServiceProvider, IBackupSource> Create);
