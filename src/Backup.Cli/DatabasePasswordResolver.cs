using System.Data.Common;
using Backup.Cli.Commands;
using Backup.Core.Crypto;
using Backup.Providers;

namespace Backup.Cli;

/// <summary>
/// Finds a database server's password: --db-password-file, then $BACKUP_DB_PASSWORD, then the engine's own
/// variable ($PGPASSWORD, $MYSQL_PWD). Never from an option value; a password inside a connection string given on the
/// command line still works but draws a warning, since other users can read it from the process list.
/// </summary>
internal sealed class DatabasePasswordResolver(CliConsole console, OutputWriter output)
{
    public const string Variable = "BACKUP_DB_PASSWORD";

    /// <summary>Where the password <see cref="ResolveAsync"/> returned came from ("$BACKUP_DB_PASSWORD", "--db-password-file …"); null when it found none.</summary>
    public string? Source { get; private set; }

    /// <summary>The password to use, or null to rely on the connection string (or on no password at all).</summary>
    /// <exception cref="CliUsageException">The connection string is malformed (the message never quotes it).</exception>
    public async Task<string?> ResolveAsync(IDatabaseEngine engine, string optionName, string connectionString, FileInfo? passwordFile)
    {
        if (HasPassword(engine, optionName, connectionString))
        {
            await output.WarnAsync(
                $"the {optionName} connection string contains a password, which other users can read from the process list; " +
                $"set {Variable} or use --db-password-file instead").ConfigureAwait(false);
        }

        if (passwordFile is not null)
        {
            Source = $"--db-password-file {passwordFile.FullName}";
            return await SecretFile.ReadAsync(passwordFile.FullName).ConfigureAwait(false);
        }

        foreach (var variable in engine.PasswordEnvironmentVariables.Prepend(Variable))
        {
            if (console.GetEnvironmentVariable(variable) is { Length: > 0 } value)
            {
                Source = "$" + variable;
                return value;
            }
        }

        return null;
    }

    /// <summary>
    /// What to add to a failure of <paramref name="engine"/>'s server that reads as a refused sign-in: where to give a
    /// password when none was found, else which source the password came from (the first one set is used, so a
    /// variable left over from another server is what an operator misses); empty for any other failure.
    /// </summary>
    public string SignInAdvice(Exception failure, string? password, IDatabaseEngine engine, string connectionString)
    {
        // A restore's own failure comes after the sign-in the password is for, which fails with the driver's exception:
        // a statement of the snapshot the server refused ("Access denied; you need the SUPER privilege") is no sign-in.
        if (failure is CliUsageException or OperationCanceledException or DatabaseRestoreException || !DatabaseCreate.LooksLikeAuthentication(failure.Message))
        {
            return string.Empty;
        }

        if (!AnyGiven(password, engine, connectionString))
        {
            return $" Give the tool the password with --db-password-file FILE (its first line) or in {DatabaseEngines.Join(engine.PasswordEnvironmentVariables.Prepend(Variable).Select(v => "$" + v), "or")}.";
        }

        return Source is null
            ? " The password used is the connection string's Password=."
            : $" The password used came from {Source} (of --db-password-file, {DatabaseEngines.Join(engine.PasswordEnvironmentVariables.Prepend(Variable).Select(v => "$" + v))}, the first one set is used): check that one.";
    }

    /// <summary>Whether a password was given anywhere: found by <see cref="ResolveAsync"/>, or inside the connection string.</summary>
    public static bool AnyGiven(string? password, IDatabaseEngine engine, string connectionString) =>
        password is not null || engine.HasPassword(connectionString);

    private static bool HasPassword(IDatabaseEngine engine, string optionName, string connectionString)
    {
        try
        {
            return engine.HasPassword(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException)
        {
            // The parser's message may quote the string, and a password in it: say only that it is malformed, and which key.
            throw new CliUsageException($"The {optionName} connection string is malformed ({Culprit(engine, connectionString) ?? ex.GetType().Name}); it is 'Key=Value;…', e.g. 'Host=db1;Username=backup;Database=app'.");
        }
    }

    /// <summary>Which part of a malformed connection string the engine refuses, named by its key alone (a value may be a password); null when no single key is to blame.</summary>
    private static string? Culprit(IDatabaseEngine engine, string connectionString)
    {
        var pairs = new DbConnectionStringBuilder();
        try
        {
            pairs.ConnectionString = connectionString;
        }
        catch (ArgumentException)
        {
            return "not Key=Value pairs separated by ';'";
        }

        // Each pair alone, as the engine reads it. A ';' inside an unquoted password splits it and its tail would be
        // named as a key: with a password among the pairs, none is named.
        string? refused = null;
        foreach (string key in pairs.Keys)
        {
            try
            {
                if (engine.HasPassword(new DbConnectionStringBuilder { [key] = pairs[key] }.ConnectionString))
                {
                    return null;
                }
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException)
            {
                refused ??= key;
            }
        }

        return refused is null ? null : $"at '{refused}': a key it does not know, or a value that key does not take";
    }
}
