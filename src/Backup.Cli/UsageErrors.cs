using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace Backup.Cli;

/// <summary>
/// Words the parser's complaints for people: an unknown option with the nearest real one, the types of values in
/// words instead of .NET's names, and never the value after an unknown option, which may be a password someone tried
/// to pass on the command line (it would land in a terminal's scrollback or a CI log).
/// </summary>
internal static partial class UsageErrors
{
    /// <summary>The messages for a command line the parser refused.</summary>
    public static IReadOnlyList<string> Describe(ParseResult parseResult, Command command, RootCommand root)
    {
        var words = Classify(parseResult);
        var messages = words.Unknown.Select(u => UnknownOption(command, root, u.Word, u.AsPath)).Distinct().ToList();
        var unknown = words.Unknown.Select(u => u.Word).ToList();
        var unmatched = parseResult.UnmatchedTokens;
        messages.AddRange(unmatched.Where(t => !unknown.Contains(t) && !words.Values.Contains(t)).Select(t => $"unexpected argument '{t}'."));

        // The parser's own complaints name the words above again, the value of an unknown option among them.
        var named = unmatched.Concat(unknown).Concat(words.Values).ToList();
        messages.AddRange(parseResult.Errors
            .Where(e => !named.Any(t => e.Message.Contains($"'{t}'", StringComparison.Ordinal)))
            .Select(e => InWords(e.Message)));
        return messages.Count > 0 || parseResult.Errors.Count == 0 ? messages : ["the command line could not be parsed."];
    }

    /// <summary>
    /// An option written with '=' or ':' and nothing after it (<c>--repo= --json</c>, often a shell variable that was
    /// empty): the parser would take the next word as its value and go on with a repository named '--json'. Words after
    /// <c>--</c> are arguments.
    /// </summary>
    public static string? EmptyAttachedValue(IEnumerable<string> args)
    {
        foreach (var arg in args)
        {
            if (arg == "--")
            {
                break;
            }

            if (IsOptionLike(arg) && arg.IndexOfAny(['=', ':']) == arg.Length - 1)
            {
                return $"'{arg}' has no value after '{arg[^1]}': write {arg[..^1]}=VALUE (an empty variable in a script leaves this).";
            }
        }

        return null;
    }

    /// <summary>
    /// A mistyped option where the command takes arguments is parsed as one (<c>ls latest --bogus</c> looked for a
    /// snapshot path '--bogus'): a word there that reads as an option and names no existing file is an unknown option.
    /// </summary>
    public static List<string> OptionsTakenAsArguments(ParseResult parseResult, Command command, RootCommand root) =>
        [.. Classify(parseResult).Unknown
            .Where(u => !parseResult.UnmatchedTokens.Contains(u.Word))
            .Select(u => UnknownOption(command, root, u.Word, u.AsPath))];

    /// <summary>
    /// The words that read as options but that the parser matched to none, whether it left them over or took them for a
    /// command's argument (not an option's value, which may start with '-'), with whether that argument is a path; and
    /// the words after any such word, which are its values: one may be a password, so none is ever repeated, even after
    /// <c>--</c> or after an existing path. Words after <c>--</c> and existing paths are arguments, not unknown options.
    /// </summary>
    private static (List<(string Word, bool AsPath)> Unknown, HashSet<string> Values) Classify(ParseResult parseResult)
    {
        var optionValues = new HashSet<Token>(ReferenceEqualityComparer.Instance);
        var argumentOf = new Dictionary<Token, Argument>(ReferenceEqualityComparer.Instance);
        Collect(parseResult.RootCommandResult);

        var unknown = new List<(string, bool)>();
        var values = new HashSet<string>(StringComparer.Ordinal);
        var afterDoubleDash = false;
        var valueFollows = false;
        foreach (var token in parseResult.Tokens)
        {
            if (token.Type == TokenType.DoubleDash)
            {
                afterDoubleDash = true;
                valueFollows = false;
                continue;
            }

            if (valueFollows && token.Type is not (TokenType.Option or TokenType.Command))
            {
                values.Add(token.Value);
                valueFollows = false;
                continue;
            }

            valueFollows = false;
            if (token.Type != TokenType.Argument || optionValues.Contains(token) || !IsOptionLike(token.Value))
            {
                continue;
            }

            valueFollows = token.Value.IndexOfAny(['=', ':']) < 0;
            var argument = argumentOf.GetValueOrDefault(token);
            if (!afterDoubleDash && !(argument is not null && (File.Exists(token.Value) || Directory.Exists(token.Value))))
            {
                unknown.Add((token.Value, argument?.Name.Contains("PATH", StringComparison.Ordinal) == true));
            }
        }

        return (unknown, values);

        void Collect(SymbolResult result)
        {
            switch (result)
            {
                case OptionResult option:
                    optionValues.UnionWith(option.Tokens);
                    break;
                case ArgumentResult argument:
                    foreach (var token in argument.Tokens)
                    {
                        argumentOf[token] = argument.Argument;
                    }

                    break;
                case CommandResult command:
                    foreach (var child in command.Children)
                    {
                        Collect(child);
                    }

                    break;
            }
        }
    }

