#!/usr/bin/env python3
"""Exchange cycles a ROADEF/EURO 2012 plan leaves on the table, found independently of the engine.

Usage: roadef_exchange_scan.py MODEL INITIAL PLAN [MAX_LENGTH]   (MAX_LENGTH 2 or 3, default 3)

A cycle sends each of its processes onto the machine of the next one, the last onto the machine of the first; a
"slot" in a cycle stands for a machine that only gains or only loses. Every step is judged on the one machine it
changes (load and balance cost, capacity with held transient usage, conflict, dependencies), so a cycle touching
distinct machines is judged exactly by the sum of its steps, the service move cost aside. The search keeps only
paths whose running sum is negative, which every improving cycle has from one of its starting points. The best
cycle found is then applied and the whole plan judged again from scratch, service move cost included.
"""
import collections
import sys


def read(model_path):
    words = list(map(int, open(model_path).read().split()))
    pos = 0

    def n():
        nonlocal pos
        pos += 1
        return words[pos - 1]

    resources = [(n(), n()) for _ in range(n())]
    count = n()
    machines = []
    for _ in range(count):
        nb, loc = n(), n()
        cap = [n() for _ in resources]
        sc = [n() for _ in resources]
        mc = [n() for _ in range(count)]
        machines.append(dict(nb=nb, loc=loc, cap=cap, sc=sc, mc=mc))
    services = []
    for _ in range(n()):
        spread = n()
        services.append((spread, [n() for _ in range(n())]))
    processes = []
    for _ in range(n()):
        service = n()
        req = [n() for _ in resources]
        processes.append(dict(s=service, req=req, pmc=n()))
    balances = [(n(), n(), n(), n()) for _ in range(n())]
    weights = [n(), n(), n()]
    return resources, machines, services, processes, balances, weights


def assignment(path):
    return list(map(int, open(path).read().split()))


def usage(model, initial, plan):
    """Per machine and resource, the load of the processes on it and the transient load held by those that left it."""
    resources, machines, _, processes, _, _ = model
    use = [[0] * len(resources) for _ in machines]
    held = [[0] * len(resources) for _ in machines]
    for p, proc in enumerate(processes):
        for r, (transient, _) in enumerate(resources):
            use[plan[p]][r] += proc['req'][r]
            if transient and plan[p] != initial[p]:
                held[initial[p]][r] += proc['req'][r]
    return use, held


def machine_cost(model, m, use):
    """Machine m's load cost (over safety capacity) and balance cost at the given usage."""
    resources, machines, _, _, balances, _ = model
    mach = machines[m]
    load = sum(w * max(0, use[r] - mach['sc'][r]) for r, (_, w) in enumerate(resources))
    return load + sum(w * max(0, t * (mach['cap'][a] - use[a]) - (mach['cap'][b] - use[b])) for (a, b, t, w) in balances)


def objective(model, initial, plan):
    """The challenge's objective and its broken constraints, from scratch."""
    resources, machines, services, processes, balances, weights = model
    R, M = len(resources), len(machines)
    use, held = usage(model, initial, plan)
    broken = [('capacity', m, r) for m in range(M) for r in range(R) if use[m][r] + held[m][r] > machines[m]['cap'][r]]
    on, locations, hoods = (collections.defaultdict(set) for _ in range(3))
    for p, proc in enumerate(processes):
        s = proc['s']
        if plan[p] in on[s]:
            broken.append(('conflict', s, plan[p]))
        on[s].add(plan[p])
        locations[s].add(machines[plan[p]]['loc'])
        hoods[s].add(machines[plan[p]]['nb'])
    for s, (spread, deps) in enumerate(services):
        broken += [('spread', s)] if len(locations[s]) < spread else []
        broken += [('dependency', s, d) for d in deps if not hoods[s] <= hoods[d]]
    machine_costs = sum(machine_cost(model, m, use[m]) for m in range(M))
    moved = [p for p in range(len(processes)) if plan[p] != initial[p]]
    per_service = collections.Counter(processes[p]['s'] for p in moved)
    moves = (weights[0] * sum(processes[p]['pmc'] for p in moved) + weights[1] * max(per_service.values(), default=0)
             + weights[2] * sum(machines[initial[p]]['mc'][plan[p]] for p in range(len(processes))))
    return machine_costs + moves, broken


