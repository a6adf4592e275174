#!/usr/bin/env python3
"""Runs the multi-process demo kernel (partitions/bare/mpkernel.c) on hvsim with
--stats, twice, and checks the run:

    mpkernel_check.py --hvsim HVSIM --image mpkernel.elf --cmdline "procs=4 ... pcid=on"
                      [--baseline-cmdline "... pcid=off"]

- exit status 0, and the kernel's summary says every process did work, kept its pages
  intact and exited 0, with as many timer slices as asked for;
- with pcid=on, address-space switches kept their PCID's entries; with pcid=off, none;
- the stats agree: as many timer interrupts delivered as the kernel counted slices;
- determinism: a second run prints the same bytes and the same counters;
- with --baseline-cmdline: this run walks the page tables less than the baseline (the
  point of PCIDs: a switch no longer throws the process's translations away).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile


def run(hvsim, image, cmdline, timeout=100):
    fd, stats_path = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    try:
        argv = [hvsim, "run", "--quiet", "--max-insns", "500000000", "--stats", stats_path,
                "--cmdline", cmdline, image]
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout, check=False)
        with open(stats_path) as f:
            stats = json.load(f) if os.path.getsize(stats_path) else {}
    finally:
        os.unlink(stats_path)
    return argv, p.returncode, p.stdout.decode(errors="replace"), \
        p.stderr.decode(errors="replace"), stats


def args_of(cmdline):
    d = {"procs": 4, "pages": 64, "slices": 200, "pcid": "off"}
    for word in cmdline.split():
        k, _, v = word.partition("=")
        d[k] = v if k == "pcid" else int(v, 0)
    return d


def check(out, stats, want):
    problems = []
    procs = re.findall(r"^mpkernel: proc (\d+): rounds (\d+), switched in (\d+) times, "
                       r"ticks (\d+), exit (-?\d+)$", out, re.M)
    if len(procs) != want["procs"]:
        problems.append(f"{len(procs)} process summaries, expected {want['procs']}")
    for pid, rounds, switched, ticks, status in procs:
        if int(rounds) == 0 or int(switched) == 0 or int(status) != 0:
            problems.append(f"proc {pid}: rounds {rounds}, switched in {switched}, "
                            f"exit {status}")
    own = re.findall(r"^proc (\d+): (\d+) rounds over (\d+) pages, (\d+) pages wrong$",
                     out, re.M)
    if len(own) != want["procs"] or any(int(w) != 0 or int(p) != want["pages"]
                                        for _, _, p, w in own):
        problems.append("the processes' own reports are missing or show wrong pages")
    m = re.search(r"^mpkernel: all processes exited after (\d+) timer slices$", out, re.M)
    slices = int(m.group(1)) if m else -1
    if slices < want["slices"]:
        problems.append(f"{slices} timer slices, expected at least {want['slices']}")
    m = re.search(r"^mpkernel: tlb: (\d+) address-space switches, (\d+) kept", out, re.M)
    if not m:
        problems.append("no tlb summary line")
    else:
        kept = int(m.group(2))
        if want["pcid"] == "on" and kept == 0:
            problems.append("pcid=on, but no switch kept its PCID's entries")
        if want["pcid"] == "off" and kept != 0:
            problems.append(f"pcid=off, but {kept} switches kept entries")
    if not re.search(r"^mpkernel: done$", out, re.M):
        problems.append("no 'mpkernel: done' line")
    c = stats.get("counters", {})
    if stats.get("run", {}).get("exit_status") != 0:
        problems.append(f"stats: exit status {stats.get('run', {}).get('exit_status')}")
    if c.get("apic.interrupts_delivered") != slices:
        problems.append(f"stats: {c.get('apic.interrupts_delivered')} APIC interrupts "
                        f"delivered, the kernel counted {slices} slices")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hvsim", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--cmdline", required=True)
    ap.add_argument("--baseline-cmdline", default="")
    args = ap.parse_args()

    argv, status, out, err, stats = run(args.hvsim, args.image, args.cmdline)
    sys.stdout.write(out)
    problems = []
    if status != 0:
        problems.append(f"exit status {status}" + (f"; stderr: {err.strip()}" if err else ""))
    problems += check(out, stats, args_of(args.cmdline))

    _, status2, out2, _, stats2 = run(args.hvsim, args.image, args.cmdline)
    if status2 != status or out2 != out:
        problems.append("not deterministic: a second run printed something else")
    if stats2.get("counters") != stats.get("counters"):
        diff = [k for k in stats.get("counters", {})
                if stats["counters"][k] != stats2.get("counters", {}).get(k)]
        problems.append(f"not deterministic: counters differ between runs: {diff[:8]}")

    c = stats.get("counters", {})
    print(f"stats: {c.get('cpu.cycles')} cycles, {c.get('cpu.insns_retired')} instructions, "
          f"{c.get('mmu.walks')} page walks, {c.get('apic.interrupts_delivered')} timer "
          f"interrupts")
    if args.baseline_cmdline:
        _, bstatus, bout, _, bstats = run(args.hvsim, args.image, args.baseline_cmdline)
        walks, bwalks = c.get("mmu.walks", 0), bstats.get("counters", {}).get("mmu.walks", 0)
        print(f"baseline ({args.baseline_cmdline}): {bwalks} page walks")
        if bstatus != 0:
            problems.append(f"baseline run: exit status {bstatus}")
        elif not walks < bwalks:
            problems.append(f"{walks} page walks, not fewer than the baseline's {bwalks}")

    if problems:
        print(f"FAIL: {' '.join(argv)}")
        for p in problems:
            print("  " + p)
        return 1
    print(f"ok: mpkernel {args.cmdline}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
