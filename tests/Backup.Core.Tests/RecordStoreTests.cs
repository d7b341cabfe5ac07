using System.Text;
using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;

namespace Backup.Core.Tests;

public class RecordStoreTests
{
    [Fact]
    public async Task Records_are_stored_encrypted_and_read_back_by_kind()
    {
        var target = new InMemoryTarget();
        await using var repository = await TestRepository.InitAsync(target, TestRepository.NewKeyFile());

        var first = await repository.Records.SaveAsync("dr-drill", "{\"system\":\"shop-secret-name\"}"u8.ToArray());
        await repository.Records.SaveAsync("other", "{}"u8.ToArray());

        var drills = await repository.Records.ListAsync("dr-drill").ToListAsync();
        drills.Should().ContainSingle().Which.Id.Should().Be(first);
        Encoding.UTF8.GetString(drills[0].Content.Span).Should().Be("{\"system\":\"shop-secret-name\"}");
        var stored = await target.ReadAllAsync($"records/dr-drill/{first}", 1 << 20);
        Encoding.UTF8.GetString(stored).Should().NotContain("shop-secret-name", "records are encrypted");
        (await repository.Records.ListAsync("none-yet").ToListAsync()).Should().BeEmpty();

        await repository.Records.DeleteAsync("dr-drill", first);
        (await repository.Records.ListAsync("dr-drill").ToListAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task A_record_moved_to_another_kind_or_altered_is_reported_not_read()
    {
        var target = new InMemoryTarget();
        await using var repository = await TestRepository.InitAsync(target, TestRepository.NewKeyFile());
        var id = await repository.Records.SaveAsync("kind-a", "{\"ok\":true}"u8.ToArray());
        var stored = await target.ReadAllAsync($"records/kind-a/{id}", 1 << 20);

        // Same bytes under another kind: the name matches, the envelope's kind does not.
        await target.PutAsync($"records/kind-b/{id}", stored);
        var errors = new List<string>();
        (await repository.Records.ListAsync("kind-b", (key, _) => errors.Add(key)).ToListAsync()).Should().BeEmpty();
        errors.Should().ContainSingle().Which.Should().Be($"records/kind-b/{id}");

        // Changed bytes: the name no longer matches.
        stored[^1] ^= 1;
        await target.PutAsync($"records/kind-a/{id}", stored);
        var act = async () => await repository.Records.ListAsync("kind-a").ToListAsync();
        await act.Should().ThrowAsync<RepositoryCorruptException>().WithMessage("*damaged or altered*");
    }

    [Theory]
    [InlineData("")]
    [InlineData("Upper")]
    [InlineData("../keys")]
    [InlineData("a/b")]
    public async Task A_kind_outside_the_allowed_characters_is_refused(string kind)
    {
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());
        var act = async () => await repository.Records.SaveAsync(kind, "{}"u8.ToArray());
        await act.Should().ThrowAsync<ArgumentException>();
    }
}
