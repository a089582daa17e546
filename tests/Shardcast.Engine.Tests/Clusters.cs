namespace Shardcast.Engine.Tests;

/// <summary>Small hand-written cluster files for tests; each test changes one thing.</summary>
internal static class Clusters
{
    /// <summary>Two nodes in two zones, three partitions, one replica group, a tenant, an affinity edge.</summary>
    public const string Small = """
    {
      "resources": ["read_rps", "read_bytes"],
      "horizon": {"steps": 2, "step_seconds": 300},
      "nodes": [
        {"id": "n0", "capacity": [1000, 5e7], "zone": "a", "state": "active"},
        {"id": "n1", "capacity": [1000, 5e7], "zone": "b", "state": "active"},
        {"id": "n2", "capacity": [2000, 1e8], "zone": "b", "state": "new"}
      ],
      "partitions": [
        {"id": "p0", "node": "n0", "size_bytes": 1.2e9, "tenant": "t1", "group": "g0",
         "load": [[600, 3.1e7], [700, 3.3e7]]},
        {"id": "p1", "node": "n1", "size_bytes": 1.0e9, "tenant": "t1", "group": "g0",
         "load": [[200, 1e7], [250, 1.1e7]]},
        {"id": "p2", "node": "n0", "size_bytes": 3.0e9, "parent": "p0", "tags": {"topic": "orders"},
         "load": [[500, 2e7], [550, 2.1e7]]}
      ],
      "tenants": [{"id": "t1", "nodes": ["n0", "n1", "n2"]}],
      "groups": [{"id": "g0", "min_zones": 2}],
      "affinity": [{"a": "p1", "b": "p2", "weight": 2.0}],
      "zone_distance": [{"a": "a", "b": "b", "cost": 2.0}],
      "objective": {"w_bal": 1, "w_over": 10, "theta": 0.8, "w_move": 0.1, "w_aff": 0.5, "w_lin": 0.2, "quantile": 0.9},
      "budget": {"max_moves": 100, "max_bytes": 5e11},
      "search": {"backend": "auto", "time_ms": 200, "seed": 1}
    }
    """;
}
