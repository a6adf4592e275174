#!/usr/bin/env python3
"""Runs shared/samples/boot-protocol/run.sh against hvsim: the sample checks the machine
state at entry (shared/DESIGN.md "Boot protocol") and prints one line per check.

usage: boot_protocol.py PATH/TO/hvsim PATH/TO/shared
Exit 77 (skipped) when shared/ is not beside the repository.
"""
import os
import subprocess
import sys


def main():
    hvsim, shared = os.path.abspath(sys.argv[1]), sys.argv[2]
    script = os.path.join(shared, "samples", "boot-protocol", "run.sh")
    if not os.path.isfile(script):
        print(f"skipped: {script} not found (shared/ belongs beside the repository)")
        sys.exit(77)
    p = subprocess.run(["bash", script, hvsim], capture_output=True, text=True, timeout=300)
    sys.stdout.write(p.stdout)
    sys.stderr.write(p.stderr)
    lines = p.stdout.splitlines()
    checks = [l for l in lines if not l.startswith("cmdline: ")]
    bad = [l for l in checks if not l.startswith("ok ")]
    problems = []
    if p.returncode != 0:
        problems.append(f"run.sh exited with status {p.returncode}")
    if not checks:
        problems.append("no check lines printed")
    if bad:
        problems.append(f"{len(bad)} line(s) not 'ok'")
    if "cmdline: hello from the loader" not in lines:
        problems.append("the boot info's cmdline did not reach the guest")
    if problems:
        print("FAIL: " + "; ".join(problems))
        sys.exit(1)
    print(f"all {len(checks)} checks ok")


if __name__ == "__main__":
    main()
