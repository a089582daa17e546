using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Search;

namespace Shardcast.Kernels.Search.Exact;

/// <summary>
/// The mixed-integer program of one node set (<see cref="NodeSetRepack"/>): every member of the set's nodes may go to
/// any node of the set it is allowed on; everything else stays. Its objective is the energy of the set's nodes plus
/// the members' move costs and the largest moved count of a group, so it differs from the whole plan's energy by a
/// constant. Each term is written where it is built:
/// <list type="bullet">
/// <item>x[m, j], binary: member m on the set's node j, costing its move costs from its initial node.</item>
/// <item>capacity per node and lane; on transient lanes, the load of newcomers within what every partition whose
/// initial node it is holds there (those partitions hold it wherever they are).</item>
/// <item>safety excess and resource balance: one slack column each per node, term and step, bounded below by the
/// linear expression and by 0, at the term's weight.</item>
/// <item>groups: one member per node; missing zones covered through [0, 1] columns; dependencies per
/// neighbourhood, where the needed group has no member outside the set; the largest moved count as one column
/// bounded below by every group's count.</item>
/// </list>
/// </summary>
internal sealed class NodeSetModel
{
    private readonly int[] _members;
    private readonly int[] _nodes;
    private readonly int[] _column;

    private NodeSetModel(LinearModel model, double[] start, int[] members, int[] nodes, int[] column)
    {
        Model = model;
        Start = start;
        _members = members;
        _nodes = nodes;
        _column = column;
    }

    public LinearModel Model { get; }

    /// <summary>The current division as a point of the model (integer columns; CBC completes the rest).</summary>
    public double[] Start { get; }

    public ReadOnlySpan<int> Members => _members;

    /// <summary>The node of each member in a solution.</summary>
    public int[] Divide(ReadOnlySpan<double> solution)
    {
        int k = _nodes.Length;
        var target = new int[_members.Length];
        for (int m = 0; m < _members.Length; m++)
        {
            double best = -1;
            for (int j = 0; j < k; j++)
            {
                int c = _column[(m * k) + j];
                if (c >= 0 && solution[c] > best)
                {
                    best = solution[c];
                    target[m] = _nodes[j];
                }
            }
        }

        return target;
    }

    /// <summary>
    /// The model of the given nodes' members, the nodes taken in order while their members number at most
    /// <paramref name="maxMembers"/>; null when fewer than two nodes fit. <paramref name="initialLoad"/> is
    /// <see cref="InitialLoads"/>.
    /// </summary>
    public static NodeSetModel? Build(SearchState state, ReadOnlySpan<int> nodeSet, int maxMembers, double[] initialLoad)
    {
        var nodes = new List<int>();
        var members = new List<int>();
        foreach (int n in nodeSet)
        {
            var of = state.Members.Of(n);
            if (members.Count + of.Length > maxMembers)
            {
                break;
            }

            nodes.Add(n);
            foreach (int i in of)
            {
                members.Add(i);
            }
        }

        if (nodes.Count < 2)
        {
            return null;
        }

        var builder = new Builder(state, nodes.ToArray(), members.ToArray(), initialLoad);
        return builder.Build();
    }

    /// <summary>Per node and lane, the load of the partitions whose initial node it is: what they hold there, wherever they are.</summary>
    public static double[] InitialLoads(FlatProblem problem)
    {
        var x = problem.Extensions!;
        var loads = new double[problem.Nodes * x.Width];
        for (int i = 0; i < problem.Partitions; i++)
        {
            var row = x.LoadRow(i);
            var into = loads.AsSpan(problem.Initial[i] * x.Width, x.Width);
            for (int k = 0; k < x.Width; k++)
            {
                into[k] += row[k];
            }
        }

        return loads;
    }

    private sealed class Builder(SearchState state, int[] nodes, int[] members, double[] initialLoad)
    {
        private readonly FlatProblem _p = state.Problem;
        private readonly ProblemExtensions _x = state.Problem.Extensions!;
        private readonly int[] _assignment = state.Assignment;
        private readonly LinearModel _model = new();
        private readonly int[] _column = new int[members.Length * nodes.Length];
        private readonly bool[] _inSet = new bool[state.Problem.Partitions];
        private readonly List<double> _start = [];

        public NodeSetModel Build()
        {
            foreach (int i in members)
            {
                _inSet[i] = true;
            }

            AddAssignments();
            for (int j = 0; j < nodes.Length; j++)
            {
                AddNode(j);
            }

            AddGroups();
            var start = _start.ToArray();
            return new NodeSetModel(_model, start, members, nodes, _column);
        }

        private int Column(int m, int j) => _column[(m * nodes.Length) + j];

        private void AddAssignments()
        {
            Array.Fill(_column, -1);
            for (int m = 0; m < members.Length; m++)
            {
                int i = members[m];
                int row = _model.AddRow(1, 1);
                for (int j = 0; j < nodes.Length; j++)
                {
                    int n = nodes[j];
                    bool current = _assignment[i] == n;
                    if (!current && (_p.Pinned[i] || !_p.IsAllowed(i, n)))
                    {
                        continue;
                    }

                    int c = _model.AddBinary(MoveCost(i, n));
                    _column[(m * nodes.Length) + j] = c;
                    _model.Add(row, c, 1);
                    SetStart(c, current ? 1 : 0);
                }
            }
        }

