#!/usr/bin/env python3
"""Isolates the worst-case nested walk in hvsim's counters (partitions/bare/svm_walk.c).

    walk_check.py --hvsim HVSIM --image svm-walk.elf [--param timing.walk.ref=N]

Runs the image twice with --stats: "touch=fresh" (the guest's measured access walks a
page nothing has cached) and "touch=warm" (the same access hits the TLB). Everything else
is the same, so the runs differ by exactly one walk:
  mmu.walks +1, mmu.walk_refs +4 (guest dimension), mmu.walk_nested_refs +20 (nested
  dimension), mmu.walk_cycles +24 x timing.walk.ref, tlb.asid.1.misses +1.
Each run is also accounted for in full: the guest's walks (tlb.asid.1.misses: 2 fresh,
1 warm; each a 4 + 20 walk) and the host's (the rest of mmu.walks; 3 references each,
on the loader's 2 MiB identity map):
  mmu.walk_nested_refs = 20 x guest walks
  mmu.walk_refs = 4 x guest walks + 3 x host walks
The image itself checks the guest-side RDTSC delta (first access minus a second one =
24 x timing.walk.ref) and prints it.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

GUEST_REFS, NESTED_REFS, HOST_REFS = 4, 20, 3


def run(hvsim, image, touch, params, ref, tmp):
    stats = os.path.join(tmp, f"{touch}.json")
    argv = [hvsim, "run", "--quiet", "--max-insns", "10000000", "--stats", stats,
            "--cmdline", f"touch={touch} ref={ref}"]
    for p in params:
        argv += ["--param", p]
    argv.append(image)
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
                       check=False)
    out = p.stdout.decode(errors="replace")
    sys.stdout.write(out)
    if p.stderr:
        sys.stdout.write("hvsim stderr:\n" + p.stderr.decode(errors="replace"))
    problems = []
    if p.returncode != 0:
        problems.append(f"{touch}: exit status {p.returncode}, expected 0")
    if any(l.startswith("FAIL") for l in out.splitlines()):
        problems.append(f"{touch}: FAIL line(s) in the output")
    try:
        with open(stats) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        return None, problems + [f"{touch}: no stats: {e}"]
    return data, problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hvsim", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--param", action="append", default=[])
    args = ap.parse_args()

    ref = 30
    for p in args.param:
        if p.startswith("timing.walk.ref="):
            ref = int(p.split("=", 1)[1])
    problems = []
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for touch in ("fresh", "warm"):
            data, pr = run(args.hvsim, args.image, touch, args.param, ref, tmp)
            problems += pr
            if data is not None:
                results[touch] = data
    if len(results) != 2:
        print("FAIL: " + "; ".join(problems))
        return 1
    ref_cfg = results["fresh"]["config"]["params"]["timing.walk.ref"]
    if ref_cfg != ref:
        problems.append(f"timing.walk.ref is {ref_cfg} in the stats, expected {ref}")

    def check(what, got, want):
        ok = got == want
        print(f"{'ok  ' if ok else 'FAIL'} {what} = {got}" + ("" if ok else f" (want {want})"))
        if not ok:
            problems.append(what)

    f, w = results["fresh"]["counters"], results["warm"]["counters"]
    for name, c in (("fresh", f), ("warm", w)):
        guest_walks = c["tlb.asid.1.misses"]
        host_walks = c["mmu.walks"] - guest_walks
        check(f"{name}: guest walks (tlb.asid.1.misses)", guest_walks,
              2 if name == "fresh" else 1)
        check(f"{name}: mmu.walk_nested_refs = {NESTED_REFS} x {guest_walks} guest walks",
              c["mmu.walk_nested_refs"], NESTED_REFS * guest_walks)
        check(f"{name}: mmu.walk_refs = {GUEST_REFS} x {guest_walks} guest + {HOST_REFS} x "
              f"{host_walks} host walks", c["mmu.walk_refs"],
              GUEST_REFS * guest_walks + HOST_REFS * host_walks)
        check(f"{name}: mmu.walk_cycles = all references x timing.walk.ref",
              c["mmu.walk_cycles"], (c["mmu.walk_refs"] + c["mmu.walk_nested_refs"]) * ref)
    check("fresh - warm: mmu.walks", f["mmu.walks"] - w["mmu.walks"], 1)
    check("fresh - warm: mmu.walk_refs (guest dimension)",
          f["mmu.walk_refs"] - w["mmu.walk_refs"], GUEST_REFS)
    check("fresh - warm: mmu.walk_nested_refs (nested dimension)",
          f["mmu.walk_nested_refs"] - w["mmu.walk_nested_refs"], NESTED_REFS)
    check("fresh - warm: mmu.walk_cycles (24 references)",
          f["mmu.walk_cycles"] - w["mmu.walk_cycles"], (GUEST_REFS + NESTED_REFS) * ref)
    check("fresh - warm: svm.vmruns", f["svm.vmruns"] - w["svm.vmruns"], 0)
    print(f"     (cpu.cycles: fresh {f['cpu.cycles']}, warm {w['cpu.cycles']}, "
          f"difference {f['cpu.cycles'] - w['cpu.cycles']})")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print("ok: the worst-case walk is 4 guest + 20 nested references")
    return 0


if __name__ == "__main__":
    sys.exit(main())
