#!/usr/bin/env python3
"""hvsim demo (quick mode), run twice. Checks, from what the runs measured:
- determinism: the two runs' CSV and JSON are byte-identical;
- invariants in every configuration: TLB hits + misses = lookups (every level, every
  ASID); the per-context cycles (host and each ASID) add up to the machine's cycles;
- collateral invalidations are 0 under asid and precise, and > 0 under full whenever
  the bystander had entries;
- the enlightened flusher's flushes appear as flush hypercalls under asid and precise;
  under full (no recommendation) they are instructions, intercepted (CR3 exits);
- the qualitative result, as a measurement: the bystander's TLB misses per work unit
  under asid are lower than under full, both read from the runs themselves."""
import json
import os
import subprocess
import sys
import tempfile

hvsim = sys.argv[1]
problems = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        problems.append(what)


def run(outdir):
    p = subprocess.run([hvsim, "demo", "--quick", "--out", outdir], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"hvsim demo exited {p.returncode}:\n{p.stdout}{p.stderr}")
    return p.stdout


with tempfile.TemporaryDirectory() as tmp:
    a, b = os.path.join(tmp, "a"), os.path.join(tmp, "b")
    table = run(a)
    run(b)
    print(table)
    for name in ("demo.csv", "demo.json"):
        with open(os.path.join(a, name), "rb") as fa, open(os.path.join(b, name), "rb") as fb:
            check(fa.read() == fb.read(), f"{name} is byte-identical across two runs")
    demo = json.load(open(os.path.join(a, "demo.json")))
    configs = [c["name"] for c in demo["configurations"]]
    stats = {c: json.load(open(os.path.join(a, f"{c}.stats.json")))["counters"] for c in configs}

parts = demo["partitions"]


def val(part, row, cfg):
    return parts[part][row][cfg]


for cfg in configs:
    c = stats[cfg]
    bad = [k for k, v in c.items() if k.startswith("tlb.") and k.endswith(".lookups")
           and k[:-7] + "hits" in c and k[:-7] + "misses" in c
           and c[k[:-7] + "hits"] + c[k[:-7] + "misses"] != v]
    check(not bad, f"{cfg}: TLB hits + misses = lookups for every level and ASID {bad or ''}")
    per_ctx = sum(v for k, v in c.items() if k.startswith("cpu.asid.") and k.endswith(".cycles"))
    check(per_ctx == c["cpu.cycles"], f"{cfg}: per-context cycles add up to the machine's "
          f"({per_ctx} vs {c['cpu.cycles']})")
    for part in parts:
        coll = val(part, "of them collateral (another's flush)", cfg)
        if cfg in ("asid", "precise"):
            check(coll == 0, f"{cfg}: no collateral invalidations for {part} ({coll})")
had_entries = val("bystander", "TLB lookups", "full") > 0
check(not had_entries or val("bystander", "of them collateral (another's flush)", "full") > 0,
      "full: the bystander loses entries to the flusher's flushes (collateral > 0)")

space, lst = "hypercalls FlushVirtualAddressSpace", "hypercalls FlushVirtualAddressList"
for cfg in ("asid", "precise"):
    check(val("flusher", space, cfg) + val("flusher", lst, cfg) > 0,
          f"{cfg}: the enlightened flusher flushes by hypercall")
check(val("flusher", space, "full") + val("flusher", lst, "full") == 0,
      "full: the flusher makes no flush hypercalls (not recommended)")
check(val("flusher", "#VMEXITs: CR accesses", "full") > 0,
      "full: the flusher's MOV CR3 flushes are intercepted")

def misses_per_unit(cfg):
    return val("bystander", "TLB misses (every level)", cfg) / val("bystander", "work units", cfg)

check(misses_per_unit("asid") < misses_per_unit("full"),
      f"bystander TLB misses per work unit: asid {misses_per_unit('asid'):.3f} < full "
      f"{misses_per_unit('full'):.3f}")
if problems:
    sys.exit(f"{len(problems)} check(s) failed")
