using System.Security.Cryptography;
using Backup.Core.Repository;
using Backup.Core.Repository.Blobs;
using Backup.Core.Transforms;

namespace Backup.Core.Tests;

/// <summary>
/// A pack header is written by whoever may add packs. An entry that claims to be stored in more bytes than any blob
/// can take is damaged even when the pack is large enough to hold it: readers size buffers and reads from it.
/// </summary>
public class PackHeaderLimitsTests
{
    private static readonly TransformChain Chain = new(
        [CompressionSetting.Parse("zstd:3"), new AesGcmTransform(RandomNumberGenerator.GetBytes(32))],
        [new ZstdTransform(), new GzipTransform(), new NoneTransform()]);

    [Theory]
    [InlineData(PackFormat.MaxStoredLength, true)]
    [InlineData(PackFormat.MaxStoredLength + 1, false)]
    public void An_entry_stored_in_more_than_any_blob_takes_is_damaged_in_a_pack_large_enough_for_it(uint storedLength, bool accepted)
    {
        var entries = new List<PackHeaderEntry> { new(BlobId.Sha256("blob"u8), BlobType.Data, 0, storedLength, 100) };
        var encoded = PackFormat.EncodeHeaderAndTrailer(entries, Chain);
        var header = encoded.AsSpan(0, encoded.Length - PackFormat.TrailerSize).ToArray();

        var decode = () => PackFormat.DecodeHeader(header, ObjectSizeLimits.Pack, Chain);

        if (accepted)
        {
            decode.Should().NotThrow().Which.Single().Length.Should().Be(storedLength);
        }
        else
        {
            decode.Should().Throw<InvalidDataException>().WithMessage("Pack header entry 0 is invalid*");
        }
    }
}
