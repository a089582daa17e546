#!/usr/bin/env python3
"""Builds a set of ten 16,000-point series from the NAB files, for timing `shardcast backtest` at the size
issue 4 names: the long asg_misconfiguration series cut to 16k points, and nine others each tiled from one NAB
series (repeated end to end, timestamps continued at its step) to 16k points.
Usage: bench/forecasting/make_long_set.py data/nab OUT_DIR"""
import csv
import datetime
import pathlib
import sys

source, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
files = sorted(source.rglob('*.csv'))
long = [f for f in files if 'asg_misconfiguration' in f.name]
others = [f for f in files if 'realAWSCloudwatch' in str(f)][:9]
N = 16000


def read(path):
    rows = list(csv.reader(open(path)))[1:]
    return [(datetime.datetime.fromisoformat(t), float(v)) for t, v in rows]


for path in long + others:
    rows = read(path)
    step = rows[1][0] - rows[0][0]
    series = []
    while len(series) < N:
        offset = (series[-1][0] + step - rows[0][0]) if series else datetime.timedelta(0)
        series.extend((t + offset, v) for t, v in rows)
    with open(out / (path.stem + '_16k.csv'), 'w') as f:
        f.write('timestamp,value\n')
        for t, v in series[:N]:
            f.write(f'{t:%Y-%m-%d %H:%M:%S},{v}\n')
print(f'wrote {len(long + others)} series of {N} points to {out}')
