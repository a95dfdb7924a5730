#!/usr/bin/env python3
"""A Go rule (go/ignored-error unless RULE is given) against errcheckish, by file and
line, on the files in FILES.
Usage: compare_errcheck.py OURS.json FILES ORACLE.out ROOT [RULE]"""
import json, re, sys
from pathlib import Path
files=set(l.strip() for l in Path(sys.argv[2]).read_text().splitlines())
gen = re.compile(r'^// Code generated .* DO NOT EDIT\.$', re.M)
files -= {f for f in files if gen.search(Path(f).read_text())}
rule=sys.argv[5] if len(sys.argv)>5 else 'go/ignored-error'
d=json.loads(Path(sys.argv[1]).read_text())
ours={}
for f in d['findings']:
    p=f['path'] if f['path'].startswith('/') else sys.argv[4].rstrip('/')+'/'+f['path']
    if p in files and f['rule']==rule: ours[(p,f['line'])]=f['message']
orc={}
for l in Path(sys.argv[3]).read_text().splitlines():
    m=re.match(r'(.+?):(\d+):(\d+): (.*)', l.strip())
    if m and m.group(1) in files: orc[(m.group(1),int(m.group(2)))]=m.group(4)
a,b=set(ours),set(orc); tp=len(a&b)
print(f'ours={len(a)} oracle={len(b)} tp={tp} precision={tp/max(len(a),1):.3f} recall={tp/max(len(b),1):.3f}')
for k in sorted(a-b): print('FP',k[0][len(sys.argv[4].rstrip('/'))+1:],k[1],ours[k])
for k in sorted(b-a): print('FN',k[0][len(sys.argv[4].rstrip('/'))+1:],k[1],orc[k])