class Steps:
    """What one machine's cost and constraints do when one process arrives and/or one leaves."""

    def __init__(self, model, initial, plan):
        self.resources, self.machines, self.services, self.processes, self.balances, self.weights = model
        self.model, self.initial, self.plan = model, initial, plan
        self.use, self.held = usage(model, initial, plan)
        self.on = [collections.Counter() for _ in self.machines]
        for p, proc in enumerate(self.processes):
            self.on[plan[p]][proc['s']] += 1
        self.dependents = collections.defaultdict(set)
        for s, (_, deps) in enumerate(self.services):
            for d in deps:
                self.dependents[d].add(s)
        self.base = [machine_cost(model, m, self.use[m]) for m in range(len(self.machines))]

    def moved_cost(self, p, m):
        if m == self.initial[p]:
            return 0
        return self.weights[0] * self.processes[p]['pmc'] + self.weights[2] * self.machines[self.initial[p]]['mc'][m]

    def change(self, m, arriving, leaving):
        """Cost change on m, or None where m would break a constraint; arriving / leaving may be None."""
        proc = self.processes
        use = list(self.use[m])
        for r in range(len(use)):
            use[r] += (proc[arriving]['req'][r] if arriving is not None else 0) - (proc[leaving]['req'][r] if leaving is not None else 0)
        if arriving is not None:
            for r, (transient, _) in enumerate(self.resources):
                held = use[r]
                if transient:
                    held += self.held[m][r]
                    held -= proc[arriving]['req'][r] if self.initial[arriving] == m else 0
                    held += proc[leaving]['req'][r] if leaving is not None and self.initial[leaving] == m else 0
                if held > self.machines[m]['cap'][r]:
                    return None

        def count(service):
            return (self.on[m][service] - (1 if leaving is not None and proc[leaving]['s'] == service else 0)
                    + (1 if arriving is not None and proc[arriving]['s'] == service else 0))

        if arriving is not None:
            s = proc[arriving]['s']
            if count(s) > 1 or any(count(d) == 0 for d in self.services[s][1]):
                return None
        if leaving is not None and count(proc[leaving]['s']) == 0:
            if any(count(s) > 0 for s in self.dependents[proc[leaving]['s']]):
                return None
        delta = machine_cost(self.model, m, use) - self.base[m]
        if arriving is not None:
            delta += self.moved_cost(arriving, m) - self.moved_cost(arriving, self.plan[arriving])
        return delta


def scan(model, initial, plan, max_length):
    steps = Steps(model, initial, plan)
    P, M = len(steps.processes), len(steps.machines)
    # Nodes: processes 0..P-1, then one slot per machine. Arc u -> v changes machine(v): u arrives, v leaves.
    machine_of = lambda v: plan[v] if v < P else v - P
    arcs = [[] for _ in range(P + M)]
    for p in range(P):
        for q in range(P):
            if plan[q] != plan[p]:
                c = steps.change(plan[q], p, q)
                if c is not None:
                    arcs[p].append((c, q))
        for m in range(M):
            if m != plan[p]:
                c = steps.change(m, p, None)
                if c is not None:
                    arcs[p].append((c, P + m))
    for m in range(M):
        for q in range(P):
            if plan[q] != m:
                c = steps.change(plan[q], None, q)
                if c is not None:
                    arcs[P + m].append((c, q))
    for out in arcs:
        out.sort()
    print(f'{sum(map(len, arcs)):,} feasible steps', file=sys.stderr)

    best = [0.0, None]

    def extend(start, u, total, path, touched):
        for c, v in arcs[u]:
            running = total + c
            if running >= 0:
                break
            changed = machine_of(v)
            if changed in touched:
                continue
            if v == start:
                if running < best[0]:
                    best[:] = [running, list(path)]
                continue
            if len(path) >= max_length or v in path or (u >= P and v >= P):
                continue
            touched.add(changed)
            path.append(v)
            extend(start, v, running, path, touched)
            path.pop()
            touched.discard(changed)

    for start in range(P + M):
        extend(start, start, 0.0, [start], set())
    return best, machine_of, P


def main():
    if len(sys.argv) not in (4, 5):
        raise SystemExit(__doc__)
    model = read(sys.argv[1])
    initial, plan = assignment(sys.argv[2]), assignment(sys.argv[3])
    max_length = int(sys.argv[4]) if len(sys.argv) == 5 else 3
    if len(plan) != len(model[3]) or len(initial) != len(model[3]):
        raise SystemExit(f'{len(model[3])} processes in the model, {len(initial)} in the initial assignment, {len(plan)} in the plan')
    before, broken = objective(model, initial, plan)
    if broken:
        raise SystemExit(f'the plan breaks {len(broken)} constraints, the first {broken[0]}')
    (gain, cycle), machine_of, P = scan(model, initial, plan, max_length)
    print(f'plan objective {before:,}')
    if cycle is None:
        print(f'no improving cycle of at most {max_length} steps')
        return
    after_plan = list(plan)
    for i, v in enumerate(cycle):
        target = cycle[(i + 1) % len(cycle)]
        if v < P:
            after_plan[v] = machine_of(target)
    after, broken = objective(model, initial, after_plan)
    names = [f'process {v} (machine {plan[v]})' if v < P else f'slot on machine {v - P}' for v in cycle]
    print(f'best cycle: {" -> ".join(names)}; step sum {gain:,.0f}')
    print(f'plan objective with it {after:,} ({after - before:+,}), {"feasible" if not broken else f"breaks {broken[0]}"}')


if __name__ == '__main__':
    main()
