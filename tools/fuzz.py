#!/usr/bin/env python3
"""Mutation fuzzing of everything a user hands Shardcast: cluster files (`plan`), series CSV (`forecast`), ROADEF
model and assignment files (`roadef`) and socket requests (`serve`, through Debian's python3-msgpack). Each case
mutates a real input (the example cluster, set A's a1_1 as a cluster file and in its own format, NAB traces) in one
to three places; an answer other than success or a refusal (exit code 0, 2 or 3; any error code but `internal`) is
printed with what was mutated, and the files of failing cases are kept. Bad input must be refused with a reason,
never crash a command or the server.

    python3 tools/fuzz.py plan|files|socket [--seed S] [--cases N] [--shardcast PATH]

Build first (`dotnet build host/Shardcast.Host -c Release`). Cases run two at a time; about one per second.
"""
import argparse
import copy
import glob
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ODD_VALUES = [None, -1, 0, 1, -1e308, 1e308, 2**63, -2**63, 2**64, 1.5, "x", "", [], {}, [[]], True, -0.0, 1e-320,
              [1e308, 1e308], ["n0"], "n0", "topic0-0"]
ODD_TOKENS = ['-1', '0', '9999999999999999999999', '2147483648', '-2147483649', '1.5', 'x', '', '1e5', '99', '3', '100',
              'nan', 'inf', '1e308', '-1e308', '2014-13-45 00:00:00']


def json_paths(rng, node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from json_paths(rng, value, prefix + (key,))
    elif isinstance(node, list):
        indices = range(len(node)) if len(node) < 8 else rng.sample(range(len(node)), 4)
        for i in indices:
            yield from json_paths(rng, node[i], prefix + (i,))


def mutate_json(rng, document):
    """Deletes a key, duplicates a list item or sets a value somewhere in the document; says which."""
    paths = [p for p in json_paths(rng, document) if p]
    if not paths:
        return 'nothing to mutate'
    path = rng.choice(paths)
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    roll = rng.random()
    if roll < 0.15 and isinstance(parent, dict):
        del parent[path[-1]]
        return f'delete {path}'
    if roll < 0.25 and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[path[-1]]))
        return f'duplicate {path}'
    current = parent[path[-1]]
    if isinstance(current, (int, float)) and not isinstance(current, bool) and rng.random() < 0.5:
        # A plausible number at the wrong scale gets past the type checks and into the planner.
        value = current * 10.0 ** rng.randint(-40, 40) * rng.choice([1, 1, 1, -1])
    else:
        value = copy.deepcopy(rng.choice(ODD_VALUES))
    parent[path[-1]] = value
    return f'set {path} = {json.dumps(value)[:40]}'


def mutate_lines(rng, lines, separator=None):
    """Deletes or repeats a line, or deletes or replaces one of its tokens."""
    lines = list(lines)
    for _ in range(rng.randint(1, 3)):
        if not lines:
            break
        i = rng.randrange(len(lines))
        tokens = lines[i].split(separator)
        roll = rng.random()
        if roll < 0.1:
            del lines[i]
        elif roll < 0.2:
            lines.insert(i, lines[i])
        elif tokens:
            j = rng.randrange(len(tokens))
            if rng.random() < 0.2:
                del tokens[j]
            else:
                tokens[j] = rng.choice(ODD_TOKENS)
            lines[i] = (separator or ' ').join(tokens)
    return lines


class Runner:
    def __init__(self, shardcast, keep):
        self.shardcast, self.keep, self.codes = shardcast, keep, {}

    def run(self, case, args, folder, what):
        try:
            result = subprocess.run([self.shardcast, *args], capture_output=True, text=True, timeout=120)
            code, error = result.returncode, result.stderr
        except subprocess.TimeoutExpired:
            code, error = 'timeout', ''
        self.codes[code] = self.codes.get(code, 0) + 1
        if code in (0, 2, 3):
            shutil.rmtree(folder, ignore_errors=True)
            return None
        kept = os.path.join(self.keep, os.path.basename(folder))
        shutil.move(folder, kept)
        return f'{args[0]} case {case}: exit {code}, {what}, files in {kept}\n{error[:1500]}'


