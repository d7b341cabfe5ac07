using Backup.Core.Snapshots;

namespace Backup.Cli;

/// <summary>How tree nodes are shown: ls-style mode strings, kinds and times.</summary>
internal static class NodeFormat
{
    public static string Kind(NodeType type) => type.ToString().ToLowerInvariant();

    public static DateTimeOffset Mtime(TreeNode node) => DateTimeOffset.UnixEpoch.AddTicks(node.MtimeNs / 100);

    /// <summary>"drwxr-xr-x" and the like.</summary>
    public static string Mode(TreeNode node)
    {
        var type = node.Type switch
        {
            NodeType.Directory => 'd',
            NodeType.Symlink => 'l',
            // A special file's kind is in its mode's file-type bits (S_IFMT), as stat gives them.
            NodeType.Special => (node.Mode & 0xF000) switch
            {
                0x1000 => 'p',
                0x2000 => 'c',
                0x6000 => 'b',
                0xC000 => 's',
                _ => '?',
            },
            _ => '-',
        };
        Span<char> chars = stackalloc char[10];
        chars[0] = type;
        const string Letters = "rwxrwxrwx";
        for (var i = 0; i < 9; i++)
        {
            chars[i + 1] = (node.Mode & (1u << (8 - i))) != 0 ? Letters[i] : '-';
        }

        // Set-user-ID, set-group-ID and sticky take the execute places, as ls shows them (capital without execute).
        Special(chars, 3, 0x800, 's');
        Special(chars, 6, 0x400, 's');
        Special(chars, 9, 0x200, 't');
        return new string(chars);

        void Special(Span<char> text, int at, uint bit, char letter)
        {
            if ((node.Mode & bit) != 0)
            {
                text[at] = text[at] == 'x' ? letter : char.ToUpperInvariant(letter);
            }
        }
    }
}
