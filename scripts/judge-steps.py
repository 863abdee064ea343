#!/usr/bin/env python3
"""judge-steps.py LOG: percentiles of the judge's trace-level `step` lines (read_us, judged_us, step_us), from
a `sargs serve` log written with SARGS_LOG=info,judge::judgement=trace (see BENCHMARKS.md)."""
import re, sys
vals = {'read_us': [], 'judged_us': [], 'step_us': [], 'wanted': []}
stored = 0
n = 0
for line in open(sys.argv[1], errors='replace'):
    if 'step' not in line or 'step_us' not in line:
        continue
    n += 1
    for k in vals:
        m = re.search(r'\b' + k + r'=(\d+)', line)
        if m:
            vals[k].append(int(m.group(1)))
    if 'stored=true' in line:
        stored += 1
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))] if v else None
print(f'steps {n}, stored {stored}')
for k, v in vals.items():
    print(k, 'p50', pct(v, .5), 'p90', pct(v, .9), 'p99', pct(v, .99), 'max', max(v) if v else None, 'sum', sum(v))
