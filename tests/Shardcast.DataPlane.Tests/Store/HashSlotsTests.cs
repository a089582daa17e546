using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Shardcast.DataPlane.Store;

namespace Shardcast.DataPlane.Tests.Store;

/// <summary>The key space as the Redis Cluster specification defines it: CRC16-XMODEM of the hash tag, modulo 16384.</summary>
public class HashSlotsTests
{
    [Fact]
    public void Crc16_OfTheSpecificationsCheckString_Is0x31C3()
    {
        Assert.Equal(0x31C3, HashSlots.Crc16("123456789"u8));
        Assert.Equal(0x31C3, HashSlots.Crc16Bitwise("123456789"u8));
    }

    [Fact]
    public void TheTable_AgreesWithTheBitwiseDefinition()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes => HashSlots.Crc16(bytes) == HashSlots.Crc16Bitwise(bytes))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }

    [Theory]
    [InlineData("somekey", 11058)]
    [InlineData("foo", 12182)]
    [InlineData("hello", 866)]
    public void Slots_OfKeysTheRedisDocumentationShows(string key, int slot) => Assert.Equal(slot, HashSlots.Of(key));

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(HashSlots.Count - 1)]
    public void TagFor_GivesATagWhoseKeysLandInTheSlot(int slot)
    {
        string tag = HashSlots.TagFor(slot, "t");
        Assert.StartsWith("t", tag, StringComparison.Ordinal);
        Assert.Equal(slot, HashSlots.Of($"{{{tag}}}:any key"));
    }

    [Theory]
    [InlineData("{user1000}.following", "user1000")]
    [InlineData("foo{}{bar}", "foo{}{bar}")]
    [InlineData("foo{{bar}}zap", "{bar")]
    [InlineData("foo{bar}{zap}", "bar")]
    [InlineData("{}", "{}")]
    [InlineData("no braces", "no braces")]
    [InlineData("open{only", "open{only")]
    public void TheHashTag_IsTheFirstNonEmptyBracedSection(string key, string tag)
    {
        Assert.Equal(tag, Encoding.UTF8.GetString(HashSlots.HashTag(Encoding.UTF8.GetBytes(key))));
        Assert.Equal(HashSlots.Of(tag), HashSlots.Of(key));
    }
}
