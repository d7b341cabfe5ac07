using System.Text;

namespace Backup.Cli;

/// <summary>
/// The console's text writer for standard output (listings, summaries, JSON, help), whose failures become a
/// <see cref="StandardOutputWriteException"/>: the console's own IOException says only "No space left on device", which
/// an operator takes for the repository's disk, and exits 1 where a full disk exits 13.
/// </summary>
internal sealed class StandardOutputWriter(TextWriter console) : TextWriter
{
    public override Encoding Encoding => console.Encoding;

    public override IFormatProvider FormatProvider => console.FormatProvider;

    [System.Diagnostics.CodeAnalysis.AllowNull]
    public override string NewLine
    {
        get => console.NewLine;
        set => console.NewLine = value;
    }

    public override void Write(char value) => Guard(() => console.Write(value));

    public override void Write(char[] buffer, int index, int count) => Guard(() => console.Write(buffer, index, count));

    public override void Write(ReadOnlySpan<char> buffer)
    {
        var text = buffer.ToString();
        Guard(() => console.Write(text));
    }

    public override void Write(string? value) => Guard(() => console.Write(value));

    public override void WriteLine() => Guard(console.WriteLine);

    public override void WriteLine(ReadOnlySpan<char> buffer)
    {
        var text = buffer.ToString();
        Guard(() => console.WriteLine(text));
    }

    public override void WriteLine(string? value) => Guard(() => console.WriteLine(value));

    public override void Flush() => Guard(console.Flush);

    // Written at once, as the console's writer does: the base class would queue each write on the thread pool.
    public override Task WriteAsync(char value) => Completed(() => Write(value));

    public override Task WriteAsync(string? value) => Completed(() => Write(value));

    public override Task WriteAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default) => Completed(() => Write(buffer.Span));

    public override Task WriteLineAsync() => Completed(WriteLine);

    public override Task WriteLineAsync(char value) => Completed(() => WriteLine(value));

    public override Task WriteLineAsync(string? value) => Completed(() => WriteLine(value));

    public override Task WriteLineAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default) => Completed(() => WriteLine(buffer.Span));

    public override Task FlushAsync() => Completed(Flush);

    public override Task FlushAsync(CancellationToken cancellationToken) => Completed(Flush);

    private static void Guard(Action write)
    {
        try
        {
            write();
        }
        catch (IOException ex) when (ex is not StandardOutputWriteException)
        {
            throw new StandardOutputWriteException(ex.HResult, ex.Message, ex);
        }
    }

    private static Task Completed(Action write)
    {
        try
        {
            write();
            return Task.CompletedTask;
        }
        catch (StandardOutputWriteException ex)
        {
            return Task.FromException(ex);
        }
    }
}
