using System.Globalization;
using Microsoft.Extensions.Logging;
using Shardcast.Engine.Observation;
using Shardcast.Models.Neural;
using Shardcast.Models.Series;

namespace Shardcast.Host.Server;

/// <summary>What the adaptation has seen and done, for `capabilities`.</summary>
public sealed record AdaptationStatus(
    bool Enabled, DateTimeOffset? LastCheck, double? Loss, double? BaselineLoss, string State, int FineTunes, int Kept, int Discarded, int RolledBack);

/// <summary>
/// Keeps the served LSTM fitted to the load it is asked about (docs/forecasting.md, "Adaptation"). Every check it
/// scores the served version on the newest tails of the ingested series (the LSTM's mean pinball loss, streaming
/// each series from its start). Where a fine-tuned version serves and the one before it now scores better by more
/// than the margin, it rolls back. Where the loss has drifted to the drift ratio times the one measured when the
/// version began serving (or the schedule is due), it fine-tunes on the series' heads in the background
/// (<see cref="LstmFineTuning"/>) and serves the result only where it scores better on the tails; requests are
/// served by the old version meanwhile and never wait for it. Each decision is logged with its reason.
/// </summary>
public sealed partial class ModelAdaptation : IAsyncDisposable
{
    private readonly ServedModel _model;
    private readonly SeriesStore _series;
    private readonly ServerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _clock;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private Task _loop = Task.CompletedTask;
    private AdaptationStatus _status;
    private double? _baseline;
    private int _baselineVersion;
    private DateTimeOffset _lastTune;

    public ModelAdaptation(ServedModel model, SeriesStore series, ServerOptions options, ILogger logger, TimeProvider clock)
    {
        _model = model;
        _series = series;
        _options = options;
        _logger = logger;
        _clock = clock;
        _lastTune = clock.GetUtcNow();
        _status = new AdaptationStatus(options.AdaptModel, null, null, null, options.AdaptModel ? "waiting for ingested series" : "off (Server:AdaptModel)", 0, 0, 0, 0);
    }

    public AdaptationStatus Status
    {
        get
        {
            lock (_lock)
            {
                return _status;
            }
        }
    }

    public void Start()
    {
        if (_options.AdaptModel)
        {
            _loop = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        }
    }

