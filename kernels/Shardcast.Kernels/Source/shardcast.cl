/*
 * Shardcast's one kernel source: OpenCL C 1.2, and CUDA C++ through NVRTC (the dialect shim below).
 *
 * One work-item owns one annealing chain (one candidate assignment) and everything a move needs, kept
 * incrementally exactly as the managed backend keeps it (kernels/Shardcast.Kernels/Managed/SearchState.cs):
 * node loads, node peaks, members per node, the moved partitions, group counts per zone, violations, energy,
 * and where a cluster uses the extended model the state of ExtensionState.cs (double loads in the cluster's units,
 * departed transient load, moved members per group, neighbourhood counts, cached node energies) with the
 * ejection chains of EjectionChain.cs. The proposal logic, the random stream and the float operations follow AnnealingChain.cs step by step, so a
 * chain here and a managed chain from the same seed draw the same proposals; their float sums are grouped the
 * same way (eight partial sums reduced as .NET's Vector256.Sum does), and contraction into FMA is switched
 * off, so they take the same decisions wherever the two exponential functions agree.
 *
 * The layout of dims[], params[], terms[] and the per-chain arrays is mirrored in Device/KernelLayout.cs, that of
 * xdims[] and xparams[] in Device/ExtensionBuffers.cs. Two computations stay in their plain form here although the
 * managed backend has faster ones, so that identical plans keep checking them: the overflow test (a scalar loop)
 * and the dependency delta (a scan over every need and dependent).
 */

#if defined(__CUDACC_RTC__) || defined(__CUDACC__)
#define KERNEL extern "C" __global__
#define GLOBAL
#define INLINE static __device__ inline
#define CHAIN_ID() ((long)blockIdx.x * (long)blockDim.x + (long)threadIdx.x)
#define ulong unsigned long long
#define uint unsigned int
#define EXPF(x) expf(x)
#define F_INFINITY __int_as_float(0x7f800000)
#define D_NAN __longlong_as_double(0x7ff8000000000000LL)
#else
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF
#define KERNEL __kernel
#define GLOBAL __global
#define INLINE static inline
#define CHAIN_ID() ((long)get_global_id(0))
#define EXPF(x) exp(x)
#define F_INFINITY INFINITY
#define D_NAN ((double)NAN)
#endif

/* dims[] */
#define D_PARTITIONS 0
#define D_NODES 1
#define D_STRIDE 2
#define D_ZONES 3
#define D_NODE_WORDS 4
#define D_GROUPS 5
#define D_AFFINITY 6
#define D_MOVABLE 7
#define D_EDGES 8
#define D_MAX_MOVES 9
#define D_SLOTS 10
#define D_WIDE 11
#define D_SWAP_THRESHOLD 12
#define D_BIAS_THRESHOLD 13
#define D_CHAINS 14

/* params[] */
#define F_MAX_BYTES 0
#define F_W_BALANCE 1
#define F_W_HEADROOM 2
#define F_W_MOVE 3
#define F_W_AFFINITY 4
#define F_W_LINEAGE 5
#define F_PENALTY 6
#define F_OVERLOAD_PENALTY 7
#define F_VIOLATION_PENALTY 8

/* xdims[]: the extended model (ProblemExtensions) */
#define X_PRESENT 0
#define X_WIDTH 1
#define X_RESOURCES 2
#define X_STEPS 3
#define X_BALANCE_TERMS 4
#define X_HARD_CAPACITY 5
#define X_NEIGHBORHOODS 6
#define X_HAS_NODE_MOVE 7
#define X_HAS_TRANSIENT 8
#define X_HAS_DEPENDENCIES 9
#define X_HISTOGRAM 10

/* xparams[] */
#define XP_PARTITION_MOVE 0
#define XP_NODE_MOVE 1
#define XP_GROUP_MOVE 2

/* terms[] per chain */
#define T_BALANCE 0
#define T_HEADROOM 1
#define T_MIGRATION 2
#define T_AFFINITY 3
#define T_LINEAGE 4
#define T_OVERLOAD 5
#define T_VIOLATIONS 6
#define T_ENERGY 7
#define T_SAFETY 8
#define T_RESOURCE_BALANCE 9
#define T_PARTITION_MOVE 10
#define T_GROUP_MOVE 11
#define T_NODE_MOVE 12
#define T_COUNT 16

/* chain_int[] per chain */
#define C_MOVES 0
#define C_VIOLATIONS 1
#define C_SLOT_OVERFLOW 2
#define C_MAX_MOVED 3
#define C_INTS 4

/* chain_long[] per chain */
#define L_EVALUATED 0
#define L_ACCEPTED 1
#define L_UPHILL_PROPOSED 2
#define L_UPHILL_ACCEPTED 3
#define L_COUNT 4

#define HOT_TOURNAMENT 4
#define COOL_TOURNAMENT 3
#define ALLOWED_TRIES 8
#define TARGET_CANDIDATES 3
#define EJECT_SHARE 0x0520000000000000UL
#define MAX_EJECTIONS 4
#define DESTINATION_SAMPLE 128
#define RETURN_SHARE 0x19999999UL
#define RETURN_SHARE_TIGHT 0x80000000UL
#define JOIN_SHARE 0x19999999UL
#define SWAP_HOME_FROM 0x9999999AUL
#define SWAP_HOME_TRIES 4
#define PARTNER_CANDIDATES 32
#define TARGET_CHOICES 4

#define PROBLEM_ARGS \
    GLOBAL const int* dims, GLOBAL const double* params, \
    GLOBAL const float* load, GLOBAL const float* heat, GLOBAL const float* capacity, GLOBAL const float* inverse_capacity, \
    GLOBAL const float* balance_target, GLOBAL const float* headroom_limit, GLOBAL const double* size_bytes, \
    GLOBAL const float* size_fraction, GLOBAL const int* initial, GLOBAL const int* pinned, GLOBAL const int* node_zone, \
    GLOBAL const float* zone_distance, GLOBAL const ulong* domain_masks, GLOBAL const int* domain_of, GLOBAL const int* group_of, \
    GLOBAL const int* group_start, GLOBAL const int* group_members, GLOBAL const int* group_min_zones, GLOBAL const int* parent, \
    GLOBAL const int* coupling_start, GLOBAL const int* coupling_target, GLOBAL const float* coupling_weight, \
    GLOBAL const int* affinity_a, GLOBAL const int* affinity_b, GLOBAL const float* affinity_weight, \
    GLOBAL const int* movable, GLOBAL const int* edge_source

#define STATE_ARGS \
    GLOBAL int* assign_all, GLOBAL float* node_load_all, GLOBAL float* node_peak_all, GLOBAL int* member_list_all, \
    GLOBAL int* member_pos_all, GLOBAL int* member_count_all, GLOBAL int* moved_list_all, GLOBAL int* moved_pos_all, \
    GLOBAL int* in_zone_all, GLOBAL int* zones_all, GLOBAL int* chain_int, GLOBAL double* chain_double, \
    GLOBAL long* chain_long, GLOBAL ulong* rng

#define EXT_ARGS \
    GLOBAL const int* xdims, GLOBAL const double* xparams, GLOBAL const double* xload, GLOBAL const double* xcapacity, \
    GLOBAL const double* xsafety, GLOBAL const double* xsafety_weight, GLOBAL const int* xtransient, GLOBAL const double* xscale, \
    GLOBAL const int* xbalance_a, GLOBAL const int* xbalance_b, GLOBAL const double* xbalance_target, GLOBAL const double* xbalance_weight, \
    GLOBAL const double* xmove_cost, GLOBAL const double* xnode_move_cost, GLOBAL const int* xnode_neighborhood, \
    GLOBAL const int* xdepends_start, GLOBAL const int* xdepends_on, GLOBAL const int* xdependent_start, GLOBAL const int* xdependents, \
    GLOBAL double* xload_all, GLOBAL double* xdeparted_all, GLOBAL double* xafter_all, GLOBAL int* xmoved_in_group_all, \
    GLOBAL int* xhistogram_all, GLOBAL int* xin_neighborhood_all, GLOBAL double* xnode_energy_all, GLOBAL int* xnode_violations_all

#define EXT_PASS \
    xdims, xparams, xload, xcapacity, xsafety, xsafety_weight, xtransient, xscale, xbalance_a, xbalance_b, xbalance_target, \
    xbalance_weight, xmove_cost, xnode_move_cost, xnode_neighborhood, xdepends_start, xdepends_on, xdependent_start, xdependents, \
    xload_all, xdeparted_all, xafter_all, xmoved_in_group_all, xhistogram_all, xin_neighborhood_all, xnode_energy_all, xnode_violations_all

#define PROBLEM_PASS \
    dims, params, load, heat, capacity, inverse_capacity, balance_target, headroom_limit, size_bytes, size_fraction, initial, \
    pinned, node_zone, zone_distance, domain_masks, domain_of, group_of, group_start, group_members, group_min_zones, parent, \
    coupling_start, coupling_target, coupling_weight, affinity_a, affinity_b, affinity_weight, movable, edge_source

typedef struct
{
    GLOBAL const float* load;
    GLOBAL const float* heat;
    GLOBAL const float* capacity;
    GLOBAL const float* inverse_capacity;
    GLOBAL const float* balance_target;
    GLOBAL const float* headroom_limit;
    GLOBAL const double* size_bytes;
    GLOBAL const float* size_fraction;
    GLOBAL const int* initial;
    GLOBAL const int* pinned;
    GLOBAL const int* node_zone;
    GLOBAL const float* zone_distance;
    GLOBAL const ulong* domain_masks;
    GLOBAL const int* domain_of;
    GLOBAL const int* group_of;
    GLOBAL const int* group_start;
    GLOBAL const int* group_members;
    GLOBAL const int* group_min_zones;
    GLOBAL const int* parent;
    GLOBAL const int* coupling_start;
    GLOBAL const int* coupling_target;
    GLOBAL const float* coupling_weight;
    GLOBAL const int* affinity_a;
    GLOBAL const int* affinity_b;
    GLOBAL const float* affinity_weight;
    GLOBAL const int* movable;
    GLOBAL const int* edge_source;
    int partitions, nodes, stride, zones, node_words, groups, affinity, movable_count, edges, max_moves, slots, wide;
    uint swap_threshold, bias_threshold;
    double max_bytes, w_balance_d, w_headroom_d, w_move_d, w_affinity_d, w_lineage_d, overload_penalty, violation_penalty;
    float w_balance, w_headroom, w_move, penalty;
    /* the extended model (x_present = 0: none) */
    GLOBAL const double* xload;
    GLOBAL const double* xcapacity;
    GLOBAL const double* xsafety;
    GLOBAL const double* xsafety_weight;
    GLOBAL const int* xtransient;
    GLOBAL const double* xscale;
    GLOBAL const int* xbalance_a;
    GLOBAL const int* xbalance_b;
    GLOBAL const double* xbalance_target;
    GLOBAL const double* xbalance_weight;
    GLOBAL const double* xmove_cost;
    GLOBAL const double* xnode_move_cost;
    GLOBAL const int* xnode_neighborhood;
    GLOBAL const int* xdepends_start;
    GLOBAL const int* xdepends_on;
    GLOBAL const int* xdependent_start;
    GLOBAL const int* xdependents;
    int x_present, x_width, x_resources, x_steps, x_balance_terms, x_hard, x_neighborhoods, x_node_move, x_transient, x_dependencies, x_histogram;
    double x_partition_move, x_node_move_weight, x_group_move;
} Problem;

