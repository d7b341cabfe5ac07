using System.Data.Common;
using Backup.Extensions.DependencyInjection;

namespace Backup.DisasterRecovery;

/// <summary>
/// Refuses secrets written into a plan: a plan is a document people share, review and commit, so a password in a
/// connection string, a literal secret header, credentials in a URL or a secret-looking environment variable or
/// provider setting is an error that says where the value must come from instead. The secret itself is never repeated.
/// </summary>
internal static class PlanSecrets
{
    private static readonly string[] ConnectionStringPasswordKeys = ["password", "pwd"];

    // Headers that carry credentials: they belong in SecretHeaders.
    private static readonly string[] SecretHeaderNames = ["authorization", "proxy-authorization", "cookie"];
    private static readonly string[] SecretWords = ["password", "passwd", "secret", "token", "apikey", "api-key", "api_key", "credential", "private-key", "accountkey", "sastoken", "connectionstring"];

    public static void Check(RecoveryPlan plan, List<string> errors)
    {
        foreach (var (name, source) in plan.Backup.Sources)
        {
            ConnectionString($"Backup:Sources:{name}:ConnectionString", source.ConnectionString, errors);
        }

        foreach (var (name, repository) in plan.Backup.Repositories)
        {
            foreach (var setting in repository.Settings.Keys.Where(LooksSecret))
            {
                errors.Add($"Backup:Repositories:{name}:Settings:{setting}: a secret does not belong in a plan; leave it out and set the provider's environment variable where the plan runs.");
            }

            if (!string.IsNullOrWhiteSpace(repository.PasswordConfigurationKey))
            {
                errors.Add($"Backup:Repositories:{name}:PasswordConfigurationKey: a plan has no configuration to read it from; set PasswordFile or PasswordEnvironmentVariable.");
            }
        }

        foreach (var (name, server) in plan.Scratch.Databases)
        {
            ConnectionString($"Scratch:Databases:{name}:ConnectionString", server.ConnectionString, errors);
        }

        foreach (var (systemName, system) in plan.Systems)
        {
            for (var i = 0; i < system.Steps.Count; i++)
            {
                var step = system.Steps[i];
                var path = $"Systems:{systemName}:Steps:{i}";
                if (step.Restore is { } restore)
                {
                    ConnectionString($"{path}:Restore:ConnectionString", restore.ConnectionString, errors);
                }

                if (step.Http is { } http)
                {
                    Http($"{path}:Http", http, errors);
                }

                if (step.WaitFor is { } wait)
                {
                    Url($"{path}:WaitFor:Url", wait.Url, errors);
                    Url($"{path}:WaitFor:DrillUrl", wait.DrillUrl, errors);
                }

                if (step.Command is { } command)
                {
                    foreach (var variable in command.Environment.Keys.Where(LooksSecret))
                    {
                        errors.Add($"{path}:Command:Environment:{variable}: a secret does not belong in a plan; the command inherits the environment it runs in, so set {variable} there (or have the program read a file).");
                    }
                }
            }
        }
    }

    private static void Http(string path, HttpStep http, List<string> errors)
    {
        Url($"{path}:Url", http.Url, errors);
        Url($"{path}:DrillUrl", http.DrillUrl, errors);
        foreach (var header in http.Headers.Keys.Where(h => SecretHeaderNames.Contains(h, StringComparer.OrdinalIgnoreCase) || LooksSecret(h)))
        {
            errors.Add($"{path}:Headers:{header}: a credential does not belong in a plan; move it to SecretHeaders as \"env:VARIABLE\" or \"file:PATH\".");
        }

        foreach (var (header, source) in http.SecretHeaders)
        {
            var reference = source.Trim();
            var ok = (reference.StartsWith("env:", StringComparison.OrdinalIgnoreCase) && reference.Length > 4)
                || (reference.StartsWith("file:", StringComparison.OrdinalIgnoreCase) && reference.Length > 5);
            if (!ok)
            {
                errors.Add($"{path}:SecretHeaders:{header}: must say where the value comes from, \"env:VARIABLE\" or \"file:PATH\", not the value itself.");
            }
        }
    }

    private static void Url(string path, Uri? url, List<string> errors)
    {
        if (url is { IsAbsoluteUri: true } && url.UserInfo.Contains(':', StringComparison.Ordinal))
        {
            errors.Add($"{path}: a password in the URL does not belong in a plan; send it as a header from SecretHeaders (\"env:VARIABLE\" or \"file:PATH\").");
        }
    }

    private static void ConnectionString(string path, string? connectionString, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return;
        }

        if (HasPassword(connectionString))
        {
            errors.Add($"{path}: holds a password; leave it out and set PasswordFile or PasswordEnvironmentVariable beside it.");
        }
    }

    /// <summary>Whether a connection string (key=value pairs, or a postgres:// / mysql:// URL) carries a password.</summary>
    internal static bool HasPassword(string connectionString)
    {
        if (connectionString.Contains("://", StringComparison.Ordinal))
        {
            return Uri.TryCreate(connectionString, UriKind.Absolute, out var url)
                && (url.UserInfo.Contains(':', StringComparison.Ordinal)
                    || url.Query.Contains("password=", StringComparison.OrdinalIgnoreCase));
        }

        try
        {
            var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
            return ConnectionStringPasswordKeys.Any(key => builder.TryGetValue(key, out var value) && !string.IsNullOrEmpty(value?.ToString()));
        }
        catch (ArgumentException)
        {
            // Not key=value pairs: look for the words, without repeating anything.
            return connectionString.Contains("password=", StringComparison.OrdinalIgnoreCase) || connectionString.Contains("pwd=", StringComparison.OrdinalIgnoreCase);
        }
    }

    // A name that says where a secret is (PASSWORD_FILE, PasswordEnvironmentVariable) is not a secret.
    private static bool LooksSecret(string name) =>
        SecretWords.Any(word => name.Contains(word, StringComparison.OrdinalIgnoreCase))
        && !name.EndsWith("file", StringComparison.OrdinalIgnoreCase)
        && !name.EndsWith("variable", StringComparison.OrdinalIgnoreCase);
}
