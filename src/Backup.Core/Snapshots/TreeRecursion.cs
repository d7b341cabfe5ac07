using System.Runtime.CompilerServices;

namespace Backup.Core.Snapshots;

/// <summary>
/// Keeps a walk that recurses once per directory level from overflowing its thread's stack. Trees come from storage,
/// where a client that may only append can nest directories thousands deep, and a stack overflow ends the process
/// with no message and nothing cleaned up. While trees come from memory, every level runs on the same stack; when it
/// runs low, the walk goes on from a thread-pool thread with a fresh stack, and the levels above wait on the heap.
/// </summary>
internal static class TreeRecursion
{
    /// <summary>Completes at once while this thread's stack has room; otherwise continues on another thread.</summary>
    public static async Task EnsureStackAsync()
    {
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            // To the thread pool, whatever synchronization context the caller runs under (Task.Yield would post to it).
            await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        }
    }
}
