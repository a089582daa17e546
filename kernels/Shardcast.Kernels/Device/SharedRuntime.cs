using Shardcast.Kernels.Interop;
using Shardcast.Kernels.Probes;

namespace Shardcast.Kernels.Device;

/// <summary>
/// A device runtime made once per process on first use. Its first failure (no library, no device, a compile error)
/// is remembered and thrown again to every later caller, so a missing driver costs one probe, not one per plan.
/// </summary>
/// <param name="describe">The message for a failure that means "this backend is unavailable"; null lets anything else through.</param>
internal sealed class SharedRuntime<T>(Func<T> create, Func<Exception, string?> describe)
    where T : class
{
    private readonly Lock _lock = new();
    private T? _value;
    private string? _failure;

    public T Value
    {
        get
        {
            lock (_lock)
            {
                if (_value is not null)
                {
                    return _value;
                }

                if (_failure is not null)
                {
                    throw new NativeCallException(_failure);
                }

                try
                {
                    _value = create();
                    return _value;
                }
                catch (Exception e) when (describe(e) is { } message)
                {
                    _failure = message;
                    throw new NativeCallException(message);
                }
            }
        }
    }
}