def case_random(options, i):
    """Each case its own generator, so that a case reproduces alone and whatever the order cases finish in."""
    return random.Random((options.seed * 1_000_003) + i)


def plan_cases(options, runner):
    """Two clusters to mutate: the example (the native terms) and a1_1 as `roadef --export-cluster` writes it (the
    extended terms: safety, resource balance, move costs, neighbourhoods, hard capacity)."""
    a1_1 = os.path.join(ROOT, 'data', 'roadef2012', 'A')
    exported = os.path.join(options.keep, 'a1_1.json')
    subprocess.run([options.shardcast, 'roadef', '--model', os.path.join(a1_1, 'model_a1_1.txt'), '--initial',
                    os.path.join(a1_1, 'assignment_a1_1.txt'), '--output', os.path.join(options.keep, 'a1_1.solution'),
                    '--time-s', '1', '--export-cluster', exported], check=True, capture_output=True)
    clusters = [json.load(open(os.path.join(ROOT, 'examples', 'cluster.json'))), json.load(open(exported))]
    os.remove(exported)

    def case(i):
        rng = case_random(options, i)
        folder = tempfile.mkdtemp(prefix=f'plan{i}-')
        document = copy.deepcopy(clusters[i % 2])
        what = [mutate_json(rng, document) for _ in range(rng.randint(1, 3))]
        path = os.path.join(folder, 'cluster.json')
        json.dump(document, open(path, 'w'))
        args = ['plan', '--input', path, '--time-ms', '300', '--output', os.path.join(folder, 'plan.json')]
        return runner.run(i, args + (['--no-scaling-advice'] if i % 4 < 2 else []), folder, what)
    return case


def file_cases(options, runner):
    a1_1 = os.path.join(ROOT, 'data', 'roadef2012', 'A')
    model = open(os.path.join(a1_1, 'model_a1_1.txt')).read().split('\n')
    assignment = open(os.path.join(a1_1, 'assignment_a1_1.txt')).read()
    traces = sorted(glob.glob(os.path.join(ROOT, 'data', 'nab', '**', '*.csv'), recursive=True))

    def roadef(rng, i, folder):
        mutated_model = i % 3 != 0
        lines = mutate_lines(rng, model) if mutated_model else model
        initial = assignment if mutated_model else ' '.join(mutate_lines(rng, [assignment]))
        open(os.path.join(folder, 'model.txt'), 'w').write('\n'.join(lines))
        open(os.path.join(folder, 'initial.txt'), 'w').write(initial)
        args = ['roadef', '--model', os.path.join(folder, 'model.txt'), '--initial', os.path.join(folder, 'initial.txt'),
                '--output', os.path.join(folder, 'solution.txt'), '--time-s', '1']
        return args, 'model' if mutated_model else 'assignment'

    def forecast(rng, i, folder):
        trace = rng.choice(traces)
        lines = open(trace).read().split('\n')[: rng.choice([3, 30, 400, 5000])]
        lines = mutate_lines(rng, lines, ',') if rng.random() < 0.8 else lines
        path = os.path.join(folder, 'series.csv')
        open(path, 'w').write('\n'.join(lines))
        model_name = rng.choice(['auto', 'snaive', 'ets', 'lstm'])
        return ['forecast', '--input', path, '--horizon', rng.choice(['1', '12', '500']), '--model', model_name], os.path.basename(trace)

    def case(i):
        folder = tempfile.mkdtemp(prefix=f'files{i}-')
        args, what = (roadef if i % 2 else forecast)(case_random(options, i), i, folder)
        return runner.run(i, args, folder, what)
    return case


