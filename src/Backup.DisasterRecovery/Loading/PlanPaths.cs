using Backup.Extensions.DependencyInjection;

namespace Backup.DisasterRecovery;

/// <summary>
/// Makes a plan's relative paths absolute against the directory of the plan file, so a plan means the same wherever
/// the tool is started: repository directories, password and key files (a provider's too, such as an SFTP repository's
/// <c>Settings:KeyFile</c>), restore directories, scratch directories,
/// working directories, "file:" secret headers and a command's program when it is given with a directory
/// ("scripts/failover.sh"; a bare name is looked up on PATH).
/// </summary>
internal static class PlanPaths
{
    public static void Resolve(RecoveryPlan plan, string baseDirectory)
    {
        foreach (var repository in plan.Backup.Repositories.Values)
        {
            repository.Location = Location(repository.Location, baseDirectory);
            repository.Path = Location(repository.Path, baseDirectory);
            repository.PasswordFile = File(repository.PasswordFile, baseDirectory);
            repository.KeyFile = File(repository.KeyFile, baseDirectory);

            // A provider's file settings (an SFTP repository's KeyFile) are paths like the others; left relative, the
            // provider would read them against wherever the tool was started.
            foreach (var (name, value) in repository.Settings.ToList())
            {
                if (name.EndsWith("File", StringComparison.OrdinalIgnoreCase))
                {
                    repository.Settings[name] = File(value, baseDirectory)!;
                }
            }
        }

        foreach (var source in plan.Backup.Sources.Values)
        {
            source.File = File(source.File, baseDirectory);
            source.PasswordFile = File(source.PasswordFile, baseDirectory);
            source.ClientToolsDirectory = File(source.ClientToolsDirectory, baseDirectory);
        }

        foreach (var job in plan.Backup.Jobs.Values)
        {
            ResolveAll(job.Paths, baseDirectory);
        }

        plan.Scratch.Directory = File(plan.Scratch.Directory, baseDirectory);
        foreach (var server in plan.Scratch.Databases.Values)
        {
            server.PasswordFile = File(server.PasswordFile, baseDirectory);
        }

        foreach (var step in plan.Systems.Values.SelectMany(s => s.Steps))
        {
            if (step.Restore is { } restore)
            {
                restore.Directory = File(restore.Directory, baseDirectory);
                restore.PasswordFile = File(restore.PasswordFile, baseDirectory);
            }

            if (step.Command is { } command)
            {
                command.WorkingDirectory = File(command.WorkingDirectory, baseDirectory);
                Program(command.Run, baseDirectory);
                Program(command.DrillRun, baseDirectory);
            }

            if (step.Http is { } http)
            {
                foreach (var (name, source) in http.SecretHeaders.ToList())
                {
                    if (source.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
                    {
                        http.SecretHeaders[name] = "file:" + File(source["file:".Length..], baseDirectory);
                    }
                }
            }
        }
    }

    private static void ResolveAll(List<string> paths, string baseDirectory)
    {
        for (var i = 0; i < paths.Count; i++)
        {
            paths[i] = File(paths[i], baseDirectory)!;
        }
    }

    private static void Program(List<string> run, string baseDirectory)
    {
        if (run.Count > 0 && !string.IsNullOrWhiteSpace(run[0]) && (run[0].Contains('/', StringComparison.Ordinal) || run[0].Contains('\\', StringComparison.Ordinal)))
        {
            run[0] = File(run[0], baseDirectory)!;
        }
    }

    /// <summary>A repository location: a URL (sftp://, s3://…) stays, a directory path is made absolute.</summary>
    private static string? Location(string? location, string baseDirectory) =>
        location is null || location.Contains("://", StringComparison.Ordinal) || location.StartsWith("file:", StringComparison.OrdinalIgnoreCase)
            ? location
            : File(location, baseDirectory);

    private static string? File(string? path, string baseDirectory)
    {
        if (string.IsNullOrWhiteSpace(path) || Path.IsPathRooted(path))
        {
            return path;
        }

        // "~/x" is the user's home, as a shell would read it.
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
        {
            return Path.GetFullPath(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.Length > 2 ? path[2..] : "."));
        }

        return Path.GetFullPath(Path.Combine(baseDirectory, path));
    }
}
