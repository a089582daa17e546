using Shardcast.Models.Classical;
using Shardcast.Models.Events;
using Shardcast.Models.Forecasting;
using Shardcast.Models.Series;
using Shardcast.Protocol;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Host.Server.Operations;

/// <summary>`forecast`: series by id (ingested) or inline, H steps at quantiles by any model.</summary>
public sealed class ForecastOperation : IOperation
{
    public string Name => "forecast";

    public bool IsHeavy(MsgPackValue body) => true;

    public MsgPackValue Run(MsgPackValue body, RequestContext context)
    {
        var fields = new BodyFields(body, "body", "series", "horizon", "quantiles", "model", "binary", "events");
        int horizon = (int)fields.OptionalInteger("horizon", 12, 1, 4096);
        double[] quantiles = fields.Optional("quantiles") is { } q ? BodyFields.AsNumbers(q, fields.PathOf("quantiles"), 64) : [0.1, 0.5, 0.9];
        if (quantiles.Length == 0)
        {
            throw new BadRequestException("body.quantiles", "at least one quantile is needed (or leave the field out for 0.1, 0.5, 0.9)");
        }

        for (int i = 0; i < quantiles.Length; i++)
        {
            if (!(quantiles[i] > 0 && quantiles[i] < 1))
            {
                throw new BadRequestException($"body.quantiles[{i}]", $"must lie strictly between 0 and 1, found {quantiles[i]}");
            }
        }

        string modelName = fields.OptionalString("model") ?? ModelNames.Auto;
        if (!ModelNames.Known.Contains(modelName))
        {
            throw new BadRequestException("body.model", $"unknown model '{modelName}' (known: {string.Join(", ", ModelNames.Known)})");
        }

        bool binary = fields.OptionalBool("binary", false);
        var series = fields.RequiredArray("series", 100_000).Select((item, i) => Resolve(item, $"body.series[{i}]", context)).ToList();
        var events = fields.Optional("events") is { } eventList ? ReadEvents(eventList, fields.PathOf("events"), series.Select(s => s.Id).ToHashSet(StringComparer.Ordinal)) : [];
        // auto leaves the LSTM out where it cannot serve the horizon or the quantiles, as the CLI and the planner do.
        // One served version for the whole request, and in the key of the forecasters kept open on it.
        var served = context.Model?.Current;
        var (model, note) = new Commands.ModelFactory(null, 0, 1, useDefaultModel: true, served: served?.Network).CreateFor(modelName, horizon, quantiles);
        string openAs = (note is null ? modelName : modelName + " (without lstm)") + (served is null ? "" : $"@v{served.Number}");
        var results = new List<MsgPackValue>(series.Count);
        foreach (var (id, history, stored, start) in series)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            double[][] values;
            bool fellBack;
            var known = events.Where(x => x.Series is null || x.Series.Contains(id)).Select(x => x.Event).ToList();
            IReadOnlyList<EventEffect>? effects = null;
            try
            {
                if (known.Count > 0)
                {
                    // A forecaster kept open has its history as it was ingested; one with events is opened on the deflated history.
                    (var opened, fellBack, var calendar) = KnownEvents.Open(model, history, known);
                    values = opened.Forecast(horizon, quantiles);
                    effects = calendar!.EffectsAhead(horizon);
                }
                else if (stored && context.Forecasters is { } open)
                {
                    (values, fellBack) = open.Forecast(id, openAs, model, history, horizon, quantiles, start);
                }
                else
                {
                    (var opened, fellBack) = FleetForecast.OpenOrFallBack(model, history);
                    values = opened.Forecast(horizon, quantiles);
                }
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw new BadRequestException("body", $"{modelName}: {e.Message.Split(" (Parameter")[0]}");
            }

            var item = new List<(string, MsgPackValue)>
            {
                ("id", MsgPackValue.From(id)),
                ("served_by", MsgPackValue.From(fellBack ? ModelNames.SeasonalNaive : modelName)),
                ("values", binary ? Float32(values) : MsgPackValue.FromArray(values.Select(row => MsgPackValue.FromArray(row.Select(MsgPackValue.From))))),
            };
            if (effects is not null)
            {
                item.Add(("events", MsgPackValue.FromArray(effects.Select(x => MsgPackValue.Map(
                    ("tag", MsgPackValue.From(x.Tag)), ("multiplier", MsgPackValue.From(x.Multiplier)),
                    ("source", MsgPackValue.From(x.Source)), ("occurrences", MsgPackValue.From((long)x.Occurrences)))))));
            }

            results.Add(MsgPackValue.Map([.. item]));
        }

        var answer = new List<(string, MsgPackValue)>
        {
            ("model", MsgPackValue.From(modelName)), ("horizon", MsgPackValue.From((long)horizon)),
            ("quantiles", MsgPackValue.FromArray(quantiles.Select(MsgPackValue.From))), ("forecasts", MsgPackValue.FromArray(results)),
        };
        if (note is not null)
        {
            answer.Add(("note", MsgPackValue.From(note)));
        }

        return MsgPackValue.Map([.. answer]);
    }

