using Backup.Core.Buffers;
using Backup.Core.Native;

namespace Backup.Core.Tests;

public class BufferPoolTests
{
    [Theory]
    [InlineData(1, 256)]
    [InlineData(256, 256)]
    [InlineData(257, 512)]
    [InlineData(1_000_000, 1_048_576)]
    public void Rented_arrays_are_the_next_power_of_two_and_come_back_newest_first(int length, int expected)
    {
        var pool = new BufferPool(maxArrayLength: 4 * 1024 * 1024, maxArraysPerSize: 4);
        var first = pool.Rent(length, willFill: true);
        var second = pool.Rent(length);
        first.Length.Should().Be(expected);
        second.Should().NotBeSameAs(first);

        pool.Return(first);
        pool.Return(second);
        pool.Rent(length).Should().BeSameAs(second, "the array returned last is still in cache");
        pool.Rent(length).Should().BeSameAs(first);
    }

    [Fact]
    public void A_pool_keeps_at_most_its_limit_of_each_size_and_nothing_it_does_not_pool()
    {
        var pool = new BufferPool(maxArrayLength: 1024 * 1024, maxArraysPerSize: 2);
        var arrays = Enumerable.Range(0, 3).Select(_ => pool.Rent(4096)).ToList();
        arrays.ForEach(a => pool.Return(a));
        var again = Enumerable.Range(0, 3).Select(_ => pool.Rent(4096)).ToList();
        again.Count(a => arrays.Contains(a)).Should().Be(2, "the third array returned was over the limit");

        var huge = pool.Rent(3 * 1024 * 1024);
        huge.Length.Should().Be(3 * 1024 * 1024, "what is larger than pooled is allocated to size");
        pool.Return(huge);
        pool.Rent(3 * 1024 * 1024).Should().NotBeSameAs(huge);

        pool.Return(new byte[1000]); // not a pooled size: left to the collector
        pool.Rent(1000).Length.Should().Be(1024);
        pool.Rent(0).Should().BeEmpty();
        FluentActions.Invoking(() => pool.Rent(-1)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new BufferPool(maxArrayLength: (1 << 30) + 1, maxArraysPerSize: 2)).Should().Throw<ArgumentOutOfRangeException>("a larger power of two does not fit an int");
    }

    [Fact]
    public void Returning_with_clearing_zeroes_the_array()
    {
        var pool = new BufferPool(maxArrayLength: 1024 * 1024, maxArraysPerSize: 2);
        var array = pool.Rent(300_000, willFill: true);
        array.AsSpan().Fill(0xAB);
        pool.Return(array, clearArray: true);
        pool.Rent(300_000).Should().BeSameAs(array).And.OnlyContain(b => b == 0);
    }

    [Fact]
    public void Committing_pages_leaves_every_byte_as_it_was()
    {
        if (!UnixNative.IsSupported)
        {
            return;
        }

        // The span starts and ends inside pages, so the call covers bytes on both sides that it must not touch.
        var array = GC.AllocateUninitializedArray<byte>(1024 * 1024);
        for (var i = 0; i < array.Length; i++)
        {
            array[i] = (byte)(i * 7 + 3);
        }

        UnixNative.CommitPages(array.AsSpan(1000, 500_000));
        UnixNative.CommitPages(array.AsSpan(0, array.Length));
        array.Select((b, i) => b == (byte)(i * 7 + 3)).Should().AllSatisfy(same => same.Should().BeTrue());
    }
}
