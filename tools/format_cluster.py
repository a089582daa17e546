#!/usr/bin/env python3
"""Re-indents a cluster file for reading: one node, edge or load row per line. Usage: format_cluster.py IN OUT"""
import json
import sys


def fmt(o, ind=0):
    sp = '  ' * ind
    if isinstance(o, dict):
        flat = all(not isinstance(v, (dict, list)) or (isinstance(v, list) and all(not isinstance(x, (dict, list)) for x in v)) for v in o.values())
        if flat and len(json.dumps(o)) < 140:
            return json.dumps(o)
        items = [f'{sp}  {json.dumps(k)}: {fmt(v, ind + 1)}' for k, v in o.items()]
        return '{\n' + ',\n'.join(items) + '\n' + sp + '}'
    if isinstance(o, list):
        if all(not isinstance(x, (dict, list)) for x in o):
            return json.dumps(o)
        if all(isinstance(x, list) for x in o):
            return '[' + ', '.join(json.dumps(x) for x in o) + ']'
        return '[\n' + ',\n'.join(sp + '  ' + fmt(x, ind + 1) for x in o) + '\n' + sp + ']'
    return json.dumps(o)


if __name__ == '__main__':
    with open(sys.argv[1]) as f:
        data = json.load(f)
    with open(sys.argv[2], 'w') as f:
        f.write(fmt(data) + '\n')