    /// <summary>The request's known events, each with the series ids it is limited to (null: every series of the request).</summary>
    private static List<(KnownEvent Event, HashSet<string>? Series)> ReadEvents(MsgPackValue value, string path, HashSet<string> ids)
    {
        var events = new List<(KnownEvent, HashSet<string>?)>();
        int i = 0;
        foreach (var item in BodyFields.AsArray(value, path, 10_000))
        {
            var f = new BodyFields(item, $"{path}[{i++}]", "tag", "start", "end", "multiplier", "series");
            var known = new KnownEvent(f.RequiredString("tag"), f.RequiredNumber("start"), f.RequiredNumber("end"), f.Optional("multiplier") is { } m ? BodyFields.AsNumber(m, f.PathOf("multiplier")) : null);
            if (known.Problem() is { } problem)
            {
                throw new BadRequestException(f.Path, problem);
            }

            HashSet<string>? series = null;
            if (f.Optional("series") is { } list)
            {
                series = new HashSet<string>(StringComparer.Ordinal);
                int j = 0;
                foreach (var s in BodyFields.AsArray(list, f.PathOf("series"), 100_000))
                {
                    string at = $"{f.PathOf("series")}[{j++}]";
                    string id = BodyFields.AsString(s, at);
                    series.Add(ids.Contains(id) ? id : throw new BadRequestException(at, $"no series '{id}' in this request"));
                }
            }

            events.Add((known, series));
        }

        return events;
    }

    /// <summary>[q][h] as one bin of float32, quantile-major.</summary>
    private static MsgPackValue Float32(double[][] values)
    {
        var bytes = new byte[values.Length * values[0].Length * 4];
        int at = 0;
        foreach (var row in values)
        {
            foreach (double v in row)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(at), (float)v);
                at += 4;
            }
        }

        return MsgPackValue.FromBinary(bytes);
    }

    /// <returns>The series, whether it is an ingested one (whose forecaster the server keeps open), and where an ingested one's kept values start in it.</returns>
    private static (string Id, TimeSeries History, bool Stored, long Start) Resolve(MsgPackValue item, string path, RequestContext context)
    {
        var s = new BodyFields(item, path, "id", "values", "step_seconds", "end");
        string id = s.OptionalString("id") ?? path;
        double step;
        double end;
        double[] values;
        long start = 0;
        if (s.Optional("values") is { } inline)
        {
            values = BodyFields.AsNumbers(inline, s.PathOf("values"), 10_000_000);
            step = s.RequiredNumber("step_seconds");
            end = s.OptionalNumber("end", 0);
        }
        else
        {
            var stored = context.Series.Get(s.RequiredString("id")) ?? throw new ProtocolException(ErrorCodes.NotFound, $"{s.PathOf("id")}: no series '{id}' has been ingested");
            (step, end, values, start) = stored;
        }

        if (!(step > 0) || values.Length < 2)
        {
            throw new BadRequestException(path, $"a forecast needs a positive step_seconds and at least two values, found step {step} and {values.Length} values");
        }

        return (id, new TimeSeries(id, TimeSeries.RegularTimestamps(values.Length, step, end), values), s.Optional("values") is null, start);
    }
}
