// EnvelopeEncryption: a repository whose objects are also encrypted under a per-repository data key that a KMS wraps,
// so reading it needs the repository password AND the KMS. No cloud KMS is reachable here, so the sample uses
// LocalFileKms, a FAKE KMS whose key-encryption key sits in a local file (see LocalFileKms.cs).
// Runs with no server: `dotnet run --project samples/EnvelopeEncryption [work directory]`.
using Backup.Core;
using System.Security.Cryptography;
using Backup.Core.Crypto;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Restore;
using Backup.Core.Sources.FileSystem;
using Backup.Core.Storage;
using EnvelopeEncryption;

var work = args.Length > 0 ? Path.GetFullPath(args[0]) : Path.Combine(Path.GetTempPath(), "backup-envelope-sample");
if (args.Length == 0 && Directory.Exists(work))
{
    Directory.Delete(work, recursive: true); // the sample's own scratch directory, from an earlier run
}
else if (Directory.Exists(work) && Directory.EnumerateFileSystemEntries(work).Any())
{
    Console.WriteLine($"{work} is not empty; give the sample a new or empty directory.");
    return 2;
}

var source = Path.Combine(work, "sample");
Directory.CreateDirectory(source);
for (var i = 0; i < 4; i++)
{
    File.WriteAllBytes(Path.Combine(source, $"file{i}.bin"), RandomNumberGenerator.GetBytes(256 * 1024));
}

// A real deployment reads the password from a secret store; never hard-code one.
using var credentials = RepositoryCredentials.FromPassword(Environment.GetEnvironmentVariable("BACKUP_PASSWORD") ?? "envelope-demo-password");
var envelope = new KmsEnvelopeTransformProvider(new LocalFileKms(Path.Combine(work, "fake-kms-key-encryption-key")));
var target = new LocalDirectoryTarget(Path.Combine(work, "repository"));

// Created with the transform: the config records "kms-envelope-v1" and the wrapped data key.
await using (var created = await BackupRepository.InitAsync(target, credentials, new RepositoryInitOptions { Transforms = [envelope] }))
{
    var first = await new BackupService(created).BackupAsync(new FileSystemSource([source]));
    Console.WriteLine($"Backed up {first.Snapshot.Statistics.Files} files, {first.Snapshot.Statistics.BytesStored:N0} bytes stored, through the transforms {created.Config.Compression}, {string.Join(", ", (created.Config.Transforms ?? []).Select(t => t.Name))} and AES-256-GCM");
}

// Without the transform registered the repository refuses to open, and says which transform it needs.
try
{
    await using var _ = await BackupRepository.OpenAsync(target, credentials);
    Console.WriteLine("UNEXPECTED: the repository opened without its transform.");
    return 1;
}
catch (TransformNotRegisteredException e)
{
    Console.WriteLine($"Opening without it fails: {e.Message}");
}

await using var repository = await BackupRepository.OpenAsync(target, credentials, new RepositoryOpenOptions { Transforms = [envelope] });

// Blob IDs are keyed hashes of the plaintext, so deduplication works as without the transform.
var second = await new BackupService(repository).BackupAsync(new FileSystemSource([source]));
Console.WriteLine($"Second backup of the same files: {second.Snapshot.Statistics.BlobsAdded} new blobs (the tree only), {second.Snapshot.Statistics.BytesStored:N0} bytes stored");

var restorePath = Path.Combine(work, "restored");
await new RestoreService(repository).RestoreAsync(second.Snapshot, restorePath);
var restoredRoot = Path.Combine(restorePath, source.TrimStart('/'));
var differences = Directory.EnumerateFiles(source).Count(file =>
    !File.ReadAllBytes(file).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(restoredRoot, Path.GetFileName(file)))));
Console.WriteLine(differences == 0 ? "Verified: the restored files are identical to the originals." : $"VERIFICATION FAILED: {differences} files differ.");
return differences == 0 && second.IsComplete ? 0 : 1;
