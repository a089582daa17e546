#!/usr/bin/env python3
"""Forecasts against actuals, as SVG: for each named series, the last ORIGINS forecast origins of a backtest
(`shardcast backtest --emit-forecasts DIR`): actuals, auto's median and 80% band, and the medians of the other
models emitted. Plain SVG, no plotting library.
Usage: tools/forecast_chart.py DATA_DIR FORECASTS_DIR OUT.svg SERIES[,SERIES...] [ORIGINS]"""
import csv
import pathlib
import sys
from collections import defaultdict

data, forecasts, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
names = sys.argv[4].split(',')
shown_origins = int(sys.argv[5]) if len(sys.argv) > 5 else 16
COLOURS = {'auto': '#1f77b4', 'lstm': '#ff7f0e', 'ets': '#2ca02c', 'snaive': '#7f7f7f'}


def values(name):
    path = next(data.rglob(name + '.csv'))
    return [float(row[1]) for row in list(csv.reader(open(path)))[1:]]


def load_forecasts():
    result = {}
    for path in sorted(forecasts.glob('*.csv')):
        per = defaultdict(dict)
        for row in csv.DictReader(open(path)):
            if row['series'] in names:
                per[(row['series'], int(row['origin']))][(int(row['step']), float(row['quantile']))] = float(row['value'])
        result[path.stem] = per
    return result


models = load_forecasts()
panel_w, panel_h, left, top, gap = 900, 220, 70, 40, 50
height = top + len(names) * (panel_h + gap)
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{panel_w + left + 20}" height="{height}" font-family="sans-serif" font-size="12">',
       '<rect width="100%" height="100%" fill="white"/>',
       f'<text x="{(panel_w + left) / 2}" y="22" text-anchor="middle" font-size="14">Forecasts against actuals: the last {shown_origins} origins of the NAB backtest (12 steps each)</text>']
for i, name in enumerate(names):
    y0 = top + i * (panel_h + gap) + 10
    actual = values(name)
    origins = sorted(o for (s, o) in models['auto'] if s == name)[-shown_origins:]
    start, end = origins[0], origins[-1] + 12
    lo = min(actual[start:end])
    hi = max(actual[start:end])
    for o in origins:
        for q in (0.1, 0.9):
            for h in range(1, 13):
                v = models['auto'][(name, o)][(h, q)]
                lo, hi = min(lo, v), max(hi, v)
    pad = (hi - lo) * 0.05 or 1
    lo, hi = lo - pad, hi + pad
    X = lambda t: left + (t - start) / (end - 1 - start) * panel_w
    Y = lambda v: y0 + panel_h - (v - lo) / (hi - lo) * panel_h
    svg.append(f'<rect x="{left}" y="{y0}" width="{panel_w}" height="{panel_h}" fill="none" stroke="#ccc"/>')
    svg.append(f'<text x="{left}" y="{y0 - 6}" font-size="13">{name}</text>')
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        svg.append(f'<text x="{left - 6}" y="{Y(v) + 4:.1f}" text-anchor="end" font-size="10">{v:.4g}</text>')
    svg.append(f'<clipPath id="panel{i}"><rect x="{left}" y="{y0}" width="{panel_w}" height="{panel_h}"/></clipPath><g clip-path="url(#panel{i})">')
    for o in origins:
        f = models['auto'][(name, o)]
        upper = [(X(o + h - 1), Y(f[(h, 0.9)])) for h in range(1, 13)]
        lower = [(X(o + h - 1), Y(f[(h, 0.1)])) for h in range(12, 0, -1)]
        svg.append('<polygon fill="#1f77b4" fill-opacity="0.15" points="' + ' '.join(f'{x:.1f},{y:.1f}' for x, y in upper + lower) + '"/>')
        svg.append(f'<line x1="{X(o):.1f}" x2="{X(o):.1f}" y1="{y0}" y2="{y0 + panel_h}" stroke="#eee"/>')
    svg.append('<polyline fill="none" stroke="black" stroke-width="1.2" points="' + ' '.join(f'{X(t):.1f},{Y(actual[t]):.1f}' for t in range(start, end)) + '"/>')
    for model, per in models.items():
        colour = COLOURS.get(model, '#9467bd')
        dash = '' if model == 'auto' else ' stroke-dasharray="4 3"'
        for o in origins:
            if (name, o) in per:
                pts = ' '.join(f'{X(o + h - 1):.1f},{Y(per[(name, o)][(h, 0.5)]):.1f}' for h in range(1, 13))
                svg.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.4"{dash} points="{pts}"/>')
    svg.append('</g>')
legend_y = height - 12
svg.append(f'<line x1="{left}" x2="{left + 20}" y1="{legend_y - 4}" y2="{legend_y - 4}" stroke="black"/><text x="{left + 24}" y="{legend_y}">actual</text>')
x = left + 90
for model in models:
    svg.append(f'<line x1="{x}" x2="{x + 20}" y1="{legend_y - 4}" y2="{legend_y - 4}" stroke="{COLOURS.get(model, "#9467bd")}" stroke-width="2"/><text x="{x + 24}" y="{legend_y}">{model} median</text>')
    x += 120
svg.append(f'<rect x="{x}" y="{legend_y - 10}" width="20" height="10" fill="#1f77b4" fill-opacity="0.15"/><text x="{x + 24}" y="{legend_y}">auto 10-90%</text>')
svg.append('</svg>')
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text('\n'.join(svg) + '\n')
print(f'wrote {out}')
