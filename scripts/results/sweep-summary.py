#!/usr/bin/env python3
"""Summarises an `eac sweep` folder of runs for docs: per method and noise rate, mean ± sample std
over seeds of the paper's figure (mean test accuracy of the last 5 epochs), of the best epoch, and
of the share of label-flipped training images predicted as their noisy label at the last epoch.

    python3 scripts/results/sweep-summary.py SWEEP_DIR
"""
import glob
import json
import os
import statistics
import sys

runs = {}
for f in sorted(glob.glob(os.path.join(sys.argv[1], '*-noise*-seed*.json'))):
    d = json.load(open(f))
    c = d['config']
    key = (c['method'], (d.get('noise') or {}).get('rate', 0))
    last = d['epochs'][-1]
    mem = last.get('memorisation') or {}
    runs.setdefault(key, []).append(
        (d['summary']['testAccLast5'], d['summary']['bestTestAcc'], mem.get('predictedNoisy'), [e['testAcc'] for e in d['epochs']])
    )


def ms(xs, scale=100):
    xs = [x * scale for x in xs if x is not None]
    if not xs:
        return '–'
    return f'{statistics.mean(xs):.2f} ± {statistics.stdev(xs):.2f}' if len(xs) > 1 else f'{xs[0]:.2f}'


rates = sorted({r for _, r in runs})
print('| method | ' + ' | '.join('clean' if r == 0 else f'{r:.0%} noise' for r in rates) + ' |')
print('| --- | ' + ' | '.join('---:' for _ in rates) + ' |')
for m in ['baseline', 'eac']:
    print(f'| {m}: test accuracy, mean of the last 5 epochs (%) | ' + ' | '.join(ms([x[0] for x in runs.get((m, r), [])]) + f" (n={len(runs.get((m, r), []))})" for r in rates) + ' |')
for m in ['baseline', 'eac']:
    print(f'| {m}: best epoch (%) | ' + ' | '.join(ms([x[1] for x in runs.get((m, r), [])]) for r in rates) + ' |')
for m in ['baseline', 'eac']:
    print(f'| {m}: flipped labels predicted as their noisy label at the last epoch (%) | ' + ' | '.join(ms([x[2] for x in runs.get((m, r), [])]) if r > 0 else '–' for r in rates) + ' |')
print()
for (m, r), xs in sorted(runs.items()):
    per_epoch = [statistics.mean(e) * 100 for e in zip(*[x[3] for x in xs])]
    print(f'{m} {r}: test accuracy per epoch, mean over {len(xs)} seeds: ' + ' '.join(f'{v:.1f}' for v in per_epoch))
