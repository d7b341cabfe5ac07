using Microsoft.Extensions.Options;

namespace Backup.Providers.PostgreSql;

/// <summary>Validates each named <see cref="PostgreSqlJobSourceOptions"/>; every message names the setting.</summary>
internal sealed class PostgreSqlJobSourceOptionsValidator(string sourceName) : IValidateOptions<PostgreSqlJobSourceOptions>
{
    public ValidateOptionsResult Validate(string? name, PostgreSqlJobSourceOptions options)
    {
        if (name != sourceName)
        {
            return ValidateOptionsResult.Skip;
        }

        var path = options.SectionPath ?? $"PostgreSQL source '{sourceName}'";
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            errors.Add($"{path}:ConnectionString: is required.");
        }
        else
        {
            try
            {
                options.ToSourceOptions(password: null).Validate();
            }
            catch (ArgumentException e)
            {
                // Messages of the provider's validation never quote the connection string.
                var message = e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", string.Empty, StringComparison.Ordinal);
                errors.Add($"{path}:{e.ParamName ?? "ConnectionString"}: {message}");
            }
        }

        if (!string.IsNullOrWhiteSpace(options.PasswordEnvironmentVariable) && !string.IsNullOrWhiteSpace(options.PasswordFile))
        {
            errors.Add($"{path}: set only one of PasswordEnvironmentVariable and PasswordFile.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
