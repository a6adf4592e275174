#!/usr/bin/env python3
"""Runs tools/bench in its quick mode and checks that the table is well formed: every
workload ran, counted instructions and host seconds, and its JSON agrees with the
printed table. A benchmark is not a test of speed: no figure is compared with a bound."""
import json
import os
import subprocess
import sys
import tempfile

bench, build = sys.argv[1], sys.argv[2]
with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "bench.json")
    p = subprocess.run([sys.executable, bench, "--quick", "--no-build", "--no-qemu", "--build", build,
                        "--json", out],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"tools/bench failed ({p.returncode}):\n{p.stdout}{p.stderr}")
    table = json.load(open(out))
lines = p.stdout.splitlines()
rows = table["workloads"]
problems = []
if len(rows) < 3:
    problems.append(f"only {len(rows)} workloads")
for r in rows:
    for key in ("sim_insns", "host_seconds", "sim_mips", "host_mib"):
        if not isinstance(r.get(key), (int, float)) or r[key] <= 0:
            problems.append(f"{r.get('workload')}: {key} = {r.get(key)!r}")
    if not any(line.startswith(r["workload"]) and f"{r['sim_insns']:,}" in line for line in lines):
        problems.append(f"{r['workload']}: not in the printed table")
print(p.stdout, end="")
if problems:
    sys.exit("bench table malformed:\n  " + "\n  ".join(problems))
print(f"bench: {len(rows)} workloads, table well formed")
