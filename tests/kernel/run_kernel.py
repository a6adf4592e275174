#!/usr/bin/env python3
"""Runs one privileged guest program on hvsim alone and checks how the run ended.

    run_kernel.py --hvsim HVSIM --image IMAGE.elf [--cmdline STR] [--param N=V ...]
                  [--expect-status N] [--expect-stderr TEXT] [--max-insns N]

The programs (partitions/bare, kernel_tests) print one ok/FAIL line per check and exit
with the number of failed checks, so the expected status is 0. A program whose correct
outcome is a machine crash (triple_fault) expects hvsim's status 3 and its stderr line.
"""

import argparse
import subprocess
import sys

HVSIM_STATUS = {2: "hvsim: bad usage or input", 3: "hvsim: the guest machine crashed",
                4: "hvsim: a limit was reached", 255: "the guest panicked"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hvsim", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--cmdline", default="")
    ap.add_argument("--param", action="append", default=[])
    ap.add_argument("--expect-status", type=int, default=0)
    ap.add_argument("--expect-stderr", default="")
    ap.add_argument("--max-insns", type=int, default=500_000_000)
    ap.add_argument("--timeout", type=float, default=100)
    args = ap.parse_args()

    argv = [args.hvsim, "run", "--quiet", "--max-insns", str(args.max_insns)]
    if args.cmdline:
        argv += ["--cmdline", args.cmdline]
    for p in args.param:
        argv += ["--param", p]
    argv.append(args.image)
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=args.timeout, check=False)
    except subprocess.TimeoutExpired:
        print(f"FAIL: {' '.join(argv)}: timed out after {args.timeout} s")
        return 1
    out = p.stdout.decode(errors="replace")
    err = p.stderr.decode(errors="replace")
    sys.stdout.write(out)
    if err:
        sys.stdout.write("hvsim stderr:\n" + err)

    problems = []
    if p.returncode != args.expect_status:
        what = HVSIM_STATUS.get(p.returncode, "the number of failed checks")
        problems.append(f"exit status {p.returncode} ({what}), expected {args.expect_status}")
    if args.expect_stderr and args.expect_stderr not in err:
        problems.append(f"stderr lacks {args.expect_stderr!r}")
    fails = [l for l in out.splitlines() if l.startswith("FAIL")]
    if args.expect_status == 0 and fails:
        problems.append(f"{len(fails)} FAIL line(s)")
    if problems:
        print(f"FAIL: {' '.join(argv)}")
        for pr in problems:
            print("  " + pr)
        return 1
    print(f"ok: {args.image}: exit status {p.returncode} as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
