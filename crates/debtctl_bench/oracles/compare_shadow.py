#!/usr/bin/env python3
"""go/shadow against go vet's shadow analyzer (default and -strict), by file and line.
Usage: compare_shadow.py OURS.json FILES SHADOW.out SHADOW_STRICT.out ROOT"""
import json, re, sys
from pathlib import Path
ours_path, files_path, plain, strict, root = sys.argv[1:6]
root = root.rstrip('/')
files = set(l.strip() for l in Path(files_path).read_text().splitlines())
gen = re.compile(r'^// Code generated .* DO NOT EDIT\.$', re.M)
files -= {f for f in files if gen.search(Path(f).read_text())}
ours = set()
for f in json.loads(Path(ours_path).read_text())['findings']:
    p = f['path'] if f['path'].startswith('/') else root + '/' + f['path']
    if p in files and f['rule'] == 'go/shadow':
        ours.add((p, f['line']))
msgs = {}
def load(path):
    out = set()
    for l in Path(path).read_text().splitlines():
        m = re.match(r'(.+?):(\d+):(\d+): (.*)', l.strip())
        if m and m.group(1) in files and 'declaration of' in m.group(4):
            out.add((m.group(1), int(m.group(2))))
            msgs.setdefault((m.group(1), int(m.group(2))), m.group(4))
    return out
def text(k):
    return Path(k[0]).read_text().splitlines()[k[1] - 1].strip()
sh, st = load(plain), load(strict)
print(f'go/shadow: ours={len(ours)} shadow={len(sh)} shadow-strict={len(st)}')
print(f'  recall against shadow: {len(ours & sh)}/{len(sh)} = {len(ours & sh) / max(len(sh), 1):.3f}')
print(f'  precision against shadow -strict: {len(ours & st)}/{len(ours)} = {len(ours & st) / max(len(ours), 1):.3f}')
for k in sorted(ours - st):
    print('FP', k[0][len(root) + 1:], k[1], '|', text(k))
# Each miss with go vet's message and the line, to classify against the catalog.
for k in sorted(sh - ours):
    print('MISS', k[0][len(root) + 1:], k[1], '|', msgs[k], '|', text(k))
