using Backup.Providers.MySql;

namespace Backup.Providers.Tests;

/// <summary>The pipe a driver-only or parallel MariaDB/MySQL backup writes its rows into.</summary>
public sealed class MySqlRowPipeTests
{
    [Fact]
    public async Task A_full_pipe_of_rows_is_a_handful_of_segments_which_the_shared_array_pool_keeps()
    {
        var pipe = MyRowPipe.Create();
        var output = new BatchedPipeWriter(pipe.Writer);
        var row = new byte[100];
        Array.Fill(row, (byte)'x');

        // Statements of 1 MiB (the default InsertBatchBytes), as MyDriverData writes them, until the pipe pushes back.
        var written = 0L;
        while (true)
        {
            for (var statement = 0; statement < (1 << 20); statement += row.Length)
            {
                output.Write(row);
                written += row.Length;
            }

            var flush = output.FlushAsync(CancellationToken.None);
            if (!flush.IsCompleted)
            {
                break;
            }

            await flush;
        }

        var result = await pipe.Reader.ReadAsync();
        result.Buffer.Length.Should().Be(written);
        var segments = 0;
        foreach (var _ in result.Buffer)
        {
            segments++;
        }

        // Two connections fill two such pipes at once; the shared pool keeps 32 arrays of a size per core, so on two
        // cores 64 segments in flight (64 KiB each: 64 per pipe) were beyond it and churned through the GC.
        segments.Should().BeLessThanOrEqualTo(8, "a pipe full at {0:N0} bytes should hold few, large segments", written);
        pipe.Reader.AdvanceTo(result.Buffer.End);
        await pipe.Reader.CompleteAsync();
        await pipe.Writer.CompleteAsync();
    }
}
