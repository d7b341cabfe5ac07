namespace Backup.Providers;

/// <summary>
/// Sees a tool's standard output on its way into the backup (<see cref="ToolProcess.OpenOutput(IToolOutputObserver, CancellationToken)"/>),
/// to learn what the output holds without a second read or a copy of it.
/// </summary>
internal interface IToolOutputObserver
{
    /// <summary>
    /// The next bytes of the output, in order, each once. Called on the pump that moves the output: it must be quick
    /// and must not throw (an observer that cannot make sense of the output says so through its own state).
    /// </summary>
    void Observe(ReadOnlySpan<byte> chunk);
}