typedef struct
{
    GLOBAL int* assign;
    GLOBAL float* node_load;
    GLOBAL float* node_peak;
    GLOBAL int* member_list;
    GLOBAL int* member_pos;
    GLOBAL int* member_count;
    GLOBAL int* moved_list;
    GLOBAL int* moved_pos;
    GLOBAL int* in_zone;
    GLOBAL int* zone_count;
    GLOBAL int* ints;
    GLOBAL double* doubles;
    GLOBAL long* longs;
    ulong key;
    ulong counter;
    /* the extended model's state (ExtensionState) */
    GLOBAL double* xl;
    GLOBAL double* xd;
    GLOBAL double* xa;
    GLOBAL double* xad;
    GLOBAL int* xmig;
    GLOBAL int* xhist;
    GLOBAL int* xinb;
    GLOBAL double* xnen;
    GLOBAL int* xnvi;
} Chain;

/* ---- counter-based random numbers (Random/CounterRng.cs) ---- */

INLINE ulong mix64(ulong z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
    return z ^ (z >> 31);
}

INLINE ulong next_u64(Chain* c)
{
    c->counter += 1;
    return mix64(c->key + (c->counter * 0x9E3779B97F4A7C15UL));
}

INLINE int next_int(Chain* c, int bound)
{
    return (int)(((next_u64(c) >> 32) * (ulong)(uint)bound) >> 32);
}

INLINE float next_float(Chain* c)
{
    return (float)(next_u64(c) >> 40) * (1.0f / 16777216.0f);
}

/* ---- problem and chain views ---- */

INLINE Problem make_problem(PROBLEM_ARGS)
{
    Problem p;
    p.load = load; p.heat = heat; p.capacity = capacity; p.inverse_capacity = inverse_capacity;
    p.balance_target = balance_target; p.headroom_limit = headroom_limit; p.size_bytes = size_bytes;
    p.size_fraction = size_fraction; p.initial = initial; p.pinned = pinned; p.node_zone = node_zone;
    p.zone_distance = zone_distance; p.domain_masks = domain_masks; p.domain_of = domain_of; p.group_of = group_of;
    p.group_start = group_start; p.group_members = group_members; p.group_min_zones = group_min_zones; p.parent = parent;
    p.coupling_start = coupling_start; p.coupling_target = coupling_target; p.coupling_weight = coupling_weight;
    p.affinity_a = affinity_a; p.affinity_b = affinity_b; p.affinity_weight = affinity_weight;
    p.movable = movable; p.edge_source = edge_source;
    p.partitions = dims[D_PARTITIONS]; p.nodes = dims[D_NODES]; p.stride = dims[D_STRIDE]; p.zones = dims[D_ZONES];
    p.node_words = dims[D_NODE_WORDS]; p.groups = dims[D_GROUPS]; p.affinity = dims[D_AFFINITY];
    p.movable_count = dims[D_MOVABLE]; p.edges = dims[D_EDGES]; p.max_moves = dims[D_MAX_MOVES]; p.slots = dims[D_SLOTS];
    p.wide = dims[D_WIDE]; p.swap_threshold = (uint)dims[D_SWAP_THRESHOLD]; p.bias_threshold = (uint)dims[D_BIAS_THRESHOLD];
    p.max_bytes = params[F_MAX_BYTES];
    p.w_balance_d = params[F_W_BALANCE]; p.w_headroom_d = params[F_W_HEADROOM]; p.w_move_d = params[F_W_MOVE];
    p.w_affinity_d = params[F_W_AFFINITY]; p.w_lineage_d = params[F_W_LINEAGE];
    p.overload_penalty = params[F_OVERLOAD_PENALTY]; p.violation_penalty = params[F_VIOLATION_PENALTY];
    p.w_balance = (float)params[F_W_BALANCE]; p.w_headroom = (float)params[F_W_HEADROOM]; p.w_move = (float)params[F_W_MOVE];
    p.penalty = (float)params[F_PENALTY];
    p.x_present = 0;
    p.x_hard = 0;
    return p;
}

INLINE void attach_extension(Problem* p, EXT_ARGS)
{
    p->x_present = xdims[X_PRESENT];
    p->x_width = xdims[X_WIDTH]; p->x_resources = xdims[X_RESOURCES]; p->x_steps = xdims[X_STEPS];
    p->x_balance_terms = xdims[X_BALANCE_TERMS]; p->x_hard = xdims[X_HARD_CAPACITY]; p->x_neighborhoods = xdims[X_NEIGHBORHOODS];
    p->x_node_move = xdims[X_HAS_NODE_MOVE]; p->x_transient = xdims[X_HAS_TRANSIENT]; p->x_dependencies = xdims[X_HAS_DEPENDENCIES];
    p->x_histogram = xdims[X_HISTOGRAM];
    p->x_partition_move = xparams[XP_PARTITION_MOVE]; p->x_node_move_weight = xparams[XP_NODE_MOVE]; p->x_group_move = xparams[XP_GROUP_MOVE];
    p->xload = xload; p->xcapacity = xcapacity; p->xsafety = xsafety; p->xsafety_weight = xsafety_weight; p->xtransient = xtransient;
    p->xscale = xscale; p->xbalance_a = xbalance_a; p->xbalance_b = xbalance_b; p->xbalance_target = xbalance_target;
    p->xbalance_weight = xbalance_weight; p->xmove_cost = xmove_cost; p->xnode_move_cost = xnode_move_cost;
    p->xnode_neighborhood = xnode_neighborhood; p->xdepends_start = xdepends_start; p->xdepends_on = xdepends_on;
    p->xdependent_start = xdependent_start; p->xdependents = xdependents;
}

#define ATTACH_CHAIN_EXTENSION(c, pr, id) \
    if ((pr).x_present) \
    { \
        long x_rows = (long)(pr).nodes * (pr).x_width; \
        long x_groups = (pr).groups > 0 ? (pr).groups : 1; \
        (c).xl = xload_all + (id) * x_rows; \
        (c).xd = xdeparted_all + (id) * x_rows; \
        (c).xa = xafter_all + (id) * 2L * (pr).x_width; \
        (c).xad = (c).xa + (pr).x_width; \
        (c).xmig = xmoved_in_group_all + (id) * x_groups; \
        (c).xhist = xhistogram_all + (id) * (long)(pr).x_histogram; \
        (c).xinb = xin_neighborhood_all + (id) * x_groups * (pr).x_neighborhoods; \
        (c).xnen = xnode_energy_all + (id) * (long)(pr).nodes; \
        (c).xnvi = xnode_violations_all + (id) * (long)(pr).nodes; \
    }

#define MAKE_CHAIN(c, pr, id) \
    Chain c; \
    c.assign = assign_all + (id) * (long)(pr).partitions; \
    c.node_load = node_load_all + (id) * (long)(pr).nodes * (pr).stride; \
    c.node_peak = node_peak_all + (id) * (long)(pr).nodes; \
    c.member_list = member_list_all + (id) * (long)(pr).nodes * (pr).slots; \
    c.member_pos = member_pos_all + (id) * (long)(pr).partitions; \
    c.member_count = member_count_all + (id) * (long)(pr).nodes; \
    c.moved_list = moved_list_all + (id) * (long)(pr).partitions; \
    c.moved_pos = moved_pos_all + (id) * (long)(pr).partitions; \
    c.in_zone = in_zone_all + (id) * (long)((pr).groups > 0 ? (pr).groups : 1) * (pr).zones; \
    c.zone_count = zones_all + (id) * (long)((pr).groups > 0 ? (pr).groups : 1); \
    c.ints = chain_int + (id) * C_INTS; \
    c.doubles = chain_double + (id) * 2; \
    c.longs = chain_long + (id) * L_COUNT; \
    c.key = rng[(id) * 2]; \
    c.counter = rng[(id) * 2 + 1]

INLINE int is_allowed(const Problem* p, int partition, int node)
{
    long word = (long)p->domain_of[partition] * p->node_words + (node >> 6);
    return (int)((p->domain_masks[word] >> (node & 63)) & 1UL);
}

INLINE float migration_cost(const Problem* p, int partition, int node)
{
    int home = p->initial[partition];
    return node == home ? 0.0f : p->size_fraction[partition] * p->zone_distance[p->node_zone[home] * p->zones + p->node_zone[node]];
}

INLINE float max0(float x)
{
    return x > 0.0f ? x : 0.0f;
}

/* One lane of NodeTerms.Lane: the change of w_bal*(l-T)^2/c + w_over*max(0,l-theta*c)^2/c + penalty*max(0,l-c). */
INLINE float lane_delta(float before, float change, float c, float inv, float t, float h, float wb, float wh, float wp)
{
    float after = before + change;
    float ea = after - t;
    float eb = before - t;
    float oa = max0(after - h);
    float ob = max0(before - h);
    float over = max0(after - c) - max0(before - c);
    float quad = (wb * ((ea * ea) - (eb * eb))) + (wh * ((oa * oa) - (ob * ob)));
    return (quad * inv) + (wp * over);
}

