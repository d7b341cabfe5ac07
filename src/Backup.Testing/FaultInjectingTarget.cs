using System.Runtime.CompilerServices;
using Backup.Core.Storage;

namespace Backup.Testing;

/// <summary>
/// A decorator that makes chosen calls fail, for tests of what happens when storage or a writer fails part-way:
/// fail the Nth call of a kind, tear the Nth put (store only part of the object, as a non-atomic store would,
/// then fail), or die after N puts or N deletes (every later call fails, as if the process had been killed).
/// The inner target's capabilities are forwarded; the commit of a staged object counts as a put and fails as one
/// (a tear planned for it fails the commit and leaves nothing, as a staged object cannot be stored in part).
/// </summary>
public sealed class FaultInjectingTarget : DelegatingTarget
{
    private readonly object _gate = new();
    private readonly Dictionary<TargetOperation, int> _counts = [];
    private readonly List<(TargetOperation Operation, int Call, bool Transient)> _failures = [];
    private readonly List<(int Call, double Fraction)> _tears = [];
    private int? _dieAfterPuts;
    private int? _dieAfterDeletes;
    private bool _dead;

    /// <summary>Wraps <paramref name="inner"/>; no fault is planned until one is added. When <paramref name="ownsInner"/> is true, disposing this disposes it.</summary>
    public FaultInjectingTarget(IBackupTarget inner, bool ownsInner = false) : base(inner, ownsInner) { }

    /// <summary>Whether a planned death has happened.</summary>
    public bool IsDead { get { lock (_gate) { return _dead; } } }

    /// <summary>Makes the <paramref name="call"/>th call (1-based) of <paramref name="operation"/> fail.</summary>
    public FaultInjectingTarget FailCall(TargetOperation operation, int call, bool transient = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(call, 1);
        lock (_gate) { _failures.Add((operation, call, transient)); }
        return this;
    }

    /// <summary>Makes the <paramref name="call"/>th put store only the first <paramref name="fraction"/> of its bytes, then fail.</summary>
    public FaultInjectingTarget TearPut(int call, double fraction = 0.5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(call, 1);
        lock (_gate) { _tears.Add((call, fraction)); }
        return this;
    }

    /// <summary>Lets <paramref name="puts"/> puts succeed, then fails every call of any kind from then on.</summary>
    public FaultInjectingTarget DieAfterPuts(int puts)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(puts);
        lock (_gate) { _dieAfterPuts = puts; }
        return this;
    }

    /// <summary>Lets <paramref name="deletes"/> deletes succeed, then fails every call of any kind from then on.</summary>
    public FaultInjectingTarget DieAfterDeletes(int deletes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(deletes);
        lock (_gate) { _dieAfterDeletes = deletes; }
        return this;
    }

    /// <summary>How many calls of <paramref name="operation"/> have been made.</summary>
    public int CountOf(TargetOperation operation) { lock (_gate) { return _counts.GetValueOrDefault(operation); } }

    /// <inheritdoc />
    public override async Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        var (call, tear) = Enter(TargetOperation.Put);
        if (tear is { } fraction)
        {
            await Inner.PutAsync(key, content[..(int)(content.Length * fraction)], cancellationToken).ConfigureAwait(false);
            throw new BackupTargetException($"Injected fault: put #{call} of '{key}' was torn.") { IsTransient = true };
        }

        await Inner.PutAsync(key, content, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override ValueTask<int> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        Enter(TargetOperation.Get);
        return Inner.ReadAsync(key, offset, destination, cancellationToken);
    }

    /// <inheritdoc />
    protected override Task CommitStagedAsync(string key, IStagedObject staged, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(staged);
        var (call, tear) = Enter(TargetOperation.Put);
        return tear is null
            ? staged.CommitAsync(key, cancellationToken)
            : throw new BackupTargetException($"Injected fault: staged put #{call} of '{key}' was torn (nothing committed).") { IsTransient = true };
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<BackupObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Enter(TargetOperation.List);
        await foreach (var item in Inner.ListAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }
    }

    /// <inheritdoc />
    public override Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        Enter(TargetOperation.Delete);
        return Inner.DeleteAsync(key, cancellationToken);
    }

    /// <inheritdoc />
    public override Task<BackupObjectInfo?> StatAsync(string key, CancellationToken cancellationToken = default)
    {
        Enter(TargetOperation.Stat);
        return Inner.StatAsync(key, cancellationToken);
    }

    private (int Call, double? Tear) Enter(TargetOperation operation)
    {
        lock (_gate)
        {
            if (_dead)
            {
                throw new BackupTargetException($"Injected fault: the writer is dead ({operation} refused).");
            }

            var call = _counts[operation] = _counts.GetValueOrDefault(operation) + 1;
            if (operation == TargetOperation.Put && _dieAfterPuts is { } limit && call > limit)
            {
                _dead = true;
                throw new BackupTargetException($"Injected fault: the writer died before put #{call}.");
            }

            if (operation == TargetOperation.Delete && _dieAfterDeletes is { } deleteLimit && call > deleteLimit)
            {
                _dead = true;
                throw new BackupTargetException($"Injected fault: the writer died before delete #{call}.");
            }

            foreach (var failure in _failures)
            {
                if ((failure.Operation & operation) != 0 && failure.Call == call)
                {
                    throw new BackupTargetException($"Injected fault: {operation} call #{call} failed.") { IsTransient = failure.Transient };
                }
            }

            foreach (var tear in _tears)
            {
                if (operation == TargetOperation.Put && tear.Call == call)
                {
                    return (call, tear.Fraction);
                }
            }

            return (call, null);
        }
    }
}