def run_socket(options, rng):
    sys.path.insert(0, os.path.join(ROOT, 'examples', 'python'))
    from shardcast_client import ShardcastClient, ShardcastError
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    log = open(os.path.join(options.keep, 'serve.log'), 'w')
    server = subprocess.Popen([options.shardcast, 'serve', '--listen', f'127.0.0.1:{port}'], stdout=log, stderr=subprocess.STDOUT)
    for _ in range(150):
        try:
            socket.create_connection(('127.0.0.1', port)).close()
            break
        except OSError:
            time.sleep(0.2)
    cluster = json.load(open(os.path.join(ROOT, 'examples', 'cluster.json')))
    series = {'id': 's', 'values': [float(50 + (i % 17)) for i in range(300)], 'step_seconds': 300}
    bodies = {
        'plan': lambda: dict(copy.deepcopy(cluster), options={'time_ms': 100}),
        'evaluate': lambda: dict(copy.deepcopy(cluster), assignment=[p['node'] for p in cluster['partitions']]),
        'forecast': lambda: {'series': [copy.deepcopy(series)], 'horizon': 6, 'quantiles': [0.1, 0.5, 0.9],
                             'model': rng.choice(['auto', 'ets', 'snaive', 'lstm'])},
        'ingest': lambda: {'series': [copy.deepcopy(series)]},
        'route': lambda: {'since': 0},
    }
    failures, codes = 0, {}
    try:
        client = ShardcastClient('127.0.0.1', port, timeout=120)
        for i in range(options.cases):
            op = rng.choice(sorted(bodies))
            body = bodies[op]()
            what = [mutate_json(rng, body) for _ in range(rng.randint(1, 3))]
            try:
                client.call(op, body)
                codes['ok'] = codes.get('ok', 0) + 1
            except OverflowError:
                continue  # 2**64 has no MessagePack encoding: nothing was sent
            except ShardcastError as e:
                codes[e.code] = codes.get(e.code, 0) + 1
                if e.code == 'internal':
                    failures += 1
                    print(f'{op} case {i}: internal, {what}: {e.message[:300]}', flush=True)
            except (OSError, ValueError) as e:
                failures += 1
                print(f'{op} case {i}: the connection failed, {what}: {e!r}'[:400], flush=True)
                client = ShardcastClient('127.0.0.1', port, timeout=120)
            if (i + 1) % 100 == 0:
                print(f'{i + 1} requests', file=sys.stderr, flush=True)
        client.call('capabilities', {})
    finally:
        server.terminate()
        server.wait()
    print('answers: ' + ', '.join(f'{code} {count}' for code, count in sorted(codes.items())))
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('target', choices=['plan', 'files', 'socket'])
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--cases', type=int, default=200)
    parser.add_argument('--shardcast', default=os.path.join(ROOT, 'host', 'Shardcast.Host', 'bin', 'Release', 'net10.0', 'shardcast'))
    options = parser.parse_args()
    options.keep = tempfile.mkdtemp(prefix='shardcast-fuzz-')
    if options.target == 'socket':
        failures = run_socket(options, random.Random(options.seed))
    else:
        runner = Runner(options.shardcast, options.keep)
        case = (plan_cases if options.target == 'plan' else file_cases)(options, runner)
        failures = 0
        with ThreadPoolExecutor(2) as pool:
            for i, report in enumerate(pool.map(case, range(options.cases))):
                if report:
                    failures += 1
                    print(report, flush=True)
                if (i + 1) % 50 == 0:
                    print(f'{i + 1} cases', file=sys.stderr, flush=True)
        print('exit codes: ' + ', '.join(f'{code}: {count}' for code, count in sorted(runner.codes.items(), key=str)))
    if failures:
        print(f'{options.target}: {options.cases} cases, {failures} failures (kept in {options.keep})')
        sys.exit(1)
    shutil.rmtree(options.keep, ignore_errors=True)
    print(f'{options.target}: {options.cases} cases, no failures')


if __name__ == '__main__':
    main()
