using System.Buffers.Binary;

namespace Backup.Core.Tests.Fuzzing;

/// <summary>
/// A seeded mutator in the style of libFuzzer's: each call applies one to four random edits (bit flips, random or
/// boundary bytes and integers, insertions, deletions, copies, truncation), so the same seed always yields the same
/// inputs and a failure can be replayed from its seed and iteration.
/// </summary>
internal sealed class ByteMutator(int seed)
{
    private static readonly int[] Boundaries = [0, 1, -1, 2, 7, 8, 41, 45, 127, 128, 255, 256, 4095, 4096, 65535, 65536, int.MaxValue, int.MinValue, int.MaxValue / 41, int.MaxValue / 45, 1 << 30];

    private readonly Random _random = new(seed);

    public byte[] Mutate(byte[] input)
    {
        var data = new List<byte>(input);
        var edits = _random.Next(1, 5);
        for (var i = 0; i < edits; i++)
        {
            Edit(data);
        }

        return [.. data];
    }

    private void Edit(List<byte> data)
    {
        var position = data.Count == 0 ? 0 : _random.Next(data.Count);
        switch (_random.Next(data.Count == 0 ? 1 : 9))
        {
            case 0:
                data.InsertRange(position, RandomBytes(_random.Next(1, 16)));
                break;
            case 1:
                data[position] ^= (byte)(1 << _random.Next(8));
                break;
            case 2:
                data[position] = (byte)_random.Next(256);
                break;
            case 3:
                // A length or count field set to a boundary: the edit that finds unchecked allocations.
                if (data.Count >= 4)
                {
                    var at = _random.Next(data.Count - 3);
                    var value = Boundaries[_random.Next(Boundaries.Length)];
                    var bytes = new byte[4];
                    BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
                    for (var b = 0; b < 4; b++)
                    {
                        data[at + b] = bytes[b];
                    }
                }

                break;
            case 4:
                data.RemoveRange(position, Math.Min(data.Count - position, _random.Next(1, 64)));
                break;
            case 5:
                var from = _random.Next(data.Count);
                var copy = data.GetRange(from, Math.Min(data.Count - from, _random.Next(1, 64)));
                data.InsertRange(position, copy);
                break;
            case 6:
                data.RemoveRange(position, data.Count - position);
                break;
            case 7:
                // JSON-shaped edits: structural characters and type-changing tokens.
                var token = JsonTokens[_random.Next(JsonTokens.Length)];
                data.InsertRange(position, System.Text.Encoding.UTF8.GetBytes(token));
                break;
            default:
                data.AddRange(RandomBytes(_random.Next(1, 32)));
                break;
        }
    }

    private static readonly string[] JsonTokens = ["{", "}", "[", "]", ",", ":", "\"", "null", "true", "-1", "1e999", "18446744073709551616", "\"\\u0000\"", "\"zz\"", "{}", "[]", "\"ab\"", "0"];

    private byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        _random.NextBytes(bytes);
        return bytes;
    }
}
