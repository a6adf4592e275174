#!/usr/bin/env python3
"""Runs one SVM host test image on hvsim and checks how the run ended.

    run_svm.py --hvsim HVSIM --image IMAGE.elf [--cmdline STR] [--arg HVSIM_ARG ...]
               [--expect-stderr REGEX ...] [--expect-stderr-count REGEX=N ...]
               [--counter 'NAME OP VALUE' ...] [--only-log]

The images (partitions/bare/svm_*.c) print one ok/FAIL line per check and exit with the
number of failed checks, so the run must end with status 0 and no FAIL line. --arg adds
an hvsim option before the image (e.g. --arg=--log=exits). --expect-stderr checks the
--log views; --counter checks a counter of the --stats file (OP: == != < <= > >=).
--only-log judges the run by its stderr and counters alone (the image's own checks are
another test's business), so that a log test fails only for the log.
"""

import argparse
import json
import operator
import os
import re
import subprocess
import sys
import tempfile

OPS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
       ">": operator.gt, ">=": operator.ge}
HVSIM_STATUS = {2: "hvsim: bad usage or input", 3: "hvsim: the guest machine crashed",
                4: "hvsim: a limit was reached", 255: "the guest panicked"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hvsim", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--cmdline", default="")
    ap.add_argument("--arg", action="append", default=[])
    ap.add_argument("--expect-stderr", action="append", default=[])
    ap.add_argument("--expect-stderr-count", action="append", default=[])
    ap.add_argument("--counter", action="append", default=[])
    ap.add_argument("--max-insns", type=int, default=200_000_000)
    ap.add_argument("--timeout", type=float, default=100)
    ap.add_argument("--only-log", action="store_true")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        stats = os.path.join(tmp, "stats.json")
        argv = [args.hvsim, "run", "--quiet", "--max-insns", str(args.max_insns)]
        if args.counter:
            argv += ["--stats", stats]
        if args.cmdline:
            argv += ["--cmdline", args.cmdline]
        argv += args.arg + [args.image]
        try:
            p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=args.timeout, check=False)
        except subprocess.TimeoutExpired:
            print(f"FAIL: {' '.join(argv)}: timed out after {args.timeout} s")
            return 1
        out = p.stdout.decode(errors="replace")
        err = p.stderr.decode(errors="replace")
        sys.stdout.write(out)
        problems = []
        counters = {}
        if args.counter:
            try:
                with open(stats) as f:
                    counters = json.load(f)["counters"]
            except (OSError, ValueError, KeyError) as e:
                problems.append(f"no stats from {stats}: {e}")

    fails = [l for l in out.splitlines() if l.startswith("FAIL")]
    # The image ends with "N checks failed" and exits with N; any other status is
    # hvsim's own (2, 3, 4) or a panic (255).
    m = re.search(r"^(\d+) checks? failed$", out, re.M)
    finished = m is not None and int(m.group(1)) == p.returncode
    if not finished:
        what = HVSIM_STATUS.get(p.returncode, "the image did not finish its checks")
        problems.append(f"exit status {p.returncode} ({what})")
    elif not args.only_log:
        if p.returncode != 0:
            problems.append(f"exit status {p.returncode}: {p.returncode} failed check(s)")
        if fails:
            problems.append(f"{len(fails)} FAIL line(s)")
    for rx in args.expect_stderr:
        if not re.search(rx, err, re.M):
            problems.append(f"stderr has no line matching {rx!r}")
    for spec in args.expect_stderr_count:
        rx, _, n = spec.rpartition("=")
        found = len(re.findall(rx, err, re.M))
        if found != int(n):
            problems.append(f"stderr has {found} matches of {rx!r}, expected {n}")
    for spec in args.counter:
        name, op, value = spec.split()
        got = counters.get(name)
        if got is None:
            problems.append(f"no counter {name} in the stats")
        elif not OPS[op](got, int(value)):
            problems.append(f"counter {name} = {got}, expected {op} {value}")
        else:
            print(f"ok   counter {name} = {got} ({op} {value})")

    if problems:
        if err:
            lines = err.splitlines()
            sys.stdout.write("hvsim stderr (last 40 lines):\n" + "\n".join(lines[-40:]) + "\n")
        print(f"FAIL: {' '.join(argv)}")
        for pr in problems:
            print("  " + pr)
        return 1
    if args.only_log:
        print(f"ok: {args.image}: the --log lines and counters asked for")
    else:
        print(f"ok: {args.image}: exit status 0, no FAIL line")
    return 0


if __name__ == "__main__":
    sys.exit(main())
