using Shardcast.Engine.Observation;
using Shardcast.Protocol;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Host.Server.Operations;

/// <summary>`ingest`: load samples appended to series the server keeps, for `forecast` to use by id.</summary>
public sealed class IngestOperation : IOperation
{
    public string Name => "ingest";

    public bool IsHeavy(MsgPackValue body) => false;

    public MsgPackValue Run(MsgPackValue body, RequestContext context)
    {
        var fields = new BodyFields(body, "body", "series");
        var series = fields.RequiredArray("series", 1_000_000);
        var lengths = new List<MsgPackValue>();
        long points = 0;
        for (int i = 0; i < series.Count; i++)
        {
            string path = $"body.series[{i}]";
            var s = new BodyFields(series[i], path, "id", "values", "step_seconds", "end");
            string id = s.RequiredString("id");
            double step = s.RequiredNumber("step_seconds");
            if (!(step > 0))
            {
                throw new BadRequestException(s.PathOf("step_seconds"), $"must be positive, found {step}");
            }

            var values = BodyFields.AsNumbers(s.Required("values"), s.PathOf("values"), int.MaxValue);
            double? end = s.Optional("end") is { } e ? BodyFields.AsNumber(e, s.PathOf("end")) : null;
            int length;
            try
            {
                length = context.Series.Append(id, step, end, values);
            }
            catch (SeriesStoreException refused)
            {
                throw refused.Refusal == SeriesStoreRefusal.LimitReached
                    ? new ProtocolException(ErrorCodes.TooLarge, $"{path}: {refused.Message}")
                    : new BadRequestException(s.PathOf("step_seconds"), refused.Message);
            }

            points += values.Length;
            lengths.Add(MsgPackValue.Map(("id", MsgPackValue.From(id)), ("length", MsgPackValue.From((long)length))));
        }

        return MsgPackValue.Map(("series", MsgPackValue.FromArray(lengths)), ("points", MsgPackValue.From(points)), ("stored_points", MsgPackValue.From(context.Series.Points)));
    }
}
