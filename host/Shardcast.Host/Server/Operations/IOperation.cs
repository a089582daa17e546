using Shardcast.Protocol.MessagePack;

namespace Shardcast.Host.Server.Operations;

/// <summary>One operation of the protocol.</summary>
public interface IOperation
{
    string Name { get; }

    /// <summary>Whether this request runs on the bounded worker pool (plans, forecasts, evaluations of a cluster sent in full).</summary>
    bool IsHeavy(MsgPackValue body);

    MsgPackValue Run(MsgPackValue body, RequestContext context);
}