/* .NET's Vector256.Sum: ((e0+e1)+(e2+e3)) + ((e4+e5)+(e6+e7)). */
INLINE float sum8(const float* a)
{
    return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

/* NodeTerms.PairDelta: node a's row changes by sign_a*change, node b's by the opposite, one 8-lane accumulator;
   change is plus - minus where minus is given (a swap), else plus (a move). */
INLINE float pair_delta(const Problem* p, const Chain* c, int a, int b, GLOBAL const float* plus, GLOBAL const float* minus, float sign_a)
{
    float acc[8];
    for (int j = 0; j < 8; j++) acc[j] = 0.0f;
    long oa = (long)a * p->stride;
    long ob = (long)b * p->stride;
    for (int k = 0; k < p->stride; k += 8)
    {
        for (int j = 0; j < 8; j++)
        {
            /* A swap's change is row_b - row_a, formed lane by lane exactly as TensorPrimitives.Subtract forms it. */
            float raw = minus != 0 ? plus[k + j] - minus[k + j] : plus[k + j];
            float d = sign_a * raw;
            acc[j] += lane_delta(c->node_load[oa + k + j], d, p->capacity[oa + k + j], p->inverse_capacity[oa + k + j],
                                 p->balance_target[oa + k + j], p->headroom_limit[oa + k + j], p->w_balance, p->w_headroom, p->penalty);
            acc[j] += lane_delta(c->node_load[ob + k + j], -d, p->capacity[ob + k + j], p->inverse_capacity[ob + k + j],
                                 p->balance_target[ob + k + j], p->headroom_limit[ob + k + j], p->w_balance, p->w_headroom, p->penalty);
        }
    }

    return sum8(acc);
}

/* NodeTerms.Delta: one node row; a first pass of `wide` lanes (16 where the host has 512-bit vectors), then 8. */
INLINE float node_delta(const Problem* p, const Chain* c, int node, GLOBAL const float* change, float sign)
{
    long o = (long)node * p->stride;
    int n = p->stride;
    int k = 0;
    float sum = 0.0f;
    if (p->wide == 16)
    {
        float acc[16];
        for (int j = 0; j < 16; j++) acc[j] = 0.0f;
        for (; k <= n - 16; k += 16)
        {
            for (int j = 0; j < 16; j++)
            {
                acc[j] += lane_delta(c->node_load[o + k + j], sign * change[k + j], p->capacity[o + k + j], p->inverse_capacity[o + k + j],
                                     p->balance_target[o + k + j], p->headroom_limit[o + k + j], p->w_balance, p->w_headroom, p->penalty);
            }
        }

        sum += sum8(acc) + sum8(acc + 8);
    }

    if (n - k >= 8)
    {
        float acc[8];
        for (int j = 0; j < 8; j++) acc[j] = 0.0f;
        for (; k <= n - 8; k += 8)
        {
            for (int j = 0; j < 8; j++)
            {
                acc[j] += lane_delta(c->node_load[o + k + j], sign * change[k + j], p->capacity[o + k + j], p->inverse_capacity[o + k + j],
                                     p->balance_target[o + k + j], p->headroom_limit[o + k + j], p->w_balance, p->w_headroom, p->penalty);
            }
        }

        sum += sum8(acc);
    }

    return sum;
}

INLINE float coupling_delta(const Problem* p, const Chain* c, int partition, int from, int to, int other, int other_node)
{
    float delta = 0.0f;
    int end = p->coupling_start[partition + 1];
    for (int e = p->coupling_start[partition]; e < end; e++)
    {
        int q = p->coupling_target[e];
        int at = q == other ? other_node : c->assign[q];
        int change = (at != to ? 1 : 0) - (at != from ? 1 : 0);
        delta += (float)change * p->coupling_weight[e];
    }

    return delta;
}

/* ---- clearing state ---- */

INLINE void clear_ints(GLOBAL int* a, long n)
{
    for (long k = 0; k < n; k++) a[k] = 0;
}

INLINE void clear_floats(GLOBAL float* a, long n)
{
    for (long k = 0; k < n; k++) a[k] = 0.0f;
}

INLINE void clear_doubles(GLOBAL double* a, long n)
{
    for (long k = 0; k < n; k++) a[k] = 0.0;
}

/* ---- the extended model's state (Managed/ExtensionState.cs), in double and in the cluster's units ---- */

typedef struct
{
    double safety, balance, transient;
    int violations;
} XNodeTerms;

INLINE double maxd0(double x)
{
    return x > 0.0 ? x : 0.0;
}

INLINE XNodeTerms x_node_terms(const Problem* p, int node, GLOBAL const double* load, GLOBAL const double* departed)
{
    XNodeTerms t;
    t.safety = 0.0; t.balance = 0.0; t.transient = 0.0; t.violations = 0;
    int resources = p->x_resources;
    GLOBAL const double* capacity = p->xcapacity + (long)node * resources;
    GLOBAL const double* limit = p->xsafety + (long)node * resources;
    for (int h = 0, k = 0; h < p->x_steps; h++)
    {
        for (int r = 0; r < resources; r++, k++)
        {
            double l = load[k];
            t.safety += p->xsafety_weight[r] * maxd0(l - limit[r]);
            double held = l + departed[k];
            if (p->x_hard)
            {
                t.violations += l > capacity[r] ? 1 : 0;
                t.violations += p->xtransient[r] && held > capacity[r] && held > l ? 1 : 0;
            }
            else if (p->xtransient[r] && held > l)
            {
                t.transient += (maxd0(held - capacity[r]) - maxd0(l - capacity[r])) / p->xscale[r];
            }
        }
    }

    for (int b = 0; b < p->x_balance_terms; b++)
    {
        int ra = p->xbalance_a[b];
        int rb = p->xbalance_b[b];
        for (int h = 0; h < p->x_steps; h++)
        {
            double available_a = capacity[ra] - load[h * resources + ra];
            double available_b = capacity[rb] - load[h * resources + rb];
            t.balance += p->xbalance_weight[b] * maxd0((p->xbalance_target[b] * available_a) - available_b);
        }
    }

    return t;
}

INLINE double x_energy(XNodeTerms t, const Problem* p)
{
    return t.safety + t.balance + (p->overload_penalty * t.transient);
}

INLINE void x_cache_node(const Problem* p, Chain* c, int node)
{
    XNodeTerms t = x_node_terms(p, node, c->xl + (long)node * p->x_width, c->xd + (long)node * p->x_width);
    c->xnen[node] = x_energy(t, p);
    c->xnvi[node] = t.violations;
}

INLINE void x_add_row(const Problem* p, GLOBAL double* target, int node, int partition, int sign)
{
    GLOBAL const double* row = p->xload + (long)partition * p->x_width;
    GLOBAL double* into = target + (long)node * p->x_width;
    for (int k = 0; k < p->x_width; k++)
    {
        into[k] += sign * row[k];
    }
}

INLINE int x_moved_change(const Problem* p, const Chain* c, int partition, int from, int to)
{
    int home = p->initial[partition];
    return (to != home ? 1 : 0) - (from != home ? 1 : 0);
}

INLINE double x_node_pair_cost(const Problem* p, int from, int to)
{
    return p->x_node_move ? p->xnode_move_cost[(long)from * p->nodes + to] : 0.0;
}

INLINE int x_in_neighborhood(const Problem* p, const Chain* c, int group, int neighborhood)
{
    return c->xinb[(long)group * p->x_neighborhoods + neighborhood];
}

INLINE int x_broken(int have, int needed)
{
    return have > 0 && needed == 0 ? 1 : 0;
}

/* Recomputes everything from the assignment (ExtensionState.Reset). */
INLINE void x_reset(const Problem* p, Chain* c)
{
    clear_doubles(c->xl, (long)p->nodes * p->x_width);
    clear_doubles(c->xd, (long)p->nodes * p->x_width);
    clear_ints(c->xmig, p->groups);
    clear_ints(c->xhist, p->x_histogram);
    clear_ints(c->xinb, (long)p->groups * p->x_neighborhoods);

    for (int i = 0; i < p->partitions; i++)
    {
        int n = c->assign[i];
        int home = p->initial[i];
        x_add_row(p, c->xl, n, i, 1);
        if (n != home)
        {
            if (p->x_transient)
            {
                x_add_row(p, c->xd, home, i, 1);
            }

            if (p->group_of[i] >= 0)
            {
                c->xmig[p->group_of[i]]++;
            }
        }

        if (p->x_dependencies && p->group_of[i] >= 0)
        {
            c->xinb[(long)p->group_of[i] * p->x_neighborhoods + p->xnode_neighborhood[n]]++;
        }
    }

    int max_moved = 0;
    for (int g = 0; g < p->groups; g++)
    {
        c->xhist[c->xmig[g]]++;
        max_moved = c->xmig[g] > max_moved ? c->xmig[g] : max_moved;
    }

    c->ints[C_MAX_MOVED] = max_moved;
    for (int n = 0; n < p->nodes; n++)
    {
        x_cache_node(p, c, n);
    }
}

INLINE void x_shift(const Problem* p, Chain* c, int node, int partition, int sign)
{
    GLOBAL const double* row = p->xload + (long)partition * p->x_width;
    int home = p->initial[partition] == node && p->x_transient;
    for (int k = 0; k < p->x_width; k++)
    {
        c->xa[k] += sign * row[k];
        if (home)
        {
            c->xad[k] -= sign * row[k];
        }
    }
}

/* Energy change of a node whose load changes by s1 times q1's row and s2 times q2's (q2 < 0: none). */
INLINE double x_node_delta(const Problem* p, Chain* c, int node, int q1, int s1, int q2, int s2, int* violation_delta)
{
    GLOBAL const double* load = c->xl + (long)node * p->x_width;
    GLOBAL const double* departed = c->xd + (long)node * p->x_width;
    for (int k = 0; k < p->x_width; k++)
    {
        c->xa[k] = load[k];
        c->xad[k] = departed[k];
    }

    x_shift(p, c, node, q1, s1);
    if (q2 >= 0)
    {
        x_shift(p, c, node, q2, s2);
    }

    XNodeTerms after = x_node_terms(p, node, c->xa, c->xad);
    *violation_delta = after.violations - c->xnvi[node];
    return x_energy(after, p) - c->xnen[node];
}

INLINE double x_group_move_delta(const Problem* p, const Chain* c, int partition, int from, int to)
{
    int g = p->group_of[partition];
    int change = x_moved_change(p, c, partition, from, to);
    if (g < 0 || change == 0 || p->x_group_move == 0.0)
    {
        return 0.0;
    }

    int max_moved = c->ints[C_MAX_MOVED];
    int count = c->xmig[g];
    int max = change > 0 ? (max_moved > count + 1 ? max_moved : count + 1) : count == max_moved && c->xhist[count] == 1 ? max_moved - 1 : max_moved;
    return p->x_group_move * (max - max_moved);
}

INLINE double x_move_cost_delta(const Problem* p, const Chain* c, int partition, int from, int to, double group_delta)
{
    int home = p->initial[partition];
    return (p->x_partition_move * p->xmove_cost[partition] * x_moved_change(p, c, partition, from, to))
         + (p->x_node_move_weight * (x_node_pair_cost(p, home, to) - x_node_pair_cost(p, home, from)))
         + group_delta;
}

INLINE void x_change_moved_count(const Problem* p, Chain* c, int group, int change)
{
    if (group < 0 || change == 0)
    {
        return;
    }

    c->xhist[c->xmig[group]]--;
    c->xmig[group] += change;
    c->xhist[c->xmig[group]]++;
    if (c->xmig[group] > c->ints[C_MAX_MOVED])
    {
        c->ints[C_MAX_MOVED] = c->xmig[group];
    }
    else if (c->xhist[c->ints[C_MAX_MOVED]] == 0)
    {
        c->ints[C_MAX_MOVED] -= 1;
    }
}

INLINE void x_change_neighborhood_count(const Problem* p, Chain* c, int group, int from, int to)
{
    if (group >= 0 && from != to && p->x_dependencies)
    {
        c->xinb[(long)group * p->x_neighborhoods + from]--;
        c->xinb[(long)group * p->x_neighborhoods + to]++;
    }
}

INLINE int x_dependency_delta(const Problem* p, const Chain* c, int group, int from, int to)
{
    if (group < 0 || from == to || !p->x_dependencies)
    {
        return 0;
    }

    int at_from = x_in_neighborhood(p, c, group, from);
    int at_to = x_in_neighborhood(p, c, group, to);

    /* Only presence counts: unless the group leaves `from` or enters `to`, no dependency changes. */
    if (at_from != 1 && at_to != 0)
    {
        return 0;
    }

    int delta = 0;
    for (int d = p->xdepends_start[group]; d < p->xdepends_start[group + 1]; d++)
    {
        int needed = p->xdepends_on[d];
        int needed_from = x_in_neighborhood(p, c, needed, from);
        int needed_to = x_in_neighborhood(p, c, needed, to);
        delta += x_broken(at_from - 1, needed_from) - x_broken(at_from, needed_from) + x_broken(at_to + 1, needed_to) - x_broken(at_to, needed_to);
    }

    for (int d = p->xdependent_start[group]; d < p->xdependent_start[group + 1]; d++)
    {
        int dependent = p->xdependents[d];
        int dependent_from = x_in_neighborhood(p, c, dependent, from);
        int dependent_to = x_in_neighborhood(p, c, dependent, to);
        delta += x_broken(dependent_from, at_from - 1) - x_broken(dependent_from, at_from) + x_broken(dependent_to, at_to + 1) - x_broken(dependent_to, at_to);
    }

    return delta;
}

/* Records partition moving from -> to; called before the assignment changes (ExtensionState.Apply). */
INLINE void x_apply(const Problem* p, Chain* c, int partition, int from, int to)
{
    int home = p->initial[partition];
    x_add_row(p, c->xl, from, partition, -1);
    x_add_row(p, c->xl, to, partition, 1);
    int moved = x_moved_change(p, c, partition, from, to);
    if (moved != 0)
    {
        if (p->x_transient)
        {
            x_add_row(p, c->xd, home, partition, moved);
        }

        x_change_moved_count(p, c, p->group_of[partition], moved);
    }

    x_change_neighborhood_count(p, c, p->group_of[partition], p->xnode_neighborhood[from], p->xnode_neighborhood[to]);
    x_cache_node(p, c, from);
    x_cache_node(p, c, to);
}

/* Whether node `to` would be over a hard capacity after gaining `gain` and losing `loss` (-1: none). */
INLINE int x_overflows(const Problem* p, const Chain* c, int to, int gain, int loss)
{
    if (!p->x_present || !p->x_hard)
    {
        return 0;
    }

    int resources = p->x_resources;
    GLOBAL const double* load = c->xl + (long)to * p->x_width;
    GLOBAL const double* departed = c->xd + (long)to * p->x_width;
    GLOBAL const double* capacity = p->xcapacity + (long)to * resources;
    GLOBAL const double* gained = p->xload + (long)gain * p->x_width;
    GLOBAL const double* lost = p->xload + (long)(loss >= 0 ? loss : 0) * p->x_width;
    int gain_home = p->initial[gain] == to;
    int loss_home = loss >= 0 && p->initial[loss] == to;
    for (int h = 0, k = 0; h < p->x_steps; h++)
    {
        for (int r = 0; r < resources; r++, k++)
        {
            double change = gained[k] - (loss >= 0 ? lost[k] : 0.0);
            double after = load[k] + change;
            if (after > capacity[r])
            {
                return 1;
            }

            if (p->xtransient[r])
            {
                double held = after + departed[k] - (gain_home ? gained[k] : 0.0) + (loss_home ? lost[k] : 0.0);
                if (held > capacity[r] && held > after)
                {
                    return 1;
                }
            }
        }
    }

    return 0;
}

INLINE float x_leave_delta(const Problem* p, Chain* c, int partition, int from)
{
    int unused;
    return (float)x_node_delta(p, c, from, partition, -1, -1, 0, &unused);
}

INLINE float x_arrive_delta(const Problem* p, Chain* c, int partition, int from, int to)
{
    int unused;
    return (float)(x_node_delta(p, c, to, partition, 1, -1, 0, &unused) + x_move_cost_delta(p, c, partition, from, to, x_group_move_delta(p, c, partition, from, to)));
}

INLINE int x_move_violation_delta(const Problem* p, Chain* c, int partition, int from, int to)
{
    int at_from, at_to;
    x_node_delta(p, c, from, partition, -1, -1, 0, &at_from);
    x_node_delta(p, c, to, partition, 1, -1, 0, &at_to);
    return at_from + at_to + x_dependency_delta(p, c, p->group_of[partition], p->xnode_neighborhood[from], p->xnode_neighborhood[to]);
}

INLINE float x_swap_delta(const Problem* p, Chain* c, int a, int b)
{
    int na = c->assign[a];
    int nb = c->assign[b];
    int unused;
    double nodes = x_node_delta(p, c, na, a, -1, b, 1, &unused) + x_node_delta(p, c, nb, a, 1, b, -1, &unused);
    double group_a = x_group_move_delta(p, c, a, na, nb);
    int change_a = x_moved_change(p, c, a, na, nb);
    x_change_moved_count(p, c, p->group_of[a], change_a);
    double group_b = x_group_move_delta(p, c, b, nb, na);
    x_change_moved_count(p, c, p->group_of[a], -change_a);
    return (float)(nodes + x_move_cost_delta(p, c, a, na, nb, group_a) + x_move_cost_delta(p, c, b, nb, na, group_b));
}

INLINE int x_swap_violation_delta(const Problem* p, Chain* c, int a, int b)
{
    int na = c->assign[a];
    int nb = c->assign[b];
    int at_a, at_b;
    x_node_delta(p, c, na, a, -1, b, 1, &at_a);
    x_node_delta(p, c, nb, a, 1, b, -1, &at_b);
    int ga = p->group_of[a];
    int nb_a = p->xnode_neighborhood[na];
    int nb_b = p->xnode_neighborhood[nb];
    int dependencies = x_dependency_delta(p, c, ga, nb_a, nb_b);
    x_change_neighborhood_count(p, c, ga, nb_a, nb_b);
    dependencies += x_dependency_delta(p, c, p->group_of[b], nb_b, nb_a);
    x_change_neighborhood_count(p, c, ga, nb_b, nb_a);
    return at_a + at_b + dependencies;
}

/* ---- incremental bookkeeping (NodeMembership, GroupPlacement, SearchState.ApplyMove) ---- */

INLINE int member_add(const Problem* p, Chain* c, int node, int partition)
{
    int count = c->member_count[node];
    if (count >= p->slots)
    {
        return 0;
    }

    c->member_list[(long)node * p->slots + count] = partition;
    c->member_pos[partition] = count;
    c->member_count[node] = count + 1;
    return 1;
}

INLINE void member_remove(const Problem* p, Chain* c, int node, int partition)
{
    int last = --c->member_count[node];
    int at = c->member_pos[partition];
    int moved = c->member_list[(long)node * p->slots + last];
    c->member_list[(long)node * p->slots + at] = moved;
    c->member_pos[moved] = at;
}

INLINE void group_add(const Problem* p, Chain* c, int group, int node, int change)
{
    GLOBAL int* in_zone = c->in_zone + (long)group * p->zones + p->node_zone[node];
    int before = *in_zone;
    *in_zone = before + change;
    c->zone_count[group] += (*in_zone > 0 ? 1 : 0) - (before > 0 ? 1 : 0);
}

INLINE float row_peak(const Problem* p, const Chain* c, int node)
{
    float peak = 0.0f;
    long o = (long)node * p->stride;
    for (int k = 0; k < p->stride; k++)
    {
        float u = c->node_load[o + k] * p->inverse_capacity[o + k];
        peak = u > peak ? u : peak;
    }

    return peak;
}

INLINE void add_row(const Problem* p, Chain* c, int node, GLOBAL const float* row, float sign)
{
    long o = (long)node * p->stride;
    for (int k = 0; k < p->stride; k++)
    {
        c->node_load[o + k] = (row[k] * sign) + c->node_load[o + k];
    }

    c->node_peak[node] = row_peak(p, c, node);
}

INLINE void apply_move(const Problem* p, Chain* c, int partition, int node, float energy_delta, int violation_delta)
{
    int from = c->assign[partition];
    int home = p->initial[partition];
    int move_change = (node != home ? 1 : 0) - (from != home ? 1 : 0);
    if (move_change > 0)
    {
        int moves = c->ints[C_MOVES];
        c->moved_pos[partition] = moves;
        c->moved_list[moves] = partition;
        c->ints[C_MOVES] = moves + 1;
    }
    else if (move_change < 0)
    {
        int moves = --c->ints[C_MOVES];
        int last = c->moved_list[moves];
        int at = c->moved_pos[partition];
        c->moved_list[at] = last;
        c->moved_pos[last] = at;
        c->moved_pos[partition] = -1;
    }

    c->doubles[1] += move_change * p->size_bytes[partition];
    if (p->x_present)
    {
        x_apply(p, c, partition, from, node);
    }

    GLOBAL const float* row = p->load + (long)partition * p->stride;
    add_row(p, c, from, row, -1.0f);
    add_row(p, c, node, row, 1.0f);
    member_remove(p, c, from, partition);
    member_add(p, c, node, partition);
    int g = p->group_of[partition];
    if (g >= 0 && from != node)
    {
        group_add(p, c, g, from, -1);
        group_add(p, c, g, node, 1);
    }

    c->assign[partition] = node;
    c->ints[C_VIOLATIONS] += violation_delta;
    c->doubles[0] += (double)energy_delta + (p->violation_penalty * violation_delta);
}

/* ---- constraints (SearchState.NativeViolationDelta, WithinBudget) ---- */

INLINE int budget_tight(const Problem* p, const Chain* c)
{
    return c->ints[C_MOVES] >= p->max_moves - 1 || c->doubles[1] >= 0.98 * p->max_bytes;
}

INLINE int allowed_delta(const Problem* p, int partition, int from, int to)
{
    return (is_allowed(p, partition, to) ? 0 : 1) - (is_allowed(p, partition, from) ? 0 : 1);
}

INLINE int same_group(const Problem* p, int a, int b)
{
    return p->group_of[a] >= 0 && p->group_of[a] == p->group_of[b];
}

INLINE int native_violation_delta(const Problem* p, const Chain* c, int partition, int node)
{
    int from = c->assign[partition];
    int delta = allowed_delta(p, partition, from, node);
    int g = p->group_of[partition];
    if (g < 0)
    {
        return delta;
    }

    int from_zone = p->node_zone[from];
    int to_zone = p->node_zone[node];
    int others_on_from = 0, others_on_to = 0;
    int end = p->group_start[g + 1];
    for (int i = p->group_start[g]; i < end; i++)
    {
        int q = p->group_members[i];
        int at = c->assign[q];
        others_on_from |= at == from && q != partition;
        others_on_to |= at == node;
    }

    int others_in_from_zone = c->in_zone[(long)g * p->zones + from_zone] > 1;
    int others_in_to_zone = c->in_zone[(long)g * p->zones + to_zone] > 0;
    delta += (others_on_from ? -1 : 0) + (others_on_to ? 1 : 0);
    int min_zones = p->group_min_zones[g];
    if (min_zones > 1 && from_zone != to_zone)
    {
        int zone_change = (others_in_to_zone ? 0 : 1) - (others_in_from_zone ? 0 : 1);
        if (zone_change != 0)
        {
            int before = c->zone_count[g];
            int after_short = min_zones - (before + zone_change);
            int before_short = min_zones - before;
            delta += (after_short > 0 ? after_short : 0) - (before_short > 0 ? before_short : 0);
        }
    }

    return delta;
}

/* SearchState.ViolationDelta: the native constraints and the extended model's (capacity, dependencies). */
INLINE int violation_delta(const Problem* p, Chain* c, int partition, int node)
{
    return native_violation_delta(p, c, partition, node) + (p->x_present ? x_move_violation_delta(p, c, partition, c->assign[partition], node) : 0);
}

INLINE int swap_violation_delta(const Problem* p, Chain* c, int a, int b)
{
    int na = c->assign[a];
    int nb = c->assign[b];
    /* Two members of one group keep the group's nodes and zones: only where each may be allowed changes. */
    int native = same_group(p, a, b)
        ? allowed_delta(p, a, na, nb) + allowed_delta(p, b, nb, na)
        : native_violation_delta(p, c, a, nb) + native_violation_delta(p, c, b, na);
    return native + (p->x_present ? x_swap_violation_delta(p, c, a, b) : 0);
}

/* True only when the move certainly adds a violation: nothing is broken now and the target would overflow a hard capacity. */
INLINE int certainly_breaks(const Problem* p, const Chain* c, int partition, int node)
{
    return c->ints[C_VIOLATIONS] == 0 && x_overflows(p, c, node, partition, -1);
}

INLINE int swap_certainly_breaks(const Problem* p, const Chain* c, int a, int b)
{
    return c->ints[C_VIOLATIONS] == 0 && p->x_present
        && (x_overflows(p, c, c->assign[b], a, b) || x_overflows(p, c, c->assign[a], b, a));
}

INLINE int within_budget(const Problem* p, const Chain* c, int partition, int node)
{
    int home = p->initial[partition];
    int from = c->assign[partition];
    int move_change = (node != home ? 1 : 0) - (from != home ? 1 : 0);
    return move_change <= 0 || (c->ints[C_MOVES] + move_change <= p->max_moves && c->doubles[1] + p->size_bytes[partition] <= p->max_bytes);
}

INLINE int swap_within_budget(const Problem* p, const Chain* c, int a, int b)
{
    int na = c->assign[a];
    int nb = c->assign[b];
    int ha = p->initial[a];
    int hb = p->initial[b];
    int change_a = (nb != ha ? 1 : 0) - (na != ha ? 1 : 0);
    int change_b = (na != hb ? 1 : 0) - (nb != hb ? 1 : 0);
    int move_change = change_a + change_b;
    double bytes_change = (change_a * p->size_bytes[a]) + (change_b * p->size_bytes[b]);
    return (move_change <= 0 || c->ints[C_MOVES] + move_change <= p->max_moves) && (bytes_change <= 0 || c->doubles[1] + bytes_change <= p->max_bytes);
}

/* ---- deltas (SearchState.MoveDelta, LeaveDelta, ArriveDelta, SwapDelta) ---- */

INLINE float move_delta(const Problem* p, Chain* c, int partition, int node)
{
    int from = c->assign[partition];
    float delta = pair_delta(p, c, from, node, p->load + (long)partition * p->stride, 0, -1.0f)
        + (p->w_move * (migration_cost(p, partition, node) - migration_cost(p, partition, from)))
        + coupling_delta(p, c, partition, from, node, -1, -1);
    if (!p->x_present)
    {
        return delta;
    }

    float leave = x_leave_delta(p, c, partition, from);
    float arrive = x_arrive_delta(p, c, partition, from, node);
    return delta + (leave + arrive);
}

INLINE float leave_delta(const Problem* p, Chain* c, int partition)
{
    int from = c->assign[partition];
    return node_delta(p, c, from, p->load + (long)partition * p->stride, -1.0f) - (p->w_move * migration_cost(p, partition, from))
        + (p->x_present ? x_leave_delta(p, c, partition, from) : 0.0f);
}

INLINE float arrive_delta(const Problem* p, Chain* c, int partition, int node)
{
    int from = c->assign[partition];
    return node_delta(p, c, node, p->load + (long)partition * p->stride, 1.0f) + (p->w_move * migration_cost(p, partition, node))
        + coupling_delta(p, c, partition, from, node, -1, -1) + (p->x_present ? x_arrive_delta(p, c, partition, from, node) : 0.0f);
}

INLINE float swap_delta(const Problem* p, Chain* c, int a, int b)
{
    int na = c->assign[a];
    int nb = c->assign[b];
    float delta = pair_delta(p, c, na, nb, p->load + (long)b * p->stride, p->load + (long)a * p->stride, 1.0f);
    delta += p->w_move * (migration_cost(p, a, nb) - migration_cost(p, a, na) + migration_cost(p, b, na) - migration_cost(p, b, nb));
    delta += coupling_delta(p, c, a, na, nb, -1, -1);
    delta += coupling_delta(p, c, b, nb, na, a, nb);
    return delta + (p->x_present ? x_swap_delta(p, c, a, b) : 0.0f);
}

/* ---- proposals (MoveProposer) ---- */

INLINE int uniform_partition(const Problem* p, Chain* c)
{
    return p->movable[next_int(c, p->movable_count)];
}

INLINE int hot_node(const Problem* p, Chain* c)
{
    int best = next_int(c, p->nodes);
    for (int i = 1; i < HOT_TOURNAMENT; i++)
    {
        int n = next_int(c, p->nodes);
        if (c->node_peak[n] > c->node_peak[best])
        {
            best = n;
        }
    }

    return best;
}

INLINE int hot_partition(const Problem* p, Chain* c, int node)
{
    int count = c->member_count[node];
    if (count == 0)
    {
        return uniform_partition(p, c);
    }

    int a = c->member_list[(long)node * p->slots + next_int(c, count)];
    int b = c->member_list[(long)node * p->slots + next_int(c, count)];
    int a_movable = !p->pinned[a];
    int b_movable = !p->pinned[b];
    if (a_movable && b_movable)
    {
        return p->heat[a] >= p->heat[b] ? a : b;
    }

    return a_movable ? a : b;
}

INLINE int allowed_node(const Problem* p, Chain* c, int partition)
{
    for (int t = 0; t < ALLOWED_TRIES; t++)
    {
        int n = next_int(c, p->nodes);
        if (is_allowed(p, partition, n))
        {
            return n;
        }
    }

    return -1;
}

INLINE int cool_node(const Problem* p, Chain* c, int partition)
{
    int best = -1;
    int found = 0;
    for (int t = 0; t < ALLOWED_TRIES && found < COOL_TOURNAMENT; t++)
    {
        int n = next_int(c, p->nodes);
        if (!is_allowed(p, partition, n))
        {
            continue;
        }

        found++;
        if (best < 0 || c->node_peak[n] < c->node_peak[best])
        {
            best = n;
        }
    }

    return best;
}

/* ---- Metropolis (AnnealingChain) ---- */

INLINE int accept(Chain* c, float delta, float inverse_t)
{
    if (delta <= 0.0f)
    {
        return 1;
    }

    c->longs[L_UPHILL_PROPOSED] += 1;
    float exponent = delta * inverse_t;
    int accepted = exponent < 20.0f && next_float(c) < EXPF(-exponent);
    c->longs[L_UPHILL_ACCEPTED] += accepted ? 1 : 0;
    return accepted;
}

INLINE void best_target(const Problem* p, Chain* c, int partition, float inverse_t)
{
    float leave = 0.0f;
    int have_leave = 0;
    int best_node = -1, best_dv = 0;
    float best = F_INFINITY;
    for (int k = 0; k < TARGET_CANDIDATES; k++)
    {
        int m = allowed_node(p, c, partition);
        if (m < 0 || m == c->assign[partition] || !within_budget(p, c, partition, m) || certainly_breaks(p, c, partition, m)
            || c->member_count[m] >= p->slots)
        {
            continue;
        }

        int dv = violation_delta(p, c, partition, m);
        if (dv > 0)
        {
            continue;
        }

        if (!have_leave)
        {
            leave = leave_delta(p, c, partition);
            have_leave = 1;
        }

        float delta = leave + arrive_delta(p, c, partition, m) + (float)(p->violation_penalty * dv);
        c->longs[L_EVALUATED] += 1;
        if (delta < best)
        {
            best = delta;
            best_node = m;
            best_dv = dv;
        }
    }

    if (best_node >= 0 && accept(c, best, inverse_t))
    {
        apply_move(p, c, partition, best_node, best - (float)(p->violation_penalty * best_dv), best_dv);
        c->longs[L_ACCEPTED] += 1;
    }
}

/* A partition onto a node while one of that node's moved partitions goes home, as one move (AnnealingChain.TrySwapHome). */
INLINE void try_swap_home(const Problem* p, Chain* c, int biased, float inverse_t)
{
    int partition = biased ? hot_partition(p, c, hot_node(p, c)) : uniform_partition(p, c);
    int m = allowed_node(p, c, partition);
    if (m < 0 || p->pinned[partition] || m == c->assign[partition])
    {
        return;
    }

    int count = c->member_count[m];
    int q = -1;
    for (int t = 0; t < SWAP_HOME_TRIES && count > 0; t++)
    {
        int candidate = c->member_list[(long)m * p->slots + next_int(c, count)];
        if (p->initial[candidate] != m && candidate != partition)
        {
            q = candidate;
            break;
        }
    }

    if (q < 0)
    {
        return;
    }

    int home = p->initial[q];
    if (certainly_breaks(p, c, q, home) || c->member_count[home] >= p->slots)
    {
        return;
    }

    int dvq = violation_delta(p, c, q, home);
    if (dvq > 0)
    {
        return;
    }

    float dq = move_delta(p, c, q, home);
    c->longs[L_EVALUATED] += 1;
    apply_move(p, c, q, home, dq, dvq);
    if (within_budget(p, c, partition, m) && !certainly_breaks(p, c, partition, m))
    {
        int dv = violation_delta(p, c, partition, m);
        if (dv <= 0)
        {
            float dp = move_delta(p, c, partition, m);
            c->longs[L_EVALUATED] += 1;
            if (accept(c, dq + dp + (float)(p->violation_penalty * (dvq + dv)), inverse_t))
            {
                apply_move(p, c, partition, m, dp, dv);
                c->longs[L_ACCEPTED] += 2;
                return;
            }
        }
    }

    apply_move(p, c, q, m, -dq, -dvq);
}

/* ---- balancing swaps on native clusters (AnnealingChain.BalancingExchange) ---- */

/* AnnealingChain.ResidualGap: lane i's normalised residual (load - target) / capacity on node n less node m's, at
   offsets on = n * stride and om = m * stride. */
INLINE float residual_gap(const Problem* p, const Chain* c, long on, long om, long i)
{
    return ((c->node_load[on + i] - p->balance_target[on + i]) * p->inverse_capacity[on + i])
        - ((c->node_load[om + i] - p->balance_target[om + i]) * p->inverse_capacity[om + i]);
}

/* AnnealingChain.BalanceScore over the pair (n, m) that PreparePairScore fills: the balance change (up to w_bal) of
   moving row a, less row q where q is given, from n to m; the pair's terms are formed per lane as the host forms them. */
INLINE float balance_score(const Problem* p, const Chain* c, int n, int m, GLOBAL const float* a, GLOBAL const float* q)
{
    float acc[8];
    for (int j = 0; j < 8; j++) acc[j] = 0.0f;
    long on = (long)n * p->stride;
    long om = (long)m * p->stride;
    for (int k = 0; k < p->stride; k += 8)
    {
        for (int j = 0; j < 8; j++)
        {
            long i = k + j;
            float pull = 2.0f * residual_gap(p, c, on, om, i);
            float curvature = p->inverse_capacity[on + i] + p->inverse_capacity[om + i];
            float y = q != 0 ? a[i] - q[i] : a[i];
            acc[j] += y * ((y * curvature) - pull);
        }
    }

    return sum8(acc);
}

INLINE void judge_move(const Problem* p, Chain* c, int partition, int m, float inverse_t)
{
    if (certainly_breaks(p, c, partition, m))
    {
        return;
    }

    int dv = violation_delta(p, c, partition, m);
    if (dv > 0)
    {
        return;
    }

    float delta = move_delta(p, c, partition, m);
    c->longs[L_EVALUATED] += 1;
    if (accept(c, delta + (float)(p->violation_penalty * dv), inverse_t))
    {
        apply_move(p, c, partition, m, delta, dv);
        c->longs[L_ACCEPTED] += 1;
    }
}

INLINE void judge_swap(const Problem* p, Chain* c, int a, int b, float inverse_t)
{
    if (swap_certainly_breaks(p, c, a, b))
    {
        return;
    }

    int dv = swap_violation_delta(p, c, a, b);
    if (dv > 0)
    {
        return;
    }

    int na = c->assign[a];
    int nb = c->assign[b];
    float delta = swap_delta(p, c, a, b);
    c->longs[L_EVALUATED] += 1;
    if (accept(c, delta + (float)(p->violation_penalty * dv), inverse_t))
    {
        apply_move(p, c, a, nb, delta, dv);
        apply_move(p, c, b, na, 0.0f, 0);
        c->longs[L_ACCEPTED] += 1;
    }
}

/* Partition a onto node m, alone or swapped with the member of m the balance term favours; a node whose member slots
   are full takes neither (a swap passes through one more member). */
INLINE void balancing_exchange(const Problem* p, Chain* c, int a, int m, float inverse_t)
{
    int n = c->assign[a];
    if (m == n || p->pinned[a] || c->member_count[m] >= p->slots)
    {
        return;
    }

    GLOBAL const float* row_a = p->load + (long)a * p->stride;
    int move_fits = within_budget(p, c, a, m);
    int have = move_fits;
    float best_score = move_fits ? balance_score(p, c, n, m, row_a, 0) : 0.0f;
    int partner = -1;
    int count = c->member_count[m];
    int tries = count < PARTNER_CANDIDATES ? count : PARTNER_CANDIDATES;
    for (int t = 0; t < tries; t++)
    {
        int q = c->member_list[(long)m * p->slots + (count <= PARTNER_CANDIDATES ? t : next_int(c, count))];
        if (p->pinned[q] || same_group(p, a, q) || !swap_within_budget(p, c, a, q))
        {
            continue;
        }

        float score = balance_score(p, c, n, m, row_a, p->load + (long)q * p->stride);
        if (!have || score < best_score)
        {
            best_score = score;
            partner = q;
            have = 1;
        }
    }

    if (partner >= 0)
    {
        judge_swap(p, c, a, partner, inverse_t);
    }
    else if (move_fits)
    {
        judge_move(p, c, a, m, inverse_t);
    }
}

/* AnnealingChain.ResidualDistance: the squared distance between two nodes' utilisation residuals. */
INLINE float residual_distance(const Problem* p, const Chain* c, int n, int m)
{
    float acc[8];
    for (int j = 0; j < 8; j++) acc[j] = 0.0f;
    long on = (long)n * p->stride;
    long om = (long)m * p->stride;
    for (int k = 0; k < p->stride; k += 8)
    {
        for (int j = 0; j < 8; j++)
        {
            long i = k + j;
            float d = residual_gap(p, c, on, om, i);
            acc[j] += d * d;
        }
    }

    return sum8(acc);
}

/* AnnealingChain.TryBalancingSwap: a hot partition (or, with the budget spent, a moved one) toward the allowed node,
   of a few drawn, most out of balance with its own. */
INLINE void try_balancing_swap(const Problem* p, Chain* c, float inverse_t)
{
    int moves = c->ints[C_MOVES];
    int a = moves > 0 && budget_tight(p, c) && (next_u64(c) & 1UL) == 0
        ? c->moved_list[next_int(c, moves)]
        : hot_partition(p, c, hot_node(p, c));
    int n = c->assign[a];
    int m = -1;
    float farthest = -1.0f;
    for (int i = 0; i < TARGET_CHOICES; i++)
    {
        int candidate = allowed_node(p, c, a);
        if (candidate < 0 || candidate == n)
        {
            continue;
        }

        float distance = residual_distance(p, c, n, candidate);
        if (distance > farthest)
        {
            farthest = distance;
            m = candidate;
        }
    }

    if (m >= 0)
    {
        balancing_exchange(p, c, a, m, inverse_t);
    }
}

INLINE void try_move(const Problem* p, Chain* c, int biased, float inverse_t, ulong bits)
{
    int partition;
    int m;
    ulong kind = bits >> 32;
    int tight = budget_tight(p, c);
    ulong return_share = tight ? RETURN_SHARE_TIGHT : RETURN_SHARE;
    int moves = c->ints[C_MOVES];
    if (p->x_transient && moves > 0 && kind >= SWAP_HOME_FROM)
    {
        try_swap_home(p, c, biased, inverse_t);
        return;
    }

    if (moves > 0 && kind < return_share)
    {
        partition = c->moved_list[next_int(c, moves)];
        if (!tight || (next_u64(c) & 3UL) == 0)
        {
            m = p->initial[partition];
        }
        else
        {
            m = biased ? cool_node(p, c, partition) : next_int(c, p->nodes);
        }

        if (m < 0)
        {
            return;
        }
    }
    else if (p->edges > 0 && kind - return_share < JOIN_SHARE)
    {
        int e = next_int(c, p->edges);
        partition = p->edge_source[e];
        m = c->assign[p->coupling_target[e]];
        if (!p->x_present)
        {
            balancing_exchange(p, c, partition, m, inverse_t);
            return;
        }
    }
    else if (biased)
    {
        partition = hot_partition(p, c, hot_node(p, c));
        if (p->pinned[partition])
        {
            return;
        }

        best_target(p, c, partition, inverse_t);
        return;
    }
    else
    {
        partition = uniform_partition(p, c);
        m = next_int(c, p->nodes);
    }

    if (p->pinned[partition] || m == c->assign[partition] || !within_budget(p, c, partition, m) || c->member_count[m] >= p->slots)
    {
        return;
    }

    judge_move(p, c, partition, m, inverse_t);
}

INLINE void try_swap(const Problem* p, Chain* c, int biased, float inverse_t)
{
    int a;
    int b;
    int moves = c->ints[C_MOVES];
    if (moves > 0 && budget_tight(p, c) && (next_u64(c) & 1UL) == 0)
    {
        a = c->moved_list[next_int(c, moves)];
        b = c->moved_list[next_int(c, moves)];
    }
    else if (biased)
    {
        a = hot_partition(p, c, hot_node(p, c));
        int cool = cool_node(p, c, a);
        if (cool < 0)
        {
            return;
        }

        b = hot_partition(p, c, cool);
    }
    else
    {
        a = uniform_partition(p, c);
        b = uniform_partition(p, c);
    }

    int na = c->assign[a];
    int nb = c->assign[b];
    if (na == nb || p->pinned[a] || p->pinned[b] || c->member_count[nb] >= p->slots)
    {
        return;
    }

    /* Not two members of one group: see AnnealingChain.TrySwap. */
    if (same_group(p, a, b))
    {
        return;
    }

    if (swap_within_budget(p, c, a, b))
    {
        judge_swap(p, c, a, b, inverse_t);
    }
}

/* ---- ejection chains where capacity is hard (Managed/EjectionChain.cs) ---- */

typedef struct
{
    int moved[2 * MAX_EJECTIONS + 1];
    int from[2 * MAX_EJECTIONS + 1];
    float delta[2 * MAX_EJECTIONS + 1];
    int violations[2 * MAX_EJECTIONS + 1];
    int count;
} Ejection;

INLINE double ejection_apply(const Problem* p, Chain* c, Ejection* e, int partition, int node)
{
    float delta = move_delta(p, c, partition, node);
    int dv = violation_delta(p, c, partition, node);
    e->moved[e->count] = partition;
    e->from[e->count] = c->assign[partition];
    e->delta[e->count] = delta;
    e->violations[e->count] = dv;
    e->count++;
    apply_move(p, c, partition, node, delta, dv);
    return delta;
}

INLINE void ejection_undo(const Problem* p, Chain* c, Ejection* e)
{
    for (int i = e->count - 1; i >= 0; i--)
    {
        apply_move(p, c, e->moved[i], e->from[i], -e->delta[i], -e->violations[i]);
    }

    e->count = 0;
}

/* The member of m (other than p) carrying most of m's lanes that are over capacity, relative to capacity. */
INLINE int ejection_victim(const Problem* p, const Chain* c, int partition, int m)
{
    long o = (long)m * p->stride;
    int best = -1;
    float best_score = 0.0f;
    for (int i = 0; i < c->member_count[m]; i++)
    {
        int q = c->member_list[(long)m * p->slots + i];
        if (p->pinned[q] || q == partition)
        {
            continue;
        }

        GLOBAL const float* row = p->load + (long)q * p->stride;
        float score = 0.0f;
        for (int k = 0; k < p->stride; k++)
        {
            score += c->node_load[o + k] >= p->capacity[o + k] ? row[k] * p->inverse_capacity[o + k] : 0.0f;
        }

        if (score > best_score)
        {
            best = q;
            best_score = score;
        }
    }

    return best;
}

/* The node (other than m) where q costs least, a constraint it would break priced at the violation penalty; -1 if none. */
INLINE int ejection_destination(const Problem* p, Chain* c, int q, int m)
{
    int best = -1;
    float best_delta = F_INFINITY;
    int all = p->nodes <= DESTINATION_SAMPLE;
    int tries = all ? p->nodes : DESTINATION_SAMPLE;
    float leave = leave_delta(p, c, q);
    for (int t = 0; t < tries; t++)
    {
        int d = all ? t : allowed_node(p, c, q);
        if (d < 0 || d == m || d == c->assign[q] || !is_allowed(p, q, d) || !within_budget(p, c, q, d)
            || x_overflows(p, c, d, q, -1) || c->member_count[d] >= p->slots)
        {
            continue;
        }

        float delta = leave + arrive_delta(p, c, q, d) + (float)(p->violation_penalty * violation_delta(p, c, q, d));
        if (delta < best_delta)
        {
            best = d;
            best_delta = delta;
        }
    }

    return best;
}

/* Applies the chain that brings p onto m and returns its energy change; NaN (nothing applied) when none fits. */
INLINE double ejection_build(const Problem* p, Chain* c, Ejection* e, int partition, int m)
{
    e->count = 0;
    if (p->pinned[partition] || c->assign[partition] == m || !is_allowed(p, partition, m) || !within_budget(p, c, partition, m)
        || c->member_count[m] >= p->slots)
    {
        return D_NAN;
    }

    int allowed = c->ints[C_VIOLATIONS];
    double total = ejection_apply(p, c, e, partition, m);
    for (int k = 0; k < MAX_EJECTIONS && c->ints[C_VIOLATIONS] > allowed; k++)
    {
        int victim = ejection_victim(p, c, partition, m);
        int destination = victim < 0 ? -1 : ejection_destination(p, c, victim, m);
        if (destination < 0)
        {
            break;
        }

        total += ejection_apply(p, c, e, victim, destination);
    }

    if (c->ints[C_VIOLATIONS] > allowed)
    {
        ejection_undo(p, c, e);
        return D_NAN;
    }

    for (int k = 0; k < MAX_EJECTIONS; k++)
    {
        int victim = -1;
        float leave = 0.0f;
        for (int i = 0; i < c->member_count[m]; i++)
        {
            int q = c->member_list[(long)m * p->slots + i];
            float gain = q == partition || p->pinned[q] ? 0.0f : leave_delta(p, c, q);
            if (gain < leave)
            {
                victim = q;
                leave = gain;
            }
        }

        int destination = victim < 0 ? -1 : ejection_destination(p, c, victim, m);
        if (destination < 0 || violation_delta(p, c, victim, destination) > 0 || move_delta(p, c, victim, destination) >= 0.0f)
        {
            break;
        }

        total += ejection_apply(p, c, e, victim, destination);
    }

    return total;
}

INLINE void try_ejection(const Problem* p, Chain* c, int hot, float inverse_t)
{
    int partition = hot ? hot_partition(p, c, hot_node(p, c)) : uniform_partition(p, c);
    int m = allowed_node(p, c, partition);
    if (m < 0 || p->pinned[partition])
    {
        return;
    }

    Ejection e;
    double delta = ejection_build(p, c, &e, partition, m);
    if (delta != delta)
    {
        return;
    }

    c->longs[L_EVALUATED] += e.count;
    if (accept(c, (float)delta, inverse_t))
    {
        c->longs[L_ACCEPTED] += e.count;
    }
    else
    {
        ejection_undo(p, c, &e);
    }
}

/* ---- kernels ---- */

/*
 * Rebuilds every derived quantity of each chain from its assignment (SearchState.Resynchronise) and writes its
 * cost by term (SearchState.Breakdown): the batch evaluation of K candidates, and the drift-removing resync.
 */
KERNEL void shardcast_reset(PROBLEM_ARGS, STATE_ARGS, EXT_ARGS, GLOBAL double* terms)
{
    Problem pr = make_problem(PROBLEM_PASS);
    attach_extension(&pr, EXT_PASS);
    const Problem* p = &pr;
    long id = CHAIN_ID();
    if (id >= dims[D_CHAINS])
    {
        return;
    }

    MAKE_CHAIN(ch, pr, id);
    ATTACH_CHAIN_EXTENSION(ch, pr, id);
    Chain* c = &ch;
    clear_floats(c->node_load, (long)p->nodes * p->stride);
    clear_ints(c->member_count, p->nodes);
    clear_ints(c->in_zone, (long)p->groups * p->zones);
    clear_ints(c->zone_count, p->groups);

    int moves = 0;
    double moved_bytes = 0.0;
    int overflow = 0;
    for (int i = 0; i < p->partitions; i++)
    {
        int n = c->assign[i];
        overflow |= !member_add(p, c, n, i);
        GLOBAL const float* row = p->load + (long)i * p->stride;
        long o = (long)n * p->stride;
        for (int k = 0; k < p->stride; k++)
        {
            c->node_load[o + k] += row[k];
        }

        c->moved_pos[i] = -1;
        if (n != p->initial[i])
        {
            c->moved_pos[i] = moves;
            c->moved_list[moves++] = i;
            moved_bytes += p->size_bytes[i];
        }
    }

    for (int n = 0; n < p->nodes; n++)
    {
        c->node_peak[n] = row_peak(p, c, n);
    }

    for (int i = 0; i < p->partitions; i++)
    {
        int g = p->group_of[i];
        if (g >= 0)
        {
            group_add(p, c, g, c->assign[i], 1);
        }
    }

    if (p->x_present)
    {
        x_reset(p, c);
    }

    double balance = 0.0, headroom = 0.0, overload = 0.0;
    for (int n = 0; n < p->nodes; n++)
    {
        double b = 0.0, h = 0.0, o = 0.0;
        long r = (long)n * p->stride;
        for (int k = 0; k < p->stride; k++)
        {
            float e = c->node_load[r + k] - p->balance_target[r + k];
            b += e * e * p->inverse_capacity[r + k];
            float over = max0(c->node_load[r + k] - p->headroom_limit[r + k]);
            h += over * over * p->inverse_capacity[r + k];
            o += max0(c->node_load[r + k] - p->capacity[r + k]);
        }

        balance += b;
        headroom += h;
        overload += o;
    }

    double migration = 0.0;
    for (int i = 0; i < p->partitions; i++)
    {
        migration += migration_cost(p, i, c->assign[i]);
    }

    double affinity = 0.0;
    for (int e = 0; e < p->affinity; e++)
    {
        if (c->assign[p->affinity_a[e]] != c->assign[p->affinity_b[e]])
        {
            affinity += p->affinity_weight[e];
        }
    }

    double lineage = 0.0;
    for (int i = 0; i < p->partitions; i++)
    {
        int parent_index = p->parent[i];
        if (parent_index >= 0 && c->assign[i] != c->assign[parent_index])
        {
            lineage += 1.0;
        }
    }

    int violations = 0;
    for (int i = 0; i < p->partitions; i++)
    {
        violations += is_allowed(p, i, c->assign[i]) ? 0 : 1;
    }

    for (int g = 0; g < p->groups; g++)
    {
        int start = p->group_start[g];
        int count = p->group_start[g + 1] - start;
        int distinct_nodes = 0;
        for (int i = 0; i < count; i++)
        {
            int seen = 0;
            for (int j = 0; j < i && !seen; j++)
            {
                seen = c->assign[p->group_members[start + j]] == c->assign[p->group_members[start + i]];
            }

            distinct_nodes += seen ? 0 : 1;
        }

        violations += count - distinct_nodes;
        int short_zones = p->group_min_zones[g] - c->zone_count[g];
        violations += short_zones > 0 ? short_zones : 0;
    }

    /* The extended model's terms (ExtensionState.Cost), combined as SearchState.Breakdown combines them. */
    double safety = 0.0, resource_balance = 0.0, partition_move = 0.0, group_move = 0.0, node_move = 0.0;
    if (p->x_present)
    {
        double transient = 0.0;
        int x_violations = 0;
        for (int n = 0; n < p->nodes; n++)
        {
            XNodeTerms nt = x_node_terms(p, n, c->xl + (long)n * p->x_width, c->xd + (long)n * p->x_width);
            safety += nt.safety;
            resource_balance += nt.balance;
            transient += nt.transient;
            x_violations += nt.violations;
        }

        double moved_cost = 0.0, pair_cost = 0.0;
        for (int i = 0; i < p->partitions; i++)
        {
            moved_cost += c->assign[i] != p->initial[i] ? p->xmove_cost[i] : 0.0;
            pair_cost += x_node_pair_cost(p, p->initial[i], c->assign[i]);
        }

        for (int g = 0; g < p->groups; g++)
        {
            for (int d = p->xdepends_start[g]; d < p->xdepends_start[g + 1]; d++)
            {
                for (int nb = 0; nb < p->x_neighborhoods; nb++)
                {
                    x_violations += x_broken(x_in_neighborhood(p, c, g, nb), x_in_neighborhood(p, c, p->xdepends_on[d], nb));
                }
            }
        }

        partition_move = p->x_partition_move * moved_cost;
        group_move = p->x_group_move * c->ints[C_MAX_MOVED];
        node_move = p->x_node_move_weight * pair_cost;
        overload = p->x_hard ? 0.0 : overload + transient;
        violations += x_violations;
    }

    double w_balance = p->w_balance_d * balance;
    double w_headroom = p->w_headroom_d * headroom;
    double w_migration = p->w_move_d * migration;
    double w_affinity = p->w_affinity_d * affinity;
    double w_lineage = p->w_lineage_d * lineage;
    double total = w_balance + w_headroom + w_migration + w_affinity + w_lineage + safety + resource_balance + partition_move + group_move + node_move;
    double energy = total + (p->overload_penalty * overload) + (p->violation_penalty * violations);
    GLOBAL double* t = terms + id * T_COUNT;
    t[T_SAFETY] = safety;
    t[T_RESOURCE_BALANCE] = resource_balance;
    t[T_PARTITION_MOVE] = partition_move;
    t[T_GROUP_MOVE] = group_move;
    t[T_NODE_MOVE] = node_move;
    t[T_BALANCE] = w_balance;
    t[T_HEADROOM] = w_headroom;
    t[T_MIGRATION] = w_migration;
    t[T_AFFINITY] = w_affinity;
    t[T_LINEAGE] = w_lineage;
    t[T_OVERLOAD] = overload;
    t[T_VIOLATIONS] = violations;
    t[T_ENERGY] = energy;
    c->ints[C_MOVES] = moves;
    c->ints[C_VIOLATIONS] = violations;
    c->ints[C_SLOT_OVERFLOW] = overflow;
    c->doubles[0] = energy;
    c->doubles[1] = moved_bytes;
}

/*
 * Advances every chain by `steps` proposals at its own inverse temperature (AnnealingChain.Run). The uphill
 * counters restart at each launch: the host steers temperatures from one epoch's acceptance.
 */
KERNEL void shardcast_anneal(PROBLEM_ARGS, STATE_ARGS, EXT_ARGS, GLOBAL const float* inverse_temperature, int steps)
{
    Problem pr = make_problem(PROBLEM_PASS);
    attach_extension(&pr, EXT_PASS);
    const Problem* p = &pr;
    long id = CHAIN_ID();
    if (id >= dims[D_CHAINS])
    {
        return;
    }

    MAKE_CHAIN(ch, pr, id);
    ATTACH_CHAIN_EXTENSION(ch, pr, id);
    Chain* c = &ch;
    c->longs[L_UPHILL_PROPOSED] = 0;
    c->longs[L_UPHILL_ACCEPTED] = 0;
    if (p->movable_count == 0)
    {
        return;
    }

    float inverse_t = inverse_temperature[id];
    if (inverse_t < 0.0f)
    {
        /* A negative inverse temperature means the chain sits this launch out (the genetic search's elites). */
        return;
    }

    int ejecting = p->x_present && p->x_hard;
    for (int s = 0; s < steps; s++)
    {
        ulong bits = next_u64(c);
        if (ejecting && next_u64(c) < EJECT_SHARE)
        {
            try_ejection(p, c, (bits & 1UL) == 0, inverse_t);
            continue;
        }

        int swap = (uint)(bits & 0xFFFFUL) < p->swap_threshold;
        int biased = (uint)((bits >> 16) & 0xFFFFUL) < p->bias_threshold;
        if (swap)
        {
            if (biased && !p->x_present)
            {
                try_balancing_swap(p, c, inverse_t);
            }
            else
            {
                try_swap(p, c, biased, inverse_t);
            }
        }
        else
        {
            try_move(p, c, biased, inverse_t, bits);
        }
    }

    rng[id * 2 + 1] = c->counter;
}

/* ---- the genetic algorithm's operators (Managed/GeneticSearch.cs, ConstraintRepair.cs) ---- */

/*
 * Crossover that keeps node-level structure: a random half of the nodes keep exactly the partitions parent A puts
 * on them, the rest of the partitions take parent B's node. The half is drawn per node from the child's stream
 * (bit 0 of draw `node` after the current counter), so no mask is stored. Children only (mutations[id] >= 0);
 * the child goes to offspring[], which shardcast_adopt copies over the population once every child is built.
 */
KERNEL void shardcast_crossover(PROBLEM_ARGS, STATE_ARGS, GLOBAL const int* parents, GLOBAL int* offspring, GLOBAL const int* mutations)
{
    Problem pr = make_problem(PROBLEM_PASS);
    const Problem* p = &pr;
    long id = CHAIN_ID();
    if (id >= dims[D_CHAINS] || mutations[id] < 0)
    {
        return;
    }

    MAKE_CHAIN(ch, pr, id);
    Chain* c = &ch;
    GLOBAL const int* a = assign_all + (long)parents[id * 2] * p->partitions;
    GLOBAL const int* b = assign_all + (long)parents[id * 2 + 1] * p->partitions;
    GLOBAL int* child = offspring + id * (long)p->partitions;
    ulong base = c->counter;
    for (int i = 0; i < p->partitions; i++)
    {
        int na = a[i];
        ulong draw = mix64(c->key + ((base + 1 + (ulong)na) * 0x9E3779B97F4A7C15UL));
        child[i] = (draw & 1UL) != 0 ? na : b[i];
    }

    rng[id * 2 + 1] = base + (ulong)p->nodes;
}

/* Every chain starts from chain 0's assignment: one upload, then a copy on the device instead of K uploads. */
KERNEL void shardcast_spread(GLOBAL const int* dims, GLOBAL int* assign_all)
{
    long id = CHAIN_ID();
    if (id == 0 || id >= dims[D_CHAINS])
    {
        return;
    }

    int partitions = dims[D_PARTITIONS];
    GLOBAL int* target = assign_all + id * (long)partitions;
    for (int i = 0; i < partitions; i++)
    {
        target[i] = assign_all[i];
    }
}

KERNEL void shardcast_adopt(PROBLEM_ARGS, STATE_ARGS, GLOBAL const int* offspring, GLOBAL const int* mutations)
{
    Problem pr = make_problem(PROBLEM_PASS);
    const Problem* p = &pr;
    long id = CHAIN_ID();
    if (id >= dims[D_CHAINS] || mutations[id] < 0)
    {
        return;
    }

    GLOBAL int* target = assign_all + id * (long)p->partitions;
    GLOBAL const int* source = offspring + id * (long)p->partitions;
    for (int i = 0; i < p->partitions; i++)
    {
        target[i] = source[i];
    }
}

INLINE int breaks(const Problem* p, const Chain* c, int partition)
{
    int node = c->assign[partition];
    if (!is_allowed(p, partition, node))
    {
        return 1;
    }

    int g = p->group_of[partition];
    if (g < 0)
    {
        return 0;
    }

    for (int i = p->group_start[g]; i < p->group_start[g + 1]; i++)
    {
        int q = p->group_members[i];
        if (q != partition && c->assign[q] == node)
        {
            return 1;
        }
    }

    return c->zone_count[g] < p->group_min_zones[g];
}

/*
 * mutations[id] random feasible moves, then repair: moved partitions go home in random order while the move
 * budget is exceeded, then each partition that breaks a hard constraint moves to the node that removes the most
 * breakage at the least cost. scratch[] holds one chain's shuffled moved partitions. Expects a reset state.
 */
KERNEL void shardcast_mutate_repair(PROBLEM_ARGS, STATE_ARGS, EXT_ARGS, GLOBAL int* scratch, GLOBAL const int* mutations)
{
    Problem pr = make_problem(PROBLEM_PASS);
    attach_extension(&pr, EXT_PASS);
    const Problem* p = &pr;
    long id = CHAIN_ID();
    if (id >= dims[D_CHAINS] || mutations[id] < 0)
    {
        return;
    }

    MAKE_CHAIN(ch, pr, id);
    ATTACH_CHAIN_EXTENSION(ch, pr, id);
    Chain* c = &ch;
    int moves = mutations[id];
    for (int i = 0, tries = 0; i < moves && tries < moves * 8 && p->movable_count > 0; tries++)
    {
        int partition = p->movable[next_int(c, p->movable_count)];
        int m = next_int(c, p->nodes);
        if (m == c->assign[partition] || !within_budget(p, c, partition, m) || c->member_count[m] >= p->slots)
        {
            continue;
        }

        int dv = violation_delta(p, c, partition, m);
        if (dv > 0)
        {
            continue;
        }

        apply_move(p, c, partition, m, move_delta(p, c, partition, m), dv);
        i++;
    }

    if (c->ints[C_MOVES] > p->max_moves || c->doubles[1] > p->max_bytes)
    {
        GLOBAL int* order = scratch + id * (long)p->partitions;
        int count = c->ints[C_MOVES];
        for (int i = 0; i < count; i++)
        {
            order[i] = c->moved_list[i];
        }

        for (int i = count - 1; i > 0; i--)
        {
            int j = next_int(c, i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }

        for (int i = 0; i < count; i++)
        {
            if (c->ints[C_MOVES] <= p->max_moves && c->doubles[1] <= p->max_bytes)
            {
                break;
            }

            int partition = order[i];
            int home = p->initial[partition];
            if (c->member_count[home] >= p->slots)
            {
                continue;
            }

            int dv = violation_delta(p, c, partition, home);
            if (dv <= 0)
            {
                apply_move(p, c, partition, home, move_delta(p, c, partition, home), dv);
            }
        }
    }

    for (int partition = 0; partition < p->partitions && c->ints[C_VIOLATIONS] > 0; partition++)
    {
        if (p->pinned[partition] || !breaks(p, c, partition))
        {
            continue;
        }

        int best_node = -1, best_dv = 0;
        float best_delta = F_INFINITY;
        for (int m = 0; m < p->nodes; m++)
        {
            if (m == c->assign[partition] || !within_budget(p, c, partition, m) || c->member_count[m] >= p->slots)
            {
                continue;
            }

            int dv = violation_delta(p, c, partition, m);
            if (dv >= 0)
            {
                continue;
            }

            float delta = move_delta(p, c, partition, m);
            if (dv < best_dv || (dv == best_dv && delta < best_delta))
            {
                best_node = m;
                best_dv = dv;
                best_delta = delta;
            }
        }

        if (best_node >= 0)
        {
            apply_move(p, c, partition, best_node, best_delta, best_dv);
        }
    }

    rng[id * 2 + 1] = c->counter;
}