    /// <summary>A command-line word that reads as an option (<c>-x</c>, <c>--name</c>, <c>--name=value</c>) rather than a value.</summary>
    public static bool IsOptionLike(string token) => token.Length > 1 && token[0] == '-' && !char.IsAsciiDigit(token[1]);

    /// <summary>"unknown option '--tagg'; did you mean '--tag'?" (only the name of <c>--name=value</c> is repeated; <paramref name="notAPathEither"/> where a path was possible).</summary>
    public static string UnknownOption(Command command, RootCommand root, string token, bool notAPathEither = false)
    {
        var name = token.Split(['=', ':'], 2)[0];
        var names = command.Options.Concat(root.Options.Where(o => o.Recursive))
            .Where(o => !o.Hidden)
            .SelectMany(o => o.Aliases.Prepend(o.Name))
            .Where(n => n.StartsWith("--", StringComparison.Ordinal))
            .Distinct();
        var closest = Nearest.Of(name, names);
        var message = $"unknown option '{name}'{(notAPathEither ? " (nor an existing path)" : string.Empty)}{(closest is null ? "." : $"; did you mean '{closest}'?")}";
        return name.Contains("pass", StringComparison.OrdinalIgnoreCase)
            ? message + " Passwords are never taken from the command line: set BACKUP_PASSWORD (or BACKUP_PASSWORD_FILE to a file holding it), give --password-file FILE, or type it when asked."
            : message;
    }

    /// <summary>"… as expected type 'System.Nullable`1[System.Int32]'." becomes "…: expected a whole number."</summary>
    private static string InWords(string message) =>
        ChoicesOnOneLine(ExpectedType().Replace(message, m => $": expected {TypeInWords(m.Groups[1].Value)}."));

    /// <summary>
    /// "Argument 'pdf' not recognized. Must be one of:\n\t'md'\n\t'html'" becomes "… Must be one of: 'md', 'html'".
    /// The message is escaped whole for the terminal, which would show the parser's line breaks as \n\t; only the list
    /// after the last "Must be one of:" is joined, since it holds the command's own values, and the value typed before
    /// it keeps its escaped newlines.
    /// </summary>
    private static string ChoicesOnOneLine(string message)
    {
        const string Choices = "Must be one of:";
        var at = message.LastIndexOf(Choices, StringComparison.Ordinal);
        if (at < 0)
        {
            return message;
        }

        var values = message[(at + Choices.Length)..].Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return $"{message[..at]}{Choices} {string.Join(", ", values)}";
    }

    private static string TypeInWords(string type) => type switch
    {
        _ when type.Contains("Int32", StringComparison.Ordinal) => "a whole number (at most 2147483647)",
        _ when type.Contains("Int64", StringComparison.Ordinal) => "a whole number",
        _ when type.Contains("Double", StringComparison.Ordinal) || type.Contains("Decimal", StringComparison.Ordinal) => "a number",
        _ when type.Contains("Boolean", StringComparison.Ordinal) => "true or false",
        _ when type.Contains("FileInfo", StringComparison.Ordinal) || type.Contains("DirectoryInfo", StringComparison.Ordinal) => "a path",
        _ => "a value of another form (see --help)",
    };

    [GeneratedRegex(@" as expected type '([^']+)'\.?")]
    private static partial Regex ExpectedType();
}
