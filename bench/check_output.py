#!/usr/bin/env python3
"""ctest check for contentstore-bench: runs it with the given arguments and
checks that it exits 0 and prints exactly one valid JSON object per expected
workload, with the harness's keys and ours, and no error.

Usage: check_output.py --expect w1,w2,... -- BENCH [ARGS...]
"""
import argparse
import json
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--expect", required=True, help="comma list of workload names expected")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = [x for x in a.cmd if x != "--"] if a.cmd[:1] == ["--"] else a.cmd
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    problems = []
    if p.returncode != 0:
        problems.append(f"exit status {p.returncode}; stderr: {p.stderr.strip()[-2000:]}")
    seen = []
    for n, line in enumerate(p.stdout.splitlines(), 1):
        try:
            o = json.loads(line)
        except ValueError as e:
            problems.append(f"line {n} is not JSON ({e}): {line!r}")
            continue
        if not isinstance(o, dict):
            problems.append(f"line {n} is not an object: {line!r}")
            continue
        w = o.get("workload")
        seen.append(w)
        if "error" in o:
            problems.append(f"{w}: error: {o['error']}")
            continue
        if not str(o.get("impl", "")).startswith("contentstore-"):
            problems.append(f"{w}: impl is {o.get('impl')!r}")
        for key, kind in (("n", int), ("seconds", (int, float)), ("sync", bool),
                          ("max_rss_kib", int), ("rss_before_kib", int)):
            if not isinstance(o.get(key), kind) or (kind is not bool and o[key] <= 0):
                problems.append(f"{w}: {key} is {o.get(key)!r}")
        # The kernel's RSS counters are batched per CPU, so /proc/self/statm
        # (rss_before_kib) and the exit-time peak (max_rss_kib) can disagree
        # by a little; a big gap would mean max_rss_kib is not per workload.
        if o.get("max_rss_kib", 0) + 2048 < o.get("rss_before_kib", 0):
            problems.append(f"{w}: max_rss_kib far below rss_before_kib")
    expected = a.expect.split(",")
    if sorted(seen) != sorted(expected):
        problems.append(f"workloads printed {seen}, expected {expected}")
    if problems:
        print("\n".join(problems))
        print(p.stdout)
        return 1
    print(f"{len(seen)} workloads ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
