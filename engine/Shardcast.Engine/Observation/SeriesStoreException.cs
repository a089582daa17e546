namespace Shardcast.Engine.Observation;

/// <summary>Why a <see cref="SeriesStore"/> refused samples.</summary>
public enum SeriesStoreRefusal
{
    /// <summary>The store's total point limit would be passed (nothing was stored).</summary>
    LimitReached,

    /// <summary>The samples' step differs from the step the series was created with.</summary>
    StepMismatch,
}

/// <summary>Samples a <see cref="SeriesStore"/> refused, and why; nothing of them was stored.</summary>
public sealed class SeriesStoreException(SeriesStoreRefusal refusal, string message) : Exception(message)
{
    public SeriesStoreRefusal Refusal { get; } = refusal;
}
