namespace Shardcast.DataPlane.Store;

/// <summary>Which server family a store is: the commands a slot's move can use differ between them (docs/data-plane.md).</summary>
public enum StoreFamily
{
    /// <summary>Garnet: MIGRATE copies only from a MIGRATING source; CLUSTER DELKEYSINSLOT drops a slot's keys on any node.</summary>
    Garnet,

    /// <summary>Redis 7+ and Valkey: no DELKEYSINSLOT, so a slot's keys on a node that does not own it are deleted one by one (IMPORTING, ASKING, DEL).</summary>
    Redis,
}
