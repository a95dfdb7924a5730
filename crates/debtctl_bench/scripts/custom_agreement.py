#!/usr/bin/env python3
"""Agreement of `debtctl scan` with the ast-grep CLI on custom rules (issue 14).

    custom_agreement.py DEBTCTL CORPUS RULE_DIR... [--exclude PREFIX]...

Runs the rule files of each RULE_DIR through `debtctl scan` (the whole pipeline: config,
selection, discovery, suppression, output) and through `ast-grep scan --rule FILE
--json=stream .`, both in CORPUS, and compares the matches by rule, file, start line and
end line. debtctl leaves out what a scan always leaves out (vendor/, node_modules/,
third_party/, files marked generated) and so does this comparison on ast-grep's side;
`--exclude` leaves out more prefixes on both sides.

It writes `debtctl.toml` into CORPUS (`rule-dirs` naming the RULE_DIRs) and removes it
again, so CORPUS must be a scratch checkout. Prints the counts, the agreement both ways
and every difference.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ALWAYS_OUT = ("vendor/", "node_modules/", "third_party/")
GO_GENERATED = re.compile(r"^// Code generated .* DO NOT EDIT\.$")


def generated(path: Path) -> bool:
    """debtctl's rule: Go's `// Code generated ... DO NOT EDIT.` before the package
    clause, Python's `@generated` in a comment or docstring of its first 40 lines."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    if path.suffix == ".go":
        for line in text.splitlines():
            if line.startswith("package "):
                return False
            if GO_GENERATED.match(line.rstrip()):
                return True
        return False
    if path.suffix == ".py":
        for line in text.splitlines()[:40]:
            if "@generated" in line and (line.lstrip().startswith("#") or '"""' in line):
                return True
    return False


def rule_files(dirs):
    for d in dirs:
        for p in sorted(Path(d).rglob("*")):
            if p.suffix in (".yml", ".yaml") and not any(part.startswith(".") for part in p.parts):
                yield p


def rule_ids(path: Path):
    for line in path.read_text().splitlines():
        m = re.match(r"^id:\s*(\S+)\s*$", line)
        if m:
            yield m.group(1).strip("'\"")


def main():
    args = sys.argv[1:]
    excludes = []
    while "--exclude" in args:
        i = args.index("--exclude")
        excludes.append(args[i + 1])
        del args[i : i + 2]
    if len(args) < 3:
        sys.exit(__doc__)
    debtctl, corpus, dirs = os.path.abspath(args[0]), Path(args[1]).resolve(), [Path(d).resolve() for d in args[2:]]
    files = list(rule_files(dirs))
    ids = [i for f in files for i in rule_ids(f)]
    out_prefixes = ALWAYS_OUT + tuple(excludes)

    config = corpus / "debtctl.toml"
    if config.exists():
        sys.exit(f"{config} exists: use a scratch checkout")
    config.write_text("rule-dirs = [%s]\n" % ", ".join(json.dumps(str(d)) for d in dirs))
    try:
        run = subprocess.run(
            [debtctl, "scan", "--no-cache", "--format", "json", "--exit-zero", "--select", ",".join(ids), "."],
            cwd=corpus, capture_output=True, text=True,
        )
    finally:
        config.unlink()
    if run.returncode != 0:
        sys.exit(f"debtctl failed: {run.stderr}")
    report = json.loads(run.stdout)
    ours = {
        (f["rule"], f["path"], f["line"], f["end_line"])
        for f in report["findings"]
        if not f["path"].startswith(tuple(excludes))
    }

    theirs = set()
    kept = {}
    for rule in files:
        run = subprocess.run(
            ["ast-grep", "scan", "--rule", str(rule), "--json=stream", "."],
            cwd=corpus, capture_output=True, text=True,
        )
        if run.returncode not in (0, 1):
            sys.exit(f"ast-grep failed on {rule}: {run.stderr}")
        for line in run.stdout.splitlines():
            m = json.loads(line)
            path = m["file"].removeprefix("./")
            if path.startswith(out_prefixes):
                continue
            if path not in kept:
                kept[path] = not generated(corpus / path)
            if not kept[path]:
                continue
            r = m["range"]
            theirs.add((m["ruleId"], path, r["start"]["line"] + 1, r["end"]["line"] + 1))

    both = ours & theirs
    print(f"corpus: {corpus}")
    print(f"rules: {len(ids)} in {len(files)} files")
    print(f"debtctl scan: {report['summary']['files']} files, skipped: {report['summary'].get('skipped')}")
    print(f"matches: ast-grep {len(theirs)}, debtctl {len(ours)}, both {len(both)}")
    ratio = lambda a, b: a / b if b else 1.0
    print(f"agreement: debtctl found {ratio(len(both), len(theirs)):.4f} of ast-grep's, "
          f"ast-grep found {ratio(len(both), len(ours)):.4f} of debtctl's")
    per_rule = {}
    for rule, *_ in theirs | ours:
        per_rule.setdefault(rule, [0, 0])
    for k in theirs:
        per_rule[k[0]][0] += 1
    for k in ours:
        per_rule[k[0]][1] += 1
    for rule, (t, o) in sorted(per_rule.items()):
        print(f"  {rule}: ast-grep {t}, debtctl {o}")
    for k in sorted(theirs - ours):
        print("only ast-grep:", *k)
    for k in sorted(ours - theirs):
        print("only debtctl:", *k)


if __name__ == "__main__":
    main()
