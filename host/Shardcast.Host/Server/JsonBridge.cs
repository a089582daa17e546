using System.Buffers;
using System.Text;
using System.Text.Json;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Host.Server;

/// <summary>
/// MessagePack bodies as the UTF-8 JSON the cluster-file reader speaks, so that `plan` and `evaluate` take exactly
/// the cluster file's fields, with its field-named refusals: the socket refuses what the file refuses, by one
/// validator. The JSON is written into a byte buffer the reader parses as it is (no string in between), and a value's
/// path is spelled out only when it is refused. A bin where the file has a matrix (`partitions[].load`,
/// `partitions[].history.values`) is little-endian float32, row-major, R numbers per row (R from `resources`);
/// elsewhere a bin is a flat float32 array.
/// </summary>
public static class JsonBridge
{
    public static ReadOnlyMemory<byte> ToUtf8Json(MsgPackValue body, string path)
    {
        ArgumentNullException.ThrowIfNull(body);
        int rowWidth = body["resources"] is { Kind: MsgPackKind.Array } resources ? resources.Items.Count : 0;
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            var trail = new Trail(path);
            Write(writer, body, trail, rowWidth);
        }

        return buffer.WrittenMemory;
    }

    private static void Write(Utf8JsonWriter writer, MsgPackValue value, Trail trail, int rowWidth)
    {
        switch (value.Kind)
        {
            case MsgPackKind.Nil:
                writer.WriteNullValue();
                break;
            case MsgPackKind.Boolean:
                writer.WriteBooleanValue(value.Boolean);
                break;
            case MsgPackKind.Integer:
                if (value.IsNegative || value.UInt <= long.MaxValue)
                {
                    writer.WriteNumberValue(value.Int);
                }
                else
                {
                    writer.WriteNumberValue(value.UInt);
                }

                break;
            case MsgPackKind.Float:
                writer.WriteNumberValue(double.IsFinite(value.Float) ? value.Float : throw new BadRequestException(trail.Render(), "expected a finite number"));
                break;
            case MsgPackKind.String:
                writer.WriteStringValue(value.String);
                break;
            case MsgPackKind.Binary:
                WriteBin(writer, value, trail.Render(), trail.IsMatrix ? rowWidth : 0);
                break;
            case MsgPackKind.Array:
                writer.WriteStartArray();
                for (int i = 0; i < value.Items.Count; i++)
                {
                    trail.Push(i);
                    Write(writer, value.Items[i], trail, rowWidth);
                    trail.Pop();
                }

                writer.WriteEndArray();
                break;
            case MsgPackKind.Map:
                writer.WriteStartObject();
                foreach (var pair in value.Pairs)
                {
                    string name = pair.Key.Kind == MsgPackKind.String ? pair.Key.String : throw new BadRequestException(trail.Render(), "map keys are strings");
                    writer.WritePropertyName(name);
                    trail.Push(name);
                    Write(writer, pair.Value, trail, rowWidth);
                    trail.Pop();
                }

                writer.WriteEndObject();
                break;
            default:
                throw new BadRequestException(trail.Render(), $"{value.Kind.ToString().ToLowerInvariant()} values have no place in a cluster");
        }
    }

    /// <param name="rowWidth">Numbers per row where the cluster file has a matrix here; 0 for a flat array.</param>
    private static void WriteBin(Utf8JsonWriter writer, MsgPackValue value, string path, int rowWidth)
    {
        var numbers = BodyFields.AsNumbers(value, path, int.MaxValue);
        if (rowWidth > 0 && numbers.Length % rowWidth != 0)
        {
            throw new BadRequestException(path, $"bin of {numbers.Length} float32 is not rows of {rowWidth} (one per resource)");
        }

        writer.WriteStartArray();
        for (int i = 0; i < numbers.Length; i++)
        {
            if (rowWidth > 0 && i % rowWidth == 0)
            {
                writer.WriteStartArray();
            }

            writer.WriteNumberValue(numbers[i]);
            if (rowWidth > 0 && i % rowWidth == rowWidth - 1)
            {
                writer.WriteEndArray();
            }
        }

        writer.WriteEndArray();
    }

    /// <summary>
    /// Where the writer is in the body: the keys and indices from the root, kept as a stack so that a path is built
    /// only for a value that is refused, and so that matrices are recognised by where they stand, as the cluster file
    /// places them, not by a key name that may mean something else elsewhere.
    /// </summary>
    private sealed class Trail(string root)
    {
        private readonly List<object> _segments = [];

        public void Push(string key) => _segments.Add(key);

        public void Push(int index) => _segments.Add(index);

        public void Pop() => _segments.RemoveAt(_segments.Count - 1);

        /// <summary>`partitions[i].load` or `partitions[i].history.values`.</summary>
        public bool IsMatrix => _segments is ["partitions", int, "load"] or ["partitions", int, "history", "values"];

        public string Render()
        {
            var path = new StringBuilder(root);
            foreach (object segment in _segments)
            {
                _ = segment is int index ? path.Append('[').Append(index).Append(']') : path.Append('.').Append((string)segment);
            }

            return path.ToString();
        }
    }
}
