namespace Backup.Cli.Tests.Compatibility;

/// <summary>One entry of a tree: what make-v1-repositories.sh records of the source tree, and what a restore must give back.</summary>
/// <param name="Path">Relative to the tree's root; "." is the root.</param>
/// <param name="Type">file, dir, symlink or fifo.</param>
/// <param name="Mode">Permission bits, four octal digits.</param>
/// <param name="Size">Bytes of a file, else "-".</param>
/// <param name="Sha256">Of a file's content, else "-".</param>
/// <param name="MtimeNs">Modification time in nanoseconds since the epoch.</param>
/// <param name="LinkTarget">A symlink's target, else "-".</param>
/// <param name="HardLinkOf">For a file with more than one name, the first of its names (in path order), else "-".</param>
internal sealed record TreeEntry(string Path, string Type, string Mode, string Size, string Sha256, long MtimeNs, string LinkTarget, string HardLinkOf);
