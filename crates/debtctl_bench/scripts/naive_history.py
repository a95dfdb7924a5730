#!/usr/bin/env python3
"""The naive way to build a debt history, for docs/benchmarks.md: for each commit, write
its tree's analysable files (.go, go.mod, .py, .pyi, .yaml, .yml, plus debtctl.toml) to
a fresh directory and run a fresh `debtctl scan --no-cache` on it. Prints, per commit and
in total, the CPU seconds (user + system, from wait4) of the scans alone; writing the
trees out is not counted.

usage: naive_history.py DEBTCTL REPO COMMITS_FILE [LEDGER]
COMMITS_FILE holds one commit id per line. With LEDGER (a ledger that `debtctl history`
wrote for the same commits), each scan's fingerprints are also compared with those the
ledger recorded for that commit, and any difference is reported.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

ANALYSED = (".go", ".py", ".pyi", ".yaml", ".yml")


def analysable(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name in ("go.mod", "debtctl.toml") or name.endswith(ANALYSED)


def write_tree(repo: str, commit: str, dest: str) -> int:
    """Writes the analysable files of `commit` under `dest`; blobs a partial clone lacks
    are left out (the ledger does the same). Returns the number of files written."""
    listing = subprocess.run(
        ["git", "-C", repo, "ls-tree", "-r", "-z", commit], check=True, capture_output=True
    ).stdout.split(b"\0")
    wanted = []
    for entry in listing:
        if not entry:
            continue
        meta, path = entry.split(b"\t", 1)
        mode, kind, oid = meta.split()
        path = path.decode("utf-8", "surrogateescape")
        if kind == b"blob" and mode != b"120000" and analysable(path):
            wanted.append((oid.decode(), path))
    batch = subprocess.Popen(
        ["git", "-C", repo, "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    written = 0
    for oid, path in wanted:
        batch.stdin.write(oid.encode() + b"\n")
        batch.stdin.flush()
        header = batch.stdout.readline().split()
        if header[-1] == b"missing":
            continue
        size = int(header[2])
        data = batch.stdout.read(size)
        batch.stdout.read(1)
        target = os.path.join(dest, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(data)
        written += 1
    batch.stdin.close()
    batch.wait()
    return written


def main() -> None:
    debtctl, repo, commits_file = sys.argv[1:4]
    ledger = sqlite3.connect(sys.argv[4]) if len(sys.argv) > 4 else None
    with open(commits_file) as fh:
        commits = [c.strip() for c in fh if c.strip()]
    total = 0.0
    differ = 0
    for n, commit in enumerate(commits):
        work = tempfile.mkdtemp(prefix="naive-")
        try:
            files = write_tree(repo, commit, work)
            proc = subprocess.Popen(
                [debtctl, "scan", "--no-cache", "--format", "json", "--exit-zero", "."],
                cwd=work,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            out = proc.stdout.read()
            _, status, usage = os.wait4(proc.pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                sys.exit(f"scan of {commit} failed")
            cpu = usage.ru_utime + usage.ru_stime
            total += cpu
            check = ""
            if ledger is not None:
                scanned = sorted(f["fingerprint"] for f in json.loads(out)["findings"])
                recorded = sorted(
                    r[0]
                    for r in ledger.execute(
                        "SELECT m.fingerprint FROM memberships m JOIN commits c ON c.id = m.commit_id"
                        " WHERE c.sha = ?",
                        (commit,),
                    )
                )
                same = scanned == recorded
                differ += not same
                check = f" findings={len(scanned)} ledger={'same' if same else f'DIFFERS ({len(recorded)})'}"
            print(f"{n + 1}/{len(commits)} {commit[:12]} files={files} cpu={cpu:.2f}s{check}", flush=True)
        finally:
            shutil.rmtree(work)
    print(f"commits={len(commits)} total_cpu={total:.2f}s mean_cpu={total / len(commits):.3f}s")
    if ledger is not None:
        print(f"ledger differs from the scan on {differ} of {len(commits)} commits")
        if differ:
            sys.exit(1)


if __name__ == "__main__":
    main()