        private void SetStart(int column, double value)
        {
            while (_start.Count <= column)
            {
                _start.Add(0);
            }

            _start[column] = value;
        }

        private double MoveCost(int i, int n)
        {
            int home = _p.Initial[i];
            double cost = _p.Weights.Move * state.MigrationCost(i, n);
            if (n != home)
            {
                cost += _x.PartitionMoveWeight * _x.MoveCost[i];
            }

            if (_x.NodeMoveCost is { } pair)
            {
                cost += _x.NodeMoveWeight * pair[(home * _p.Nodes) + n];
            }

            return cost;
        }

        private void AddNode(int j)
        {
            int n = nodes[j];
            int resources = _x.Resources;
            var capacity = _x.Capacity.AsSpan(n * resources, resources);
            var safety = _x.Safety.AsSpan(n * resources, resources);
            for (int h = 0; h < _x.Steps; h++)
            {
                for (int r = 0; r < resources; r++)
                {
                    int k = (h * resources) + r;
                    int capacityRow = _model.AddRow(double.NegativeInfinity, capacity[r]);
                    int safetyRow = -1;
                    if (_x.SafetyWeight[r] > 0)
                    {
                        safetyRow = _model.AddRow(double.NegativeInfinity, safety[r]);
                        _model.Add(safetyRow, _model.AddContinuous(0, double.PositiveInfinity, _x.SafetyWeight[r]), -1);
                    }

                    int transientRow = _x.Transient[r] ? _model.AddRow(double.NegativeInfinity, capacity[r] - InitialLoad(n, k)) : -1;
                    for (int m = 0; m < members.Length; m++)
                    {
                        int c = Column(m, j);
                        double load = _x.Load[(members[m] * _x.Width) + k];
                        if (c < 0 || load == 0)
                        {
                            continue;
                        }

                        _model.Add(capacityRow, c, load);
                        if (safetyRow >= 0)
                        {
                            _model.Add(safetyRow, c, load);
                        }

                        if (transientRow >= 0 && _p.Initial[members[m]] != n)
                        {
                            _model.Add(transientRow, c, load);
                        }
                    }
                }

                AddBalance(j, h);
            }
        }

        /// <summary>What every partition whose initial node is n holds there on lane k, wherever it now is.</summary>
        private double InitialLoad(int n, int k) => initialLoad[(n * _x.Width) + k];

        private void AddBalance(int j, int h)
        {
            int n = nodes[j];
            int resources = _x.Resources;
            for (int t = 0; t < _x.BalanceA.Length; t++)
            {
                if (_x.BalanceWeight[t] == 0)
                {
                    continue;
                }

                int a = _x.BalanceA[t];
                int b = _x.BalanceB[t];
                double target = _x.BalanceTarget[t];

                // slack >= target * (Ca - La) - (Cb - Lb), i.e. sum (Lb - target * La) x - slack <= Cb - target * Ca.
                int row = _model.AddRow(double.NegativeInfinity, _x.Capacity[(n * resources) + b] - (target * _x.Capacity[(n * resources) + a]));
                _model.Add(row, _model.AddContinuous(0, double.PositiveInfinity, _x.BalanceWeight[t]), -1);
                for (int m = 0; m < members.Length; m++)
                {
                    int c = Column(m, j);
                    if (c >= 0)
                    {
                        int baseIndex = (members[m] * _x.Width) + (h * resources);
                        _model.Add(row, c, _x.Load[baseIndex + b] - (target * _x.Load[baseIndex + a]));
                    }
                }
            }
        }

        private void AddGroups()
        {
            var byGroup = new Dictionary<int, List<int>>();
            for (int m = 0; m < members.Length; m++)
            {
                int g = _p.GroupOf[members[m]];
                if (g >= 0)
                {
                    if (!byGroup.TryGetValue(g, out var list))
                    {
                        byGroup[g] = list = [];
                    }

                    list.Add(m);
                }
            }

            foreach (var (g, inSet) in byGroup)
            {
                AddDistinctNodes(inSet);
                AddZones(g, inSet);
            }

            if (_x.HasDependencies)
            {
                AddDependencies(byGroup);
            }

            if (_x.GroupMoveWeight > 0)
            {
                AddLargestMovedCount(byGroup);
            }
        }

        private void AddDistinctNodes(List<int> inSet)
        {
            if (inSet.Count < 2)
            {
                return;
            }

            for (int j = 0; j < nodes.Length; j++)
            {
                int row = _model.AddRow(double.NegativeInfinity, 1);
                foreach (int m in inSet)
                {
                    if (Column(m, j) >= 0)
                    {
                        _model.Add(row, Column(m, j), 1);
                    }
                }
            }
        }

