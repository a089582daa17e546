using Shardcast.Engine.Routing;
using Shardcast.Models.Forecasting;
using Shardcast.Models.Neural;
using Shardcast.Protocol;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Host.Server.Operations;

/// <summary>`capabilities`: backends, devices, limits, model versions and the operations served.</summary>
public sealed class CapabilitiesOperation : IOperation
{
    public string Name => "capabilities";

    public bool IsHeavy(MsgPackValue body) => false;

    public MsgPackValue Run(MsgPackValue body, RequestContext context)
    {
        _ = new BodyFields(body, "body");
        var o = context.Options;
        var lstm = LstmDefaultModel.Get();
        var served = context.Model?.Current;
        var reports = Kernels.Probes.DeviceCatalog.Cached;
        var backends = reports.Select(r => MsgPackValue.Map(
            ("name", MsgPackValue.From(r.Name)),
            ("available", MsgPackValue.From(r.Searchable)),
            ("reason", r.Unavailable is { } why ? MsgPackValue.From(why) : r.Note is { } note ? MsgPackValue.From(note) : MsgPackValue.Nil),
            ("devices", MsgPackValue.FromArray(r.Devices.Select(d => MsgPackValue.Map(
                ("name", MsgPackValue.From(d.Name)), ("kind", MsgPackValue.From(d.Kind)), ("compute_units", MsgPackValue.From((long)d.ComputeUnits)),
                ("memory_bytes", MsgPackValue.From(d.GlobalMemoryBytes)), ("max_work_group", MsgPackValue.From(d.MaxWorkGroupSize))))))));
        return MsgPackValue.Map(
            ("protocol", MsgPackValue.From((long)Messages.Version)),
            ("server", MsgPackValue.From(ProductVersion.Text)),
            ("ops", MsgPackValue.FromArray(OperationCatalog.Names.Select(MsgPackValue.From))),
            ("backends", MsgPackValue.FromArray(backends)),
            ("limits", MsgPackValue.Map(
                ("max_frame_bytes", MsgPackValue.From((long)o.MaxFrameBytes)),
                ("max_in_flight_per_connection", MsgPackValue.From((long)o.MaxInFlightPerConnection)),
                ("max_connections", MsgPackValue.From((long)o.MaxConnections)),
                ("request_timeout_s", MsgPackValue.From(o.RequestTimeoutSeconds)),
                ("max_stored_points", MsgPackValue.From(o.MaxStoredPoints)),
                ("max_series_points", MsgPackValue.From((long)o.MaxSeriesPoints)),
                ("max_depth", MsgPackValue.From((long)o.MaxDepth)))),
            ("models", MsgPackValue.Map(
                ("known", MsgPackValue.FromArray(ModelNames.Known.Select(MsgPackValue.From))),
                ("lstm", MsgPackValue.Map(
                    ("file_version", MsgPackValue.From((long)LstmModelFile.Version)),
                    ("description", MsgPackValue.From(lstm.Description)),
                    ("hidden", MsgPackValue.From((long)lstm.Network.Hyper.Hidden)),
                    ("horizon", MsgPackValue.From((long)lstm.Network.Hyper.Horizon)),
                    ("quantiles", MsgPackValue.FromArray(lstm.Network.Hyper.Quantiles.Select(MsgPackValue.From))),
                    ("version", MsgPackValue.From((long)(served?.Number ?? 1))),
                    ("version_since", served is null ? MsgPackValue.Nil : MsgPackValue.From(served.Since.ToString("O", System.Globalization.CultureInfo.InvariantCulture))),
                    ("version_reason", served is null ? MsgPackValue.From("the model shipped inside") : MsgPackValue.From(served.Reason)),
                    ("adaptation", Adaptation(context.Adaptation?.Status)))))),
            ("stored", MsgPackValue.Map(("series", MsgPackValue.From((long)context.Series.Count)), ("points", MsgPackValue.From(context.Series.Points)))),
            ("route_epoch", MsgPackValue.From(context.Routes.Get(RoutingTables.DefaultCluster).Epoch)),
            ("route_clusters", MsgPackValue.FromArray([.. context.Routes.Clusters.Select(MsgPackValue.From)])));
    }

    private static MsgPackValue Adaptation(AdaptationStatus? status)
    {
        static MsgPackValue Number(double? v) => v is { } x && double.IsFinite(x) ? MsgPackValue.From(x) : MsgPackValue.Nil;
        if (status is null)
        {
            return MsgPackValue.Map(("enabled", MsgPackValue.False));
        }

        return MsgPackValue.Map(
            ("enabled", MsgPackValue.From(status.Enabled)),
            ("state", MsgPackValue.From(status.State)),
            ("last_check", status.LastCheck is { } at ? MsgPackValue.From(at.ToString("O", System.Globalization.CultureInfo.InvariantCulture)) : MsgPackValue.Nil),
            ("loss", Number(status.Loss)),
            ("baseline_loss", Number(status.BaselineLoss)),
            ("fine_tunes", MsgPackValue.From((long)status.FineTunes)),
            ("kept", MsgPackValue.From((long)status.Kept)),
            ("discarded", MsgPackValue.From((long)status.Discarded)),
            ("rolled_back", MsgPackValue.From((long)status.RolledBack)));
    }
}
