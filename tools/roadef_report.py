#!/usr/bin/env python3
"""Table (markdown, to stdout) and chart (SVG) of `bench/roadef.sh` results: objective per instance and budget,
against the lower bound and team J33's 60 s objective as issue 3 gives them."""
import sys

J33 = {'a1_1': 44306501, 'a1_2': 777547675, 'a1_3': 583009171, 'a1_4': 262238573, 'a1_5': 727578316,
       'a2_1': 1030093, 'a2_2': 990437394, 'a2_3': 1468290019, 'a2_4': 1715942443, 'a2_5': 452021696}


def read(results):
    runs = {}
    for line in open(results):
        fields = line.split('|')[0].split()
        if len(fields) == 3:
            budget, instance, objective = fields
            if 'feasible: yes' not in line:
                raise SystemExit(f'infeasible run: {line.strip()}')
            runs[(instance, int(budget))] = int(objective.replace(',', ''))
    return runs


def number(path):
    return int(open(path).read().strip())


def table(runs, data, budgets):
    head = ['instance', 'initial', 'lower bound'] + [f'{b} s' for b in budgets] + ['J33 at 60 s', '60 s vs J33', '300 s vs J33', '300 s gap to LB']
    print('| ' + ' | '.join(head) + ' |')
    print('| --- |' + ' ---: |' * (len(head) - 1))
    for instance in J33:
        lb = number(f'{data}/lb_{instance}.txt')
        row = [instance, f"{number(f'{data}/original_cost_{instance}.txt'):,}", f'{lb:,}']
        row += [f'{runs[(instance, b)]:,}' if (instance, b) in runs else 'not run' for b in budgets]
        row.append(f'{J33[instance]:,}')
        sixty = runs.get((instance, 60))
        row.append('' if sixty is None else f'{sixty - J33[instance]:+,} ({100 * (sixty - J33[instance]) / J33[instance]:+.3f} %)')
        five = runs.get((instance, 300))
        row.append('' if five is None else f'{100 * (five - J33[instance]) / J33[instance]:+.3f} %')
        row.append('' if five is None else (f'{100 * (five - lb) / lb:.3f} %' if lb > 0 else f'{five:,} (bound 0)'))
        print('| ' + ' | '.join(row) + ' |')


def chart(runs, budgets, path):
    """Objective / J33's 60 s objective per instance, one bar per budget, linear between 0.7 and 1.1 so that
    a percent shows; bars below the axis (a2_1 reaches 2e-4 of J33) are clipped and labelled with their value."""
    width, height, left, top, bottom = 900, 420, 60, 40, 60
    colours = ['#9ecae1', '#4292c6', '#08519c']
    low, high = 0.7, 1.1
    plot_h = height - top - bottom
    def y(ratio):
        return top + plot_h * (high - min(max(ratio, low), high)) / (high - low)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">ROADEF 2012 set A: objective / J33 at 60 s (below 1 is better)</text>']
    tick = low
    while tick <= high + 1e-9:
        ty = y(tick)
        out.append(f'<line x1="{left}" x2="{width - 10}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{ty + 4:.1f}" text-anchor="end">{tick:.2f}</text>')
        tick += 0.05
    one = y(1)
    out.append(f'<line x1="{left}" x2="{width - 10}" y1="{one:.1f}" y2="{one:.1f}" stroke="#d62728" stroke-dasharray="4 3"/>')
    group = (width - left - 10) / len(J33)
    bar = group / (len(budgets) + 1)
    for i, instance in enumerate(J33):
        gx = left + i * group
        for j, b in enumerate(budgets):
            if (instance, b) not in runs:
                continue
            ratio = runs[(instance, b)] / J33[instance]
            top_y, base = y(ratio), y(low)
            x = gx + (j + 0.5) * bar
            out.append(f'<rect x="{x:.1f}" y="{top_y:.1f}" width="{bar * 0.9:.1f}" height="{max(base - top_y, 1):.1f}" fill="{colours[j % 3]}"><title>{instance} {b} s: {runs[(instance, b)]:,} ({ratio:.4f} of J33)</title></rect>')
            if ratio < low:
                out.append(f'<text x="{x + bar * 0.45:.1f}" y="{base - 4:.1f}" text-anchor="start" font-size="10" transform="rotate(-90 {x + bar * 0.45:.1f} {base - 4:.1f})">{ratio:.0e} of J33</text>')
        out.append(f'<text x="{gx + group / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle">{instance}</text>')
    for j, b in enumerate(budgets):
        out.append(f'<rect x="{left + j * 90}" y="{height - 24}" width="12" height="12" fill="{colours[j % 3]}"/><text x="{left + j * 90 + 16}" y="{height - 14}">{b} s</text>')
    out.append(f'<text x="{left + len(budgets) * 90 + 10}" y="{height - 14}" fill="#d62728">- - J33 at 60 s</text>')
    out.append('</svg>')
    open(path, 'w').write('\n'.join(out) + '\n')


if __name__ == '__main__':
    results, data, svg = sys.argv[1:4]
    runs = read(results)
    budgets = sorted({b for (_, b) in runs})
    table(runs, data, budgets)
    chart(runs, budgets, svg)