        private void AddZones(int g, List<int> inSet)
        {
            int needed = _p.GroupMinZones[g];
            var fixedZones = new HashSet<int>();
            foreach (int i in _p.MembersOf(g))
            {
                if (!_inSet[i])
                {
                    fixedZones.Add(_p.NodeZone[_assignment[i]]);
                }
            }

            if (fixedZones.Count >= needed)
            {
                return;
            }

            int coverRow = _model.AddRow(needed - fixedZones.Count, double.PositiveInfinity);
            foreach (int zone in nodes.Select(n => _p.NodeZone[n]).Distinct())
            {
                if (fixedZones.Contains(zone))
                {
                    continue;
                }

                int y = _model.AddContinuous(0, 1, 0);
                _model.Add(coverRow, y, 1);
                int row = _model.AddRow(double.NegativeInfinity, 0);
                _model.Add(row, y, 1);
                for (int j = 0; j < nodes.Length; j++)
                {
                    if (_p.NodeZone[nodes[j]] != zone)
                    {
                        continue;
                    }

                    foreach (int m in inSet)
                    {
                        if (Column(m, j) >= 0)
                        {
                            _model.Add(row, Column(m, j), -1);
                        }
                    }
                }
            }
        }

        /// <summary>For every dependency with a side in the set: where the set's nodes meet a neighbourhood, a
        /// member of the dependent group there needs one of the group it depends on there.</summary>
        private void AddDependencies(Dictionary<int, List<int>> byGroup)
        {
            var pairs = new HashSet<(int Dependent, int Need)>();
            foreach (int g in byGroup.Keys)
            {
                for (int d = _x.DependsStart[g]; d < _x.DependsStart[g + 1]; d++)
                {
                    pairs.Add((g, _x.DependsOn[d]));
                }

                for (int d = _x.DependentStart[g]; d < _x.DependentStart[g + 1]; d++)
                {
                    pairs.Add((_x.Dependents[d], g));
                }
            }

            var hoods = nodes.Select(n => _x.NodeNeighborhood[n]).Distinct().ToArray();
            foreach (var (dependent, need) in pairs)
            {
                foreach (int hood in hoods)
                {
                    if (PresentOutside(need, hood))
                    {
                        continue;
                    }

                    var needColumns = ColumnsIn(byGroup, need, hood);
                    if (PresentOutside(dependent, hood))
                    {
                        int row = _model.AddRow(1, double.PositiveInfinity);
                        foreach (int c in needColumns)
                        {
                            _model.Add(row, c, 1);
                        }
                    }

                    foreach (int c in ColumnsIn(byGroup, dependent, hood))
                    {
                        int row = _model.AddRow(double.NegativeInfinity, 0);
                        _model.Add(row, c, 1);
                        foreach (int nc in needColumns)
                        {
                            _model.Add(row, nc, -1);
                        }
                    }
                }
            }
        }

        private bool PresentOutside(int group, int hood)
        {
            foreach (int i in _p.MembersOf(group))
            {
                if (!_inSet[i] && _x.NodeNeighborhood[_assignment[i]] == hood)
                {
                    return true;
                }
            }

            return false;
        }

        private List<int> ColumnsIn(Dictionary<int, List<int>> byGroup, int group, int hood)
        {
            var columns = new List<int>();
            if (byGroup.TryGetValue(group, out var inSet))
            {
                foreach (int m in inSet)
                {
                    for (int j = 0; j < nodes.Length; j++)
                    {
                        if (Column(m, j) >= 0 && _x.NodeNeighborhood[nodes[j]] == hood)
                        {
                            columns.Add(Column(m, j));
                        }
                    }
                }
            }

            return columns;
        }

        /// <summary>The largest moved count of a group: at least every group's count outside the set, and for each
        /// group in the set its fixed count plus its members not on their initial node.</summary>
        private void AddLargestMovedCount(Dictionary<int, List<int>> byGroup)
        {
            var movedOutside = new int[_p.Groups];
            for (int i = 0; i < _p.Partitions; i++)
            {
                int g = _p.GroupOf[i];
                if (g >= 0 && !_inSet[i] && _assignment[i] != _p.Initial[i])
                {
                    movedOutside[g]++;
                }
            }

            int floor = 0;
            for (int g = 0; g < _p.Groups; g++)
            {
                floor = byGroup.ContainsKey(g) ? floor : Math.Max(floor, movedOutside[g]);
            }

            int largest = _model.AddContinuous(floor, double.PositiveInfinity, _x.GroupMoveWeight);
            foreach (var (g, inSet) in byGroup)
            {
                // moved(g) = outside + sum over members of (1 - x[m, home]) <= largest.
                int row = _model.AddRow(movedOutside[g] + inSet.Count, double.PositiveInfinity);
                _model.Add(row, largest, 1);
                foreach (int m in inSet)
                {
                    int home = Array.IndexOf(nodes, _p.Initial[members[m]]);
                    if (home >= 0 && Column(m, home) >= 0)
                    {
                        _model.Add(row, Column(m, home), 1);
                    }
                }
            }
        }
    }
}