    private async Task RunAsync()
    {
        var interval = TimeSpan.FromSeconds(_options.AdaptCheckSeconds);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, _clock, _stop.Token).ConfigureAwait(false);
                Check(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Whatever one check met (a series the LSTM cannot take, say) must not end the adaptation, nor the server's shutdown.
                LogCheckFailed(_logger, e.Message);
                Update(s => s with { State = "check failed: " + e.Message });
            }
        }
    }

    /// <summary>One check: roll back, fine-tune or wait, as the newest data says.</summary>
    internal void Check(CancellationToken cancellation)
    {
        var recent = Recent();
        var served = _model.Current;
        double loss = recent.Count == 0 ? double.NaN : LstmFineTuning.TailLoss(served.Network, recent, _options.AdaptMaxPoints, _options.AdaptThreads);
        var now = _clock.GetUtcNow();
        if (double.IsNaN(loss))
        {
            Update(s => s with { LastCheck = now, State = "waiting for ingested series long enough to score (a few hundred points)" });
            return;
        }

        if (_model.Previous is { } previous)
        {
            double before = LstmFineTuning.TailLoss(previous.Network, recent, _options.AdaptMaxPoints, _options.AdaptThreads);
            if (loss > before * (1 + _options.AdaptRollbackMargin))
            {
                string why = Text($"regression: v{served.Number}'s loss on the newest tails {loss:0.####} is {(loss / before) - 1:0.0%} above v{previous.Number}'s {before:0.####}");
                _model.RollBack(why);
                LogRolledBack(_logger, served.Number, previous.Number, why);
                SetBaseline(before, previous.Number);
                Update(s => s with { LastCheck = now, Loss = before, BaselineLoss = before, State = $"rolled back to v{previous.Number}", RolledBack = s.RolledBack + 1 });
                return;
            }
        }

        if (_baseline is null || _baselineVersion != served.Number)
        {
            SetBaseline(loss, served.Number);
        }

        double drift = loss / _baseline!.Value;
        bool drifted = drift >= _options.AdaptDriftRatio;
        bool due = _options.AdaptEverySeconds > 0 && (now - _lastTune).TotalSeconds >= _options.AdaptEverySeconds;
        if (!drifted && !due)
        {
            Update(s => s with { LastCheck = now, Loss = loss, BaselineLoss = _baseline, State = Text($"v{served.Number} serving; loss {drift:0.00}x its baseline (fine-tunes at {_options.AdaptDriftRatio:0.00}x)") });
            return;
        }

        string reason = drifted
            ? Text($"drift: v{served.Number}'s loss on the newest tails {loss:0.####} is {drift:0.00}x the {_baseline:0.####} measured when it began serving")
            : Text($"schedule: {_options.AdaptEverySeconds:0} s since the last fine-tune");
        Update(s => s with { LastCheck = now, Loss = loss, BaselineLoss = _baseline, State = "fine-tuning (" + reason + ")", FineTunes = s.FineTunes + 1 });
        LogFineTuning(_logger, served.Number, recent.Count, reason);
        var outcome = LstmFineTuning.Run(served.Network, recent, new LstmFineTuneOptions
        {
            TimeBudget = TimeSpan.FromSeconds(_options.AdaptTimeBudgetSeconds),
            Threads = _options.AdaptThreads,
            MinGain = _options.AdaptMinGain,
            MaxPoints = _options.AdaptMaxPoints,
        }, cancellation);
        _lastTune = _clock.GetUtcNow();
        if (outcome.Accepted is { } tuned)
        {
            var adopted = _model.Adopt(tuned, reason + "; " + outcome.Verdict);
            LogKept(_logger, adopted.Number, outcome.Took.TotalSeconds, adopted.Reason);
            SetBaseline(outcome.CandidateLoss, adopted.Number);
            Update(s => s with { Loss = outcome.CandidateLoss, BaselineLoss = outcome.CandidateLoss, State = $"v{adopted.Number} serving (fine-tuned)", Kept = s.Kept + 1 });
        }
        else
        {
            // The served version stays, and what it scores now becomes its baseline: the same drift does not start
            // another fine-tune at every check, a further one does.
            LogDiscarded(_logger, served.Number, outcome.Took.TotalSeconds, outcome.Verdict);
            SetBaseline(loss, served.Number);
            Update(s => s with { BaselineLoss = loss, State = $"v{served.Number} serving; the fine-tune was discarded: {outcome.Verdict}", Discarded = s.Discarded + 1 });
        }
    }

    private List<TimeSeries> Recent() =>
        [.. _series.Newest(_options.AdaptMaxSeries, _options.AdaptMaxPoints).Where(s => s.Values.Length >= 2 && s.StepSeconds > 0)
            .Select(s => new TimeSeries(s.Id, TimeSeries.RegularTimestamps(s.Values.Length, s.StepSeconds, s.End), s.Values))];

    private void SetBaseline(double loss, int version)
    {
        _baseline = loss;
        _baselineVersion = version;
    }

    private void Update(Func<AdaptationStatus, AdaptationStatus> change)
    {
        lock (_lock)
        {
            _status = change(_status);
        }
    }

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model: fine-tuning v{Version} on {Series} ingested series ({Reason})")]
    private static partial void LogFineTuning(ILogger logger, int version, int series, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model: v{Version} serving after a {Seconds:0.0} s fine-tune ({Reason})")]
    private static partial void LogKept(ILogger logger, int version, double seconds, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model: v{Version} still serving; the {Seconds:0.0} s fine-tune was {Verdict}")]
    private static partial void LogDiscarded(ILogger logger, int version, double seconds, string verdict);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model: v{From} rolled back to v{To} ({Reason})")]
    private static partial void LogRolledBack(ILogger logger, int from, int to, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model: the adaptation's check failed: {Reason}")]
    private static partial void LogCheckFailed(ILogger logger, string reason);
}
