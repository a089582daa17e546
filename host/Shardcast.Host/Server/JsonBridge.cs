using System.Text.Json;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Host.Server;

/// <summary>
/// MessagePack bodies as the JSON the cluster-file reader speaks, so that `plan` and `evaluate` take exactly the
/// cluster file's fields, with its field-named refusals (the plan file's JSON goes back through
/// <see cref="MsgPackJson"/>). A bin where a matrix is expected (`load`, `history.values`) is little-endian float32, row-major,
/// R numbers per row (R from `resources`); elsewhere a bin is a flat float32 array.
/// </summary>
public static class JsonBridge
{
    private static readonly HashSet<string> MatrixKeys = ["load", "values"];

    public static string ToJson(MsgPackValue body, string path)
    {
        ArgumentNullException.ThrowIfNull(body);
        int rowWidth = body["resources"] is { Kind: MsgPackKind.Array } resources ? resources.Items.Count : 0;
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            Write(writer, body, path, rowWidth, null);
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Write(Utf8JsonWriter writer, MsgPackValue value, string path, int rowWidth, string? key)
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
                writer.WriteNumberValue(double.IsFinite(value.Float) ? value.Float : throw new BadRequestException(path, "expected a finite number"));
                break;
            case MsgPackKind.String:
                writer.WriteStringValue(value.String);
                break;
            case MsgPackKind.Binary:
                var numbers = BodyFields.AsNumbers(value, path, int.MaxValue);
                bool matrix = key is not null && MatrixKeys.Contains(key) && rowWidth > 0;
                if (matrix && numbers.Length % rowWidth != 0)
                {
                    throw new BadRequestException(path, $"bin of {numbers.Length} float32 is not rows of {rowWidth} (one per resource)");
                }

                writer.WriteStartArray();
                for (int i = 0; i < numbers.Length; i++)
                {
                    if (matrix && i % rowWidth == 0)
                    {
                        writer.WriteStartArray();
                    }

                    writer.WriteNumberValue(numbers[i]);
                    if (matrix && i % rowWidth == rowWidth - 1)
                    {
                        writer.WriteEndArray();
                    }
                }

                writer.WriteEndArray();
                break;
            case MsgPackKind.Array:
                writer.WriteStartArray();
                for (int i = 0; i < value.Items.Count; i++)
                {
                    Write(writer, value.Items[i], $"{path}[{i}]", rowWidth, null);
                }

                writer.WriteEndArray();
                break;
            case MsgPackKind.Map:
                writer.WriteStartObject();
                foreach (var pair in value.Pairs)
                {
                    string name = pair.Key.Kind == MsgPackKind.String ? pair.Key.String : throw new BadRequestException(path, "map keys are strings");
                    writer.WritePropertyName(name);
                    Write(writer, pair.Value, $"{path}.{name}", rowWidth, name);
                }

                writer.WriteEndObject();
                break;
            default:
                throw new BadRequestException(path, $"{value.Kind.ToString().ToLowerInvariant()} values have no place in a cluster");
        }
    }
}
