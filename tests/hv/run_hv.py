#!/usr/bin/env python3
"""Runs hv.elf on hvsim and checks how the run ended.

    run_hv.py --hvsim HVSIM --hv HV.elf selftest
    run_hv.py --hvsim HVSIM --hv HV.elf miniroot --miniroot M.elf --minichild C.elf
              [--flush POLICY] [--budget N] [--seed N]
    run_hv.py --hvsim HVSIM --hv HV.elf root IMAGE.elf
    run_hv.py --hvsim HVSIM --hv HV.elf root-bare IMAGE.elf ...

selftest   hv's built-in checks: exit status 0, no FAIL line.
miniroot   hv boots miniroot as its root partition, with minichild as a boot module
           (`hvsim run --module`); miniroot prints ok/FAIL lines (its children's too)
           and exits with the number of failures: status 0, no FAIL line, and hv's
           stats summary printed at the end.
root       hv boots IMAGE as its root, which prints ok/FAIL lines and exits with the
           number of failures: status 0, no FAIL line.
root-bare  each bare image runs once on the bare machine and once as hv's root: the
           same exit status; bare-* programs the same console bytes (after hv's own
           "hv: " lines), kernel tests the same number of ok lines and no FAIL.
"""

import argparse
import os
import subprocess
import sys
import tempfile


def run(argv, timeout):
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None, "", f"timed out after {timeout} s"
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def report(argv, status, out, err, problems):
    sys.stdout.write(out)
    if err:
        sys.stdout.write("hvsim stderr:\n" + err)
    if problems:
        print(f"FAIL: {' '.join(argv)}")
        for p in problems:
            print(f"  {p}")
        return 1
    print(f"PASS: {' '.join(argv)}")
    return 0


def fail_lines(out):
    return [l for l in out.splitlines() if "FAIL" in l]


def selftest(args):
    argv = [args.hvsim, "run", "--cmdline", "selftest", args.hv]
    status, out, err = run(argv, 60)
    problems = []
    if status != 0:
        problems.append(f"exit status {status}, expected 0")
    if fail_lines(out):
        problems.append(f"{len(fail_lines(out))} FAIL line(s)")
    if "hv selftest:" not in out:
        problems.append("no summary line")
    return report(argv, status, out, err, problems)


def miniroot(args):
    root_args = f"flush={args.flush} budget={args.budget} seed={args.seed}"
    hv_args = (f"flush={args.flush} rep_budget={args.budget} slice=50000 stats verbose "
               f"root={root_args}")
    with tempfile.TemporaryDirectory() as tmp:
        children = os.path.join(tmp, "children")
        with open(children, "w") as f:
            f.write("minichild\tchild:minichild\tmode=checks\n")
        argv = [args.hvsim, "run", "--max-insns", "2000000000", "--cmdline", hv_args,
                "--module", f"root={args.miniroot}", "--module", f"children={children}",
                "--module", f"child:minichild={args.minichild}", args.hv]
        status, out, err = run(argv, 240)
    problems = []
    if status != 0:
        problems.append(f"exit status {status}, expected 0 (the number of failed checks)")
    if fail_lines(out):
        problems.append(f"{len(fail_lines(out))} FAIL line(s)")
    oks = sum(1 for l in out.splitlines() if l.lstrip().startswith("ok") or "] ok" in l)
    if oks < 100:
        problems.append(f"only {oks} ok lines: the run stopped early?")
    if "hv: stats: partition 1" not in out:
        problems.append("no stats summary from hv (the root's exit was not intercepted?)")
    # the first child's stats (printed when it is deleted): its List flushes
    child_stats = out.split("hv: stats: partition 2 (", 1)[-1].split("hv: stats: partition", 1)[0]
    if args.flush == "precise" and "INVLPGA 0 pages" in child_stats:
        problems.append("flush=precise: the first child's List flushes made no INVLPGA")
    if args.flush != "precise" and "INVLPGA 0 pages" not in child_stats:
        problems.append(f"flush={args.flush}: INVLPGA used")
    return report(argv, status, out, err, problems)


def root(args):
    argv = [args.hvsim, "run", "--max-insns", "500000000", "--module", f"root={args.image}",
            args.hv]
    status, out, err = run(argv, 120)
    problems = []
    if status != 0:
        problems.append(f"exit status {status}, expected 0")
    if fail_lines(out):
        problems.append(f"{len(fail_lines(out))} FAIL line(s)")
    if not any(l.startswith("ok") for l in out.splitlines()):
        problems.append("no ok line")
    return report(argv, status, out, err, problems)


def root_bare(args):
    rc = 0
    for image in args.images:
        bare_argv = [args.hvsim, "run", "-q", "--max-insns", "500000000", image]
        hv_argv = [args.hvsim, "run", "-q", "--max-insns", "800000000",
                   "--module", f"root={image}", args.hv]
        bstatus, bout, berr = run(bare_argv, 120)
        hstatus, hout, herr = run(hv_argv, 120)
        guest = "".join(l + "\n" for l in hout.splitlines() if not l.startswith("hv: "))
        problems = []
        if bstatus != hstatus:
            problems.append(f"exit status {hstatus} under hv, {bstatus} bare")
        name = os.path.basename(image)
        if name.startswith("bare-"):
            if guest != bout:
                problems.append("the console output differs from the bare run")
        else:
            if fail_lines(guest):
                problems.append(f"{len(fail_lines(guest))} FAIL line(s) under hv")
            count = lambda s: sum(1 for l in s.splitlines() if l.startswith("ok"))
            if count(guest) != count(bout):
                problems.append(f"{count(guest)} ok lines under hv, {count(bout)} bare")
        if bstatus == 3 and "hv: fatal: the root partition" not in hout:
            problems.append("hv did not say why the root stopped")
        rc |= report(hv_argv, hstatus, hout if problems else "", herr if problems else "",
                     problems)
    return rc


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hvsim", required=True)
    ap.add_argument("--hv", required=True)
    sub = ap.add_subparsers(dest="what", required=True)
    sub.add_parser("selftest")
    m = sub.add_parser("miniroot")
    m.add_argument("--miniroot", required=True)
    m.add_argument("--minichild", required=True)
    m.add_argument("--flush", default="asid")
    m.add_argument("--budget", type=int, default=128)
    m.add_argument("--seed", type=int, default=7)
    o = sub.add_parser("root")
    o.add_argument("image")
    r = sub.add_parser("root-bare")
    r.add_argument("images", nargs="+")
    args = ap.parse_args()
    return {"selftest": selftest, "miniroot": miniroot, "root": root,
            "root-bare": root_bare}[args.what](args)


if __name__ == "__main__":
    sys.exit(main())
