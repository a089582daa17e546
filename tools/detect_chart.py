#!/usr/bin/env python3
"""Anomaly detection against labels, as SVG: for each named series, its values, the detector's score from
`shardcast detect` (a band under the series), its alarms (the score at or above 0.999, red marks) and, where a
NAB-style labels file is given, the labelled anomaly windows (shaded) and the probationary first 15 %.
Plain SVG, no plotting library.
With labels it also prints, for the series charted, the labelled windows with an alarm in them and the alarms
outside every window after the probation (`all` charts and counts every series under DATA_DIR).
Usage: tools/detect_chart.py DATA_DIR RESULTS_DIR DETECTOR OUT.svg SERIES[,SERIES...]|all [LABELS.json]"""
import csv
import json
import pathlib
import sys

data, results, detector, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3], pathlib.Path(sys.argv[4])
names = sys.argv[5].split(',') if sys.argv[5] != 'all' else sorted(p.stem for p in data.rglob('*.csv'))
labels = json.load(open(sys.argv[6])) if len(sys.argv) > 6 else {}
ALARM = 0.999


def read(name):
    path = next(data.rglob(name + '.csv'))
    category = path.parent.name
    rows = list(csv.reader(open(path)))[1:]
    scored = list(csv.DictReader(open(results / category / f'{detector}_{name}.csv')))
    if len(scored) != len(rows):
        sys.exit(f'{name}: {len(scored)} scored rows, the data file has {len(rows)}')
    windows = labels.get(f'{category}/{name}.csv', [])
    stamps = [r[0] for r in rows]

    def index(stamp):
        stamp = stamp.split('.')[0]
        return stamps.index(stamp) if stamp in stamps else None

    spans = [(index(a), index(b)) for a, b in windows]
    return [float(r[1]) for r in rows], [float(r['anomaly_score']) for r in scored], [s for s in spans if None not in s]


panel_w, panel_h, band_h, left, top, gap = 960, 150, 36, 70, 40, 56
height = top + len(names) * (panel_h + band_h + gap)
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{panel_w + left + 20}" height="{height}" font-family="sans-serif" font-size="12">',
       '<rect width="100%" height="100%" fill="white"/>',
       f'<text x="{(panel_w + left) / 2}" y="22" text-anchor="middle" font-size="14">shardcast detect: series, score (band below) and alarms (red), labelled windows shaded</text>']
totals = [0, 0, 0, 0]  # windows found, windows, alarms outside them, alarms
for i, name in enumerate(names):
    values, scores, spans = read(name)
    n = len(values)
    y0 = top + i * (panel_h + band_h + gap) + 10
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.05 or 1
    lo, hi = lo - pad, hi + pad
    X = lambda t: left + t / (n - 1) * panel_w
    Y = lambda v: y0 + panel_h - (v - lo) / (hi - lo) * panel_h
    alarms = [t for t, s in enumerate(scores) if s >= ALARM]
    found = sum(1 for a, b in spans if any(a <= t <= b for t in alarms))
    outside = sum(1 for t in alarms if t >= int(0.15 * n) and not any(a <= t <= b for a, b in spans))
    totals = [totals[0] + found, totals[1] + len(spans), totals[2] + outside, totals[3] + len(alarms)]
    caption = f'{name}: {n} rows, {len(alarms)} alarms' + (f'; {found} of {len(spans)} labelled windows found, {outside} alarms outside them after the probation' if labels else '')
    svg.append(f'<text x="{left}" y="{y0 - 6}" font-size="13">{caption}</text>')
    svg.append(f'<rect x="{left}" y="{y0}" width="{X(int(0.15 * n)) - left:.1f}" height="{panel_h + band_h}" fill="#f3f3f3"/>' if labels else '')
    for a, b in spans:
        svg.append(f'<rect x="{X(a):.1f}" y="{y0}" width="{max(1.0, X(b) - X(a)):.1f}" height="{panel_h + band_h}" fill="#ffe9a8" opacity="0.7"/>')
    svg.append(f'<rect x="{left}" y="{y0}" width="{panel_w}" height="{panel_h}" fill="none" stroke="#ccc"/>')
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        svg.append(f'<text x="{left - 6}" y="{Y(v) + 4:.1f}" text-anchor="end" font-size="10">{v:.4g}</text>')
    step = max(1, n // 1200)
    points = ' '.join(f'{X(t):.1f},{Y(values[t]):.1f}' for t in range(0, n, step))
    svg.append(f'<polyline class="series" points="{points}" fill="none" stroke="#1f77b4" stroke-width="1"/>')
    b0 = y0 + panel_h + 4
    svg.append(f'<rect x="{left}" y="{b0}" width="{panel_w}" height="{band_h - 8}" fill="none" stroke="#ccc"/>')
    svg.append(f'<text x="{left - 6}" y="{b0 + band_h / 2:.1f}" text-anchor="end" font-size="10">score</text>')
    band = ' '.join(f'{X(t):.1f},{b0 + (band_h - 8) * (1 - scores[t]):.1f}' for t in range(0, n, step))
    svg.append(f'<polyline class="score" points="{band}" fill="none" stroke="#555" stroke-width="0.8"/>')
    for t in alarms:
        svg.append(f'<line class="alarm" x1="{X(t):.1f}" y1="{y0}" x2="{X(t):.1f}" y2="{b0 + band_h - 8}" stroke="#d62728" stroke-width="1.2"/>')
svg.append('</svg>')
out.write_text('\n'.join(s for s in svg if s))
print(f'chart written to {out}')
if labels:
    print(f'{len(names)} series: {totals[0]} of {totals[1]} labelled windows found, {totals[3]} alarms, {totals[2]} outside the windows after the probation')
