#!/usr/bin/env python3
"""Compare debtctl findings with the oracles, by file+line, on the files the oracles check."""
import json, os, re, subprocess, sys
O = os.environ.get('ORACLES', '/tmp/oracles')
bin_ = sys.argv[1]
tag = sys.argv[2] if len(sys.argv) > 2 else 'cur'
def read(path):
    with open(path) as fh:
        return fh.read()
files = set(l.strip() for l in read(f'{O}/files.txt').splitlines())
# Generated files are not flagged by any rule (catalog): left out of the comparison.
gen = re.compile(r'^// Code generated .* DO NOT EDIT\.$', re.M)
generated = {f for f in files if gen.search(read(f))}
print('generated files left out:', sorted(generated))
files -= generated
dirs = sorted(set(os.path.dirname(f) for f in files))
res = subprocess.run([bin_, 'scan', '--no-cache', '--exit-zero', '--select', 'go/ignored-error,go/shadow', '--format', 'json', *dirs],
                     capture_output=True, text=True, cwd='/')
data = json.loads(res.stdout)
ours = {'go/ignored-error': {}, 'go/shadow': {}}
for f in data['findings']:
    p = f['path'] if f['path'].startswith('/') else '/' + f['path']
    if p in files:
        ours[f['rule']][(p, f['line'])] = f['message']
with open(f'{O}/ours-{tag}.json', 'w') as fh:
    json.dump({r: [[k[0], k[1], v] for k, v in d.items()] for r, d in ours.items()}, fh, indent=0)
def load(path, pat):
    out = {}
    for l in read(path).splitlines():
        m = re.match(r'(.+?):(\d+):(\d+): (.*)', l.strip())
        if m and m.group(1) in files and re.search(pat, m.group(4)):
            out[(m.group(1), int(m.group(2)))] = m.group(4)
    return out
oracle = {'go/ignored-error': load(f'{O}/errcheck.out', '.'), 'go/shadow': load(f'{O}/shadow.out', 'shadows')}
for rule in ours:
    a, b = set(ours[rule]), set(oracle[rule])
    tp = len(a & b)
    print(f'{rule}: ours={len(a)} oracle={len(b)} tp={tp} precision={tp/max(len(a),1):.3f} recall={tp/max(len(b),1):.3f}')
    with open(f'{O}/diff-{tag}-{rule.split("/")[1]}.txt', 'w') as fh:
        for k in sorted(a - b):
            fh.write(f'FP {k[0]}:{k[1]}: {ours[rule][k]}\n')
        for k in sorted(b - a):
            fh.write(f'FN {k[0]}:{k[1]}: {oracle[rule][k]}\n')
