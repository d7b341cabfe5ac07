// QuickStart: back up a folder into a local, encrypted repository, list the snapshots, restore the latest
// one and check that every byte came back. Runs with no server: `dotnet run --project samples/QuickStart`.
// Optional arguments: the folder to back up (default: a small generated sample) and the work directory (default:
// backup-quickstart in the temp directory, kept between runs, so a second run opens the repository and stores little).
// It shows how to handle the library's typed exceptions: a repository created with another password is a
// WrongPasswordException, answered with a message that says what to do instead of a stack trace.
using System.Security.Cryptography;
using Backup.Core.Crypto;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Restore;
using Backup.Core.Sources.FileSystem;
using Backup.Core.Storage;
using Backup.Core;

var work = args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), "backup-quickstart");
var source = args.Length > 0 ? Path.GetFullPath(args[0]) : CreateSampleFolder(Path.Combine(work, "sample"));
var repositoryPath = Path.Combine(work, "repository");
var restorePath = Path.Combine(work, "restored");
if (Directory.Exists(restorePath))
{
    Directory.Delete(restorePath, recursive: true);
}

// A real deployment reads the password from a secret store or BACKUP_PASSWORD; never hard-code one.
var passwordFromEnvironment = Environment.GetEnvironmentVariable("BACKUP_PASSWORD");
using var credentials = RepositoryCredentials.FromPassword(string.IsNullOrEmpty(passwordFromEnvironment) ? "quickstart-demo-password" : passwordFromEnvironment);
var target = new LocalDirectoryTarget(repositoryPath);
BackupRepository repository;
var exists = true;
try
{
    repository = await BackupRepository.OpenAsync(target, credentials);
}
catch (RepositoryNotFoundException)
{
    // The first run: no repository there yet.
    repository = await BackupRepository.InitAsync(target, credentials);
    exists = false;
}
catch (WrongPasswordException)
{
    // The repository exists, but an earlier run created it with another password. The library's message names the
    // repository; what to do about it is the application's to say.
    var used = string.IsNullOrEmpty(passwordFromEnvironment) ? "BACKUP_PASSWORD is not set, so this run used the sample's demo password" : "this run used the password in BACKUP_PASSWORD";
    Console.Error.WriteLine($"The sample repository in {repositoryPath} was created with another password ({used}).");
    Console.Error.WriteLine("Run again with the BACKUP_PASSWORD it was created with, give the sample another work directory");
    Console.Error.WriteLine($"(dotnet run --project samples/QuickStart -- <folder to back up> <work directory>), or delete {work} to start over.");
    return 11;
}
catch (RepositoryException e)
{
    // Any other library error (damaged, locked, newer format) carries a message that says what is wrong: show it, not a stack trace.
    Console.Error.WriteLine($"Cannot open the sample repository in {repositoryPath}: {e.Message}");
    return 1;
}

await using var opened = repository;
Console.WriteLine($"{(exists ? "Opened" : "Created")} repository {repositoryPath}");

BackupResult backup;
try
{
    backup = await new BackupService(repository).BackupAsync(new FileSystemSource([source]), new BackupOptions { Tags = ["quickstart"] });
}
catch (BackupSourceException e)
{
    // The source cannot be read at all (a folder that does not exist, no permission): nothing was stored.
    Console.Error.WriteLine($"Cannot back up {source}: {e.Message}");
    return 1;
}

var stats = backup.Snapshot.Statistics;
Console.WriteLine($"Backed up {source}: snapshot {backup.Snapshot.Id.ToShortString()}, {Count(stats.Files, "file", "files")}, {stats.TotalBytes:N0} bytes, {stats.BytesStored:N0} bytes stored, in {stats.Duration.TotalSeconds:F2} s");
foreach (var problem in backup.Problems)
{
    Console.WriteLine($"  could not read {problem}");
}

Console.WriteLine("Snapshots:");
await foreach (var snapshot in repository.Snapshots.ListAsync())
{
    Console.WriteLine($"  {snapshot.Id.ToShortString()}  {snapshot.Time:yyyy-MM-dd HH:mm:ss zzz}  {snapshot.Level,-12} {string.Join(", ", snapshot.Paths)}");
}

var restore = await new RestoreService(repository).RestoreAsync(backup.Snapshot, restorePath);
Console.WriteLine($"Restored {Count(restore.Files, "file", "files")} ({restore.Bytes:N0} bytes) into {restorePath} in {restore.Duration.TotalSeconds:F2} s");

var restoredRoot = Path.Combine(restorePath, source.TrimStart('/'));
var differences = Compare(source, restoredRoot);
Console.WriteLine(differences == 0 ? "Verified: the restored files are identical to the originals." : $"VERIFICATION FAILED: {Count(differences, "file differs", "files differ")}.");
return differences == 0 && backup.IsComplete ? 0 : 1;

static string Count(long count, string singular, string plural) => $"{count} {(count == 1 ? singular : plural)}";

static int Compare(string original, string restored)
{
    var differences = 0;
    foreach (var file in Directory.EnumerateFiles(original, "*", SearchOption.AllDirectories))
    {
        var copy = Path.Combine(restored, Path.GetRelativePath(original, file));
        if (!File.Exists(copy) || !SHA256.HashData(File.ReadAllBytes(file)).AsSpan().SequenceEqual(SHA256.HashData(File.ReadAllBytes(copy))))
        {
            Console.WriteLine($"  differs: {file}");
            differences++;
        }
    }

    return differences;
}

static string CreateSampleFolder(string path)
{
    Directory.CreateDirectory(Path.Combine(path, "docs"));
    Directory.CreateDirectory(Path.Combine(path, "data", "empty"));
    File.WriteAllText(Path.Combine(path, "docs", "readme.txt"), string.Concat(Enumerable.Repeat("Backups you have not restored are only hopes.\n", 2000)));
    var random = new Random(42);
    var bytes = new byte[3 * 1024 * 1024];
    random.NextBytes(bytes);
    File.WriteAllBytes(Path.Combine(path, "data", "random.bin"), bytes);
    File.WriteAllBytes(Path.Combine(path, "data", "copy-of-random.bin"), bytes); // stored once: deduplicated
    return path;
}
