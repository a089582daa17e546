using Shardcast.Engine.Observation;
using Shardcast.Models.Anomaly;
using Shardcast.Protocol;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Host.Server.Operations;

/// <summary>
/// `ingest`: load samples appended to series the server keeps, for `forecast` to use by id; with `detect`, each
/// series' values also go through its anomaly detector and the answer lists the alarms they raised.
/// </summary>
public sealed class IngestOperation : IOperation
{
    public string Name => "ingest";

    public bool IsHeavy(MsgPackValue body) => false;

    public MsgPackValue Run(MsgPackValue body, RequestContext context)
    {
        var fields = new BodyFields(body, "body", "series", "detect");
        var series = fields.RequiredArray("series", 1_000_000);
        bool detect = fields.OptionalBool("detect", false);
        var lengths = new List<MsgPackValue>();
        var alarms = new List<SeriesAlarm>();
        long points = 0;
        if (detect && !context.Detectors!.HasRoomFor(series.Select((s, i) => new BodyFields(s, $"body.series[{i}]", "id", "values", "step_seconds", "end").RequiredString("id"))))
        {
            throw new ProtocolException(ErrorCodes.TooLarge, $"body.detect: detecting on these series would pass the server's limit of {context.Detectors.MaxSeries} detected series (Server:MaxDetectedSeries)");
        }

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
            if (detect && Array.FindIndex(values, v => !double.IsFinite(v)) is var bad and >= 0)
            {
                throw new BadRequestException($"{s.PathOf("values")}[{bad}]", $"a detected series takes finite numbers, found {values[bad]}");
            }

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
            if (detect)
            {
                alarms.AddRange(context.Detectors!.Observe(id, length, values));
            }

            lengths.Add(MsgPackValue.Map(("id", MsgPackValue.From(id)), ("length", MsgPackValue.From((long)length))));
        }

        var answer = new List<(string, MsgPackValue)> { ("series", MsgPackValue.FromArray(lengths)), ("points", MsgPackValue.From(points)), ("stored_points", MsgPackValue.From(context.Series.Points)) };
        if (detect)
        {
            answer.Add(("anomalies", MsgPackValue.FromArray(alarms.Select(a => MsgPackValue.Map(
                ("id", MsgPackValue.From(a.Series)),
                ("index", MsgPackValue.From(a.Index)),
                ("score", MsgPackValue.From(Math.Round(a.Verdict.Score, 6))),
                ("z", MsgPackValue.From(Math.Round(a.Verdict.Z, 2))),
                ("severity", MsgPackValue.From(a.Verdict.Severity.Name())))))));
        }

        return MsgPackValue.Map([.. answer]);
    }
}
