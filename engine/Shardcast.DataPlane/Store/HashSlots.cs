using System.Text;

namespace Shardcast.DataPlane.Store;

/// <summary>
/// The Redis Cluster key space: 16384 hash slots, a key's slot being CRC16 (XMODEM: polynomial 0x1021, initial 0,
/// no reflection) of its hash tag, modulo 16384. The hash tag is the part between the first '{' and the first '}'
/// after it, when that part is not empty; otherwise the whole key. This is what every server of the family computes
/// (CLUSTER KEYSLOT), so a client that routes by it sends each key where the server expects it.
/// </summary>
public static class HashSlots
{
    public const int Count = 16384;

    private static readonly ushort[] Table = BuildTable();

    public static int Of(string key) => Of(Encoding.UTF8.GetBytes(key));

    public static int Of(ReadOnlySpan<byte> key) => Crc16(HashTag(key)) & (Count - 1);

    /// <summary>A hash tag whose keys land in <paramref name="slot"/>: <paramref name="prefix"/> and the first number that gets there.</summary>
    public static string TagFor(int slot, string prefix)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, Count);
        for (long i = 0; ; i++)
        {
            string tag = $"{prefix}{i}";
            if (Of(tag) == slot)
            {
                return tag;
            }
        }
    }

    /// <summary>The bytes that are hashed: the first non-empty {...} section, or the whole key.</summary>
    public static ReadOnlySpan<byte> HashTag(ReadOnlySpan<byte> key)
    {
        int open = key.IndexOf((byte)'{');
        if (open < 0)
        {
            return key;
        }

        int close = key[(open + 1)..].IndexOf((byte)'}');
        return close <= 0 ? key : key.Slice(open + 1, close);
    }

    /// <summary>CRC16-XMODEM, table-driven (one lookup per byte).</summary>
    public static ushort Crc16(ReadOnlySpan<byte> data)
    {
        ushort crc = 0;
        foreach (byte b in data)
        {
            crc = (ushort)((crc << 8) ^ Table[((crc >> 8) ^ b) & 0xff]);
        }

        return crc;
    }

    /// <summary>The bitwise definition the table is built from, and the reference the tests compare the table against.</summary>
    internal static ushort Crc16Bitwise(ReadOnlySpan<byte> data)
    {
        ushort crc = 0;
        foreach (byte b in data)
        {
            crc ^= (ushort)(b << 8);
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x8000) != 0 ? (ushort)((crc << 1) ^ 0x1021) : (ushort)(crc << 1);
            }
        }

        return crc;
    }

    private static ushort[] BuildTable()
    {
        var table = new ushort[256];
        for (int i = 0; i < 256; i++)
        {
            table[i] = Crc16Bitwise([(byte)i]);
        }

        return table;
    }
}
