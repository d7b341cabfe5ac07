using Backup.Core.Storage;
using Backup.Core.Storage.Locations;
using Backup.Extensions.DependencyInjection;

namespace Backup.DisasterRecovery;

/// <summary>
/// A system's copies against 3-2-1-1-0. The data the system runs on is the first of the three copies, so two
/// repositories make three; the two kinds of storage, the off-site and the immutable copy are counted among the
/// repositories (the production storage is not described in a plan). A copy is each repository of the system's jobs,
/// those they copy to, and those listed under Copies (whose description wins).
/// </summary>
internal static class CopyRules
{
    public const string Disk = "disk";
    public const string ObjectStorage = "object-storage";

    public static CopyCompliance Assess(string systemName, RecoverySystem system, BackupHostingOptions backup, IReadOnlyDictionary<string, RepositoryState> states, bool checkedRepositories, List<PlanFinding> findings)
    {
        var copies = new Dictionary<string, (bool OffSite, bool Immutable, string Media)>(StringComparer.OrdinalIgnoreCase);
        foreach (var jobName in system.Jobs)
        {
            if (backup.Jobs.TryGetValue(jobName, out var job))
            {
                foreach (var name in (job.Repository is null ? [] : new[] { job.Repository }).Concat(job.CopyTo))
                {
                    if (backup.Repositories.TryGetValue(name, out var repository))
                    {
                        copies.TryAdd(name, (false, ImmutableBySettings(repository), MediaOf(repository)));
                    }
                }
            }
        }

        foreach (var copy in system.Copies)
        {
            if (copy.Repository is { } name && backup.Repositories.TryGetValue(name, out var repository))
            {
                copies[name] = (copy.OffSite, copy.Immutable ?? ImmutableBySettings(repository), string.IsNullOrWhiteSpace(copy.Media) ? MediaOf(repository) : copy.Media.Trim().ToLowerInvariant());
            }
        }

        var notChecked = checkedRepositories ? copies.Keys.Where(name => !states.TryGetValue(name, out var state) || state.CheckErrors is null).Order(StringComparer.Ordinal).ToList() : [];

        // A sum over no checked copy would read as "0 errors" for copies that could not even be opened.
        int? errors = checkedRepositories && notChecked.Count < copies.Count
            ? copies.Keys.Sum(name => states.TryGetValue(name, out var state) && state.CheckErrors is { } count ? count : 0)
            : null;

        var media = copies.Values.Select(c => c.Media).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();
        var offSite = copies.Values.Count(c => c.OffSite);
        var immutable = copies.Values.Count(c => c.Immutable);
        var gaps = new List<string>();
        if (copies.Count < 2)
        {
            gaps.Add(copies.Count == 0
                ? "1 copy of the data (the data itself, no backup repository), 3 needed: back it up to a repository and copy that to another (a job's CopyTo)"
                : "2 copies of the data (the data itself and 1 backup repository), 3 needed: copy the backups to another repository (a job's CopyTo, described under Copies)");
        }

        if (media.Count < 2)
        {
            gaps.Add(media.Count == 0
                ? "no kind of storage (no backup repository), 2 needed: back it up to a repository and copy that to one on another kind of storage (disk and object storage, tape; say which with Media)"
                : $"1 kind of storage ({media[0]}), 2 needed: keep a copy on another kind (object storage, tape, another disk system; say which with Media)");
        }

        if (offSite == 0)
        {
            gaps.Add("no copy off site, 1 needed: copy to another site, region or provider and mark it OffSite");
        }

        if (immutable == 0)
        {
            gaps.Add("no immutable copy, 1 needed: a repository with a RetentionLock setting (S3 Object Lock, Azure immutability), AppendOnly, or storage that refuses deletes marked Immutable");
        }

        if (errors > 0)
        {
            gaps.Add($"{errors} verification error(s) in the last check, 0 allowed: repair the repositories the check named");
        }

        if (notChecked.Count > 0)
        {
            gaps.Add($"not verified: {string.Join(", ", notChecked.Select(n => $"'{n}'"))} could not be checked, so zero errors is not shown");
        }

        foreach (var gap in gaps)
        {
            findings.Add(PlanRules.Error(PlanRules.CopyRule, systemName, $"Systems:{systemName}:Copies: {gap}."));
        }

        return new CopyCompliance
        {
            Copies = copies.Count,
            Media = media,
            OffSite = offSite,
            Immutable = immutable,
            VerificationErrors = errors,
            Unverified = notChecked,
            Gaps = gaps,
        };
    }

    /// <summary>Whether the repository's own settings make it immutable: a retention lock on the storage, or append-only mode.</summary>
    internal static bool ImmutableBySettings(BackupRepositoryOptions repository) =>
        repository.AppendOnly
        || (repository.Settings.TryGetValue("RetentionLock", out var retentionLock) && !string.IsNullOrWhiteSpace(retentionLock));

    /// <summary>The kind of storage of a repository, from its location's scheme: a directory or sftp is disk, s3 and azure object storage.</summary>
    internal static string MediaOf(BackupRepositoryOptions repository)
    {
        if (repository.EffectiveLocation is not { } location || string.IsNullOrWhiteSpace(location))
        {
            return "custom";
        }

        try
        {
            return RepositoryLocation.Parse(location).Scheme switch
            {
                RepositoryLocation.FileScheme or "sftp" => Disk,
                "s3" or "azure" or "gs" => ObjectStorage,
                var scheme => scheme,
            };
        }
        catch (TargetConfigurationException)
        {
            return "custom";
        }
    }
}
