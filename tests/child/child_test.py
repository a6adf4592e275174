#!/usr/bin/env python3
"""Runs the child kernel (partitions/child/kernel) and checks what it did.

    child_test.py --hvsim HVSIM --kernel child-kernel.elf bare ARGS
    child_test.py --hvsim HVSIM --kernel child-kernel.elf hv POLICY EXPECT ARGS [HV_ARGS]
    child_test.py --hvsim HVSIM --kernel child-kernel.elf continuation ARGS
    child_test.py --hvsim HVSIM --kernel child-kernel.elf bystander FLUSHER_ARGS BYSTANDER_ARGS
    child_test.py --hvsim HVSIM --kernel child-kernel.elf badargs

bare          `hvsim run --check-tlb`, twice: exit 0, the same bytes both times, no
              hypervisor found, every flush an instruction, `work units: N` last with
              N = units=/ranges=, every process intact.
hv            `hvsim boot --check-tlb --hv-args "flush=POLICY stats=on"` with the kernel
              as the only child. EXPECT says how its flushes must show up:
                hypercalls    HvCallFlushVirtualAddressSpace/List: VMMCALL exits
                              (svm.asid.N.exits.vmmcall), the hypercall counters and
                              `--log hypercalls` lines name them; no CR3/INVLPG exits
                intercepted   MOV CR3 / INVLPG exits (svm.asid.N.exits.cr/.invlpg), each
                              a whole-TLB flush; no VMMCALL
                instructions  plain MOV CR3 / INVLPG in the guest: no exit at all for them
              and CPUID 0x40000004's recommendation decides enlightened=auto.
continuation  flush=precise rep_budget=1: a GVA list of several ranges is continued by
              hv (its stats line says so) and still completes without a failure.
bystander     a flushing child beside a bystander child, under flush=full and then
              flush=asid: the bystander does less work per million cycles under full, and
              the full flushes remove other partitions' entries (collateral).
badargs       bad boot arguments end in status 100 with a line naming the problem.

The hv modes exit 77 (skipped) when `hvsim boot --help` fails or hv.elf / root.elf are
not built beside hvsim.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

SKIP = 77
TIMEOUT = 300
DEFAULT_UNITS = {"switch": 2000, "unmap": 200, "bystander": 20000}


class Failure(Exception):
    pass


def kv(args):
    d = {}
    for word in args.split():
        k, _, v = word.partition("=")
        d[k] = v
    return d


def expected_units(args):
    d = kv(args)
    for key in ("units", "ranges"):
        if key in d:
            return int(d[key], 0)
    if "slices" in d:
        return None
    return DEFAULT_UNITS[d.get("workload", "switch")]


def run(argv, stats=False):
    path = None
    if stats:
        fd, path = tempfile.mkstemp(suffix=".json")
        os.close(fd)
        argv = argv[:2] + ["--stats", path] + argv[2:]
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=TIMEOUT, check=False)
        counters = {}
        if path and os.path.getsize(path):
            with open(path) as f:
                counters = json.load(f).get("counters", {})
    except subprocess.TimeoutExpired:
        raise Failure(f"{' '.join(argv)}: timed out after {TIMEOUT} s")
    finally:
        if path:
            os.unlink(path)
    return p.returncode, p.stdout.decode(errors="replace"), \
        p.stderr.decode(errors="replace"), counters


def kernel_lines(out, prefix):
    """The kernel's console lines, without the root's [NAME] prefix under hv."""
    lines = []
    for line in out.splitlines():
        if prefix:
            if not line.startswith(prefix):
                continue
            line = line[len(prefix):]
        lines.append(line)
    return lines


def parse_report(lines):
    """The kernel's summary: processes, flush counters, units."""
    text = "\n".join(lines)
    r = {"text": text}
    r["procs"] = re.findall(r"^kernel: proc (\d+): (\d+) units.*?, (\d+) pages wrong, "
                            r"switched in (\d+) times, ticks (\d+), exit (-?\d+)$", text, re.M)
    m = re.search(r"^kernel: tlb: (\d+) switches: (\d+) by MOV CR3, (\d+) by hypercall, "
                  r"(\d+) kept their PCID$", text, re.M)
    if not m:
        raise Failure("no 'kernel: tlb: N switches' line")
    r["switches"], r["switch_cr3"], r["switch_hv"], r["switch_kept"] = map(int, m.groups())
    m = re.search(r"^kernel: tlb: (\d+) unmap flushes of (\d+) pages: (\d+) INVLPG, (\d+) "
                  r"MOV CR3, (\d+) list calls \((\d+) ranges, (\d+) pages\)$", text, re.M)
    if not m:
        raise Failure("no 'kernel: tlb: N unmap flushes' line")
    (r["unmaps"], r["unmap_pages"], r["invlpg"], r["unmap_cr3"], r["list_calls"],
     r["list_ranges"], r["list_pages"]) = map(int, m.groups())
    m = re.search(r"^kernel: tlb: hypercalls: (\d+) HvCallFlushVirtualAddressSpace, (\d+) "
                  r"HvCallFlushVirtualAddressList, (\d+) failed$", text, re.M)
    if not m:
        raise Failure("no 'kernel: tlb: hypercalls' line")
    r["space_calls"], r["list_calls2"], r["hv_failed"] = map(int, m.groups())
    m = re.search(r"units in (\d+) cycles .*: (\d+)\.(\d{3}) units per million cycles$",
                  text, re.M)
    if not m:
        raise Failure("no 'units per million cycles' line")
    r["cycles"] = int(m.group(1))
    r["rate"] = int(m.group(2)) + int(m.group(3)) / 1000
    m = re.search(r"^kernel: tlb: flush by (hypercall|instruction) \(enlightened=(\w+): "
                  r"([^)]*)\)", text, re.M)
    if not m:
        raise Failure("no 'kernel: tlb: flush by' line")
    r["path"], r["enlightened"], r["why"] = m.groups()
    return r


def check_common(lines, args, problems):
    """What every run must show; returns the parsed report."""
    units_lines = [l for l in lines if l.startswith("work units:")]
    if len(units_lines) != 1:
        problems.append(f"{len(units_lines)} 'work units:' lines, expected exactly one")
    elif lines[-1] != units_lines[0]:
        problems.append("'work units:' is not the kernel's last line")
    r = parse_report(lines)
    want = expected_units(args)
    got = int(units_lines[0].split(":")[1]) if len(units_lines) == 1 else -1
    if want is not None and got != want:
        problems.append(f"work units: {got}, expected {want}")
    if got != sum(int(p[1]) for p in r["procs"]):
        problems.append("work units is not the sum of the processes' units")
    nprocs = int(kv(args).get("procs", "4" if kv(args).get("workload", "switch") == "switch"
                               else "1"))
    if len(r["procs"]) != nprocs:
        problems.append(f"{len(r['procs'])} process lines, expected {nprocs}")
    for pid, units, wrong, switched, ticks, status in r["procs"]:
        if int(units) == 0 or int(wrong) != 0 or int(status) != 0:
            problems.append(f"proc {pid}: {units} units, {wrong} pages wrong, exit {status}")
    if "kernel: done" not in lines:
        problems.append("no 'kernel: done' line")
    if r["hv_failed"]:
        problems.append(f"{r['hv_failed']} hypercalls failed")
    workload = kv(args).get("workload", "switch")
    if workload == "switch" and r["switches"] < got:
        problems.append(f"{r['switches']} switches for {got} units: the switch workload "
                        "yields after every unit")
    if workload == "unmap" and r["unmap_pages"] == 0:
        problems.append("the unmap workload flushed no page")
    return r


def report(argv, out, err, problems, what):
    sys.stdout.write(out)
    if err:
        sys.stdout.write("stderr:\n" + err)
    if problems:
        print(f"FAIL: {' '.join(argv)}")
        for p in problems:
            print("  " + p)
        return 1
    print(f"ok: {what}")
    return 0


def mode_bare(a):
    argv = [a.hvsim, "run", "--quiet", "--check-tlb", "--cmdline", a.args, a.kernel]
    rc, out, err, _ = run(argv)
    problems = []
    if rc != 0:
        problems.append(f"exit status {rc}, expected 0")
    lines = kernel_lines(out, "")
    try:
        r = check_common(lines, a.args, problems)
        if "kernel: cpuid 1: ecx bit 31 clear: no hypervisor (bare machine)" not in lines:
            problems.append("no 'no hypervisor (bare machine)' line")
        if r["path"] != "instruction":
            problems.append(f"flushes by {r['path']} on the bare machine")
        if r["space_calls"] or r["list_calls"]:
            problems.append("hypercalls on the bare machine")
        d = kv(a.args)
        if d.get("workload", "switch") == "switch":
            if d.get("pcid") == "on" and r["switch_kept"] == 0:
                problems.append("pcid=on, but no switch kept its PCID")
            if d.get("pcid") != "on" and r["switch_cr3"] != r["switches"]:
                problems.append("pcid=off, but not every switch was a MOV CR3")
        if d.get("workload") == "unmap" and (r["invlpg"] == 0 or r["unmap_cr3"] == 0):
            problems.append(f"unmap: {r['invlpg']} INVLPG and {r['unmap_cr3']} MOV CR3: "
                            "the range sizes should fall on both sides of the ceiling")
    except Failure as e:
        problems.append(str(e))
    rc2, out2, _, _ = run(argv)
    if rc2 != rc or out2 != out:
        problems.append("a second run printed different output (not deterministic)")
    return report(argv, out, err, problems, f"bare: {a.args}")


def hv_ready(hvsim):
    try:
        p = subprocess.run([hvsim, "boot", "--help"], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "hvsim boot --help did not run"
    if p.returncode != 0:
        return f"hvsim boot --help exits {p.returncode}"
    base = os.path.dirname(os.path.abspath(hvsim))
    for rel in ("hv/hv.elf", "partitions/root/root.elf"):
        if not os.path.exists(os.path.join(base, rel)):
            return f"{rel} is not built"
    return None


def boot(a, children, hv_args, log=True):
    argv = [a.hvsim, "boot", "--quiet", "--check-tlb", "--hv-args", hv_args]
    if log:
        argv += ["--log", "hypercalls"]
    for name, args in children:
        argv += ["--child", f"{a.kernel},name={name},args={args}"]
    rc, out, err, counters = run(argv, stats=True)
    return argv, rc, out, err, counters


def child_asid(out, problems):
    """The ASID of the (first) child partition, from hv's stats=on lines."""
    m = re.search(r"^hv: stats: partition \d+ \(ASID (\d+)\):", out, re.M)
    if not m:
        problems.append("no 'hv: stats: partition N (ASID A):' line for the child")
        return None
    return int(m.group(1))


def hv_partition_stats(out, asid):
    m = re.search(rf"^hv: stats: partition \d+ \(ASID {asid}\):.*?(?=^hv: stats: partition|\Z)",
                  out, re.M | re.S)
    return m.group(0) if m else ""


def hypercall_log(err, asid, code, name):
    """--log hypercalls lines of this ASID for one call, by name or by code."""
    lines = [l for l in err.splitlines()
             if l.startswith("[hypercall]") and f" asid {asid}:" in l and f"(0x{code:04x})" in l]
    named = [l for l in lines if name in l]
    return lines, named


def mode_hv(a):
    why = hv_ready(a.hvsim)
    if why:
        print(f"skipped: {why}")
        return SKIP
    hv_args = f"flush={a.policy} stats=on" + (f" {a.hv_args}" if a.hv_args else "")
    argv, rc, out, err, c = boot(a, [("k", a.args)], hv_args)
    problems = []
    if rc != 0:
        problems.append(f"exit status {rc}, expected 0")
    if "[root] all 1 children exited with status 0" not in out:
        problems.append("the root does not report the child's exit status 0")
    lines = kernel_lines(out, "[k] ")
    try:
        r = check_common(lines, a.args, problems)
        text = r["text"]
        if not re.search(r'^kernel: cpuid 0x40000001: interface 0x31237648 "Hv#1"$', text, re.M):
            problems.append("the kernel did not find the Hv#1 interface")
        if not re.search(r"^kernel: GUEST_OS_ID 0x[0-9a-f]{16}, hypercall page at GPA "
                         r"0x[0-9a-f]+: enabled$", text, re.M):
            problems.append("the hypercall page was not enabled")
        m = re.search(r"^kernel: cpuid 0x40000004: recommendations 0x([0-9a-f]{8})", text, re.M)
        rec = int(m.group(1), 16) if m else None
        if rec is None:
            problems.append("no recommendations line")
        enl = kv(a.args).get("enlightened", "auto")
        if enl == "auto" and rec is not None:
            want = "hypercall" if rec & 2 else "instruction"
            if r["path"] != want:
                problems.append(f"enlightened=auto with recommendations 0x{rec:08x}: flush "
                                f"by {r['path']}, expected {want}")
        asid = child_asid(out, problems)
        if asid is not None:
            check_hv_flushes(a, r, c, err, out, asid, problems)
    except Failure as e:
        problems.append(str(e))
    return report(argv, out, err, problems, f"hv flush={a.policy}, {a.expect}: {a.args}")


def check_hv_flushes(a, r, c, err, out, asid, problems):
    def counter(name):
        if name not in c:
            problems.append(f"no counter {name} in --stats")
            return 0
        return c[name]

    vmmcall = counter(f"svm.asid.{asid}.exits.vmmcall")
    cr = counter(f"svm.asid.{asid}.exits.cr")
    invlpg = counter(f"svm.asid.{asid}.exits.invlpg")
    workload = kv(a.args).get("workload", "switch")
    kernel_calls = r["space_calls"] + r["list_calls"]
    print(f"child ASID {asid}: exits vmmcall {vmmcall}, cr {cr}, invlpg {invlpg}; kernel: "
          f"{r['space_calls']} space calls, {r['list_calls']} list calls, "
          f"{r['switch_cr3']} switch MOV CR3, {r['invlpg']} INVLPG, {r['unmap_cr3']} unmap MOV CR3")

    if a.expect == "hypercalls":
        if r["path"] != "hypercall":
            problems.append(f"flushes by {r['path']}, expected hypercalls")
        if vmmcall < kernel_calls or kernel_calls == 0:
            problems.append(f"{vmmcall} VMMCALL exits for the kernel's {kernel_calls} hypercalls")
        # Under full hv intercepts every MOV CR3, the switch's no-flush load too (and
        # vm_init's first one); elsewhere none. No INVLPG anywhere.
        cr_allowed = r["switches"] + 1 if a.policy == "full" else 0
        if cr > cr_allowed or invlpg:
            problems.append(f"{cr} CR and {invlpg} INVLPG exits: hypercall flushes expected")
        calls = [(0x0002, "HvCallFlushVirtualAddressSpace", "flush_virtual_address_space",
                  r["space_calls"])]
        if workload == "unmap":
            calls.append((0x0003, "HvCallFlushVirtualAddressList", "flush_virtual_address_list",
                          r["list_calls"]))
        for code, name, key, n in calls:
            # The simulator's per-ASID hypercall counter (by its snake_case or TLFS name)
            names = [f"hypercall.asid.{asid}.{key}", f"hypercall.asid.{asid}.{name}"]
            found = [k for k in names if k in c]
            if not found:
                problems.append(f"no counter {names[0]} in --stats")
            elif c[found[0]] < n:
                problems.append(f"{found[0]} = {c[found[0]]}, the kernel made {n} calls")
            logged, named = hypercall_log(err, asid, code, name)
            if len(logged) < n or n == 0:
                problems.append(f"{len(logged)} --log hypercalls lines for {name}, the kernel "
                                f"made {n}")
            elif not named:
                problems.append(f"--log hypercalls shows code 0x{code:04x} but not the name {name}")
        if workload == "switch" and r["switch_hv"] == 0:
            problems.append("no switch flushed by hypercall")
        if workload == "unmap" and r["list_calls"] == 0:
            problems.append("no unmap flushed by HvCallFlushVirtualAddressList")
    elif a.expect == "intercepted":
        if r["path"] != "instruction":
            problems.append(f"flushes by {r['path']}, expected instructions")
        if vmmcall:
            problems.append(f"{vmmcall} VMMCALL exits: no hypercall expected")
        if cr < r["switch_cr3"] + r["unmap_cr3"]:
            problems.append(f"{cr} CR exits for {r['switch_cr3'] + r['unmap_cr3']} MOV CR3")
        if invlpg < r["invlpg"]:
            problems.append(f"{invlpg} INVLPG exits for {r['invlpg']} INVLPG")
        if counter("tlb.flush.full.issued") == 0:
            problems.append("no whole-TLB flush (TLB_CONTROL = 1)")
        m = re.search(r"flushes: TLB_CONTROL=1 (\d+)", hv_partition_stats(out, asid))
        if not m or int(m.group(1)) == 0:
            problems.append("hv's stats show no TLB_CONTROL=1 flush for the child")
    elif a.expect == "instructions":
        if r["path"] != "instruction":
            problems.append(f"flushes by {r['path']}, expected instructions")
        if vmmcall or cr or invlpg:
            problems.append(f"exits: vmmcall {vmmcall}, cr {cr}, invlpg {invlpg}: the "
                            "instructions should run in the guest without an exit")
        if counter("tlb.flush.pcid.issued") < r["switch_cr3"] + r["unmap_cr3"]:
            problems.append("fewer PCID flushes in the TLB than the kernel's MOV CR3")
        if counter("tlb.flush.page.issued") < r["invlpg"]:
            problems.append("fewer page flushes in the TLB than the kernel's INVLPG")


def mode_continuation(a):
    why = hv_ready(a.hvsim)
    if why:
        print(f"skipped: {why}")
        return SKIP
    argv, rc, out, err, c = boot(a, [("k", a.args)], "flush=precise stats=on rep_budget=1",
                                 log=False)
    problems = []
    if rc != 0:
        problems.append(f"exit status {rc}, expected 0")
    lines = kernel_lines(out, "[k] ")
    try:
        r = check_common(lines, a.args, problems)
        if r["list_ranges"] <= r["list_calls"]:
            problems.append(f"{r['list_calls']} list calls of {r['list_ranges']} ranges: "
                            "no call had several ranges to continue")
        asid = child_asid(out, problems)
        st = hv_partition_stats(out, asid) if asid is not None else ""
        m = re.search(r"\(failed (\d+), continued (\d+)\)", st)
        if not m:
            problems.append("no hypercall line in hv's stats for the child")
        elif int(m.group(1)) != 0 or int(m.group(2)) == 0:
            problems.append(f"hv: failed {m.group(1)}, continued {m.group(2)}: expected "
                            "continued calls and no failure")
        m = re.search(r"INVLPGA (\d+) pages", st)
        if not m or int(m.group(1)) < r["list_pages"]:
            problems.append(f"hv invalidated {m.group(1) if m else 0} pages with INVLPGA for "
                            f"{r['list_pages']} listed")
    except Failure as e:
        problems.append(str(e))
    return report(argv, out, err, problems, f"continuation: {a.args}")


def mode_bystander(a):
    why = hv_ready(a.hvsim)
    if why:
        print(f"skipped: {why}")
        return SKIP
    problems = []
    rates = {}
    outs = []
    for policy in ("full", "asid"):
        argv, rc, out, err, c = boot(a, [("flusher", a.args), ("by", a.args2)],
                                     f"flush={policy}", log=False)
        outs.append(out)
        if rc != 0:
            problems.append(f"flush={policy}: exit status {rc}, expected 0")
        try:
            by = parse_report(kernel_lines(out, "[by] "))
            flusher = parse_report(kernel_lines(out, "[flusher] "))
            rates[policy] = by["rate"]
            # Its only switches: from the boot thread to its process and back.
            if by["switches"] > 2 or by["unmaps"] or by["list_calls"]:
                problems.append(f"flush={policy}: the bystander flushed by itself")
            if flusher["cycles"] < by["cycles"]:
                problems.append(f"flush={policy}: the flusher ended before the bystander; "
                                "give it more units")
            coll = c.get("tlb.flush.full.invalidated_collateral", 0)
            print(f"flush={policy}: bystander {by['rate']:.3f} units per million cycles, "
                  f"full-flush collateral entries {coll}")
            if policy == "full" and coll == 0:
                problems.append("flush=full removed no other partition's entries")
        except Failure as e:
            problems.append(f"flush={policy}: {e}")
    if len(rates) == 2 and not rates["full"] < rates["asid"]:
        problems.append(f"the bystander did as well under full ({rates['full']}) as under "
                        f"asid ({rates['asid']})")
    return report(["child_test.py", "bystander"], "".join(outs), "", problems,
                  f"bystander: full {rates.get('full')} < asid {rates.get('asid')}")


def mode_badargs(a):
    problems = []
    cases = [("workload=nope", "bad argument workload=nope"),
             ("units=12x", "bad argument units=12x"),
             ("colour=blue", "unknown argument 'colour=blue'"),
             ("enlightened=maybe", "bad argument enlightened=maybe"),
             ("workload=bystander procs=2", "runs one process"),
             ("units=0", "nothing would end the run")]
    for args, want in cases:
        argv = [a.hvsim, "run", "--quiet", "--cmdline", args, a.kernel]
        rc, out, err, _ = run(argv)
        if rc != 100 or want not in out:
            problems.append(f"{args!r}: exit {rc}, output {out.strip()!r}; expected 100 and "
                            f"{want!r}")
    return report(["child_test.py", "badargs"], "", "", problems, "bad arguments refused")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hvsim", required=True)
    ap.add_argument("--kernel", required=True)
    sub = ap.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("bare")
    p.add_argument("args")
    p = sub.add_parser("hv")
    p.add_argument("policy", choices=["full", "asid", "precise"])
    p.add_argument("expect", choices=["hypercalls", "intercepted", "instructions"])
    p.add_argument("args")
    p.add_argument("hv_args", nargs="?", default="")
    p = sub.add_parser("continuation")
    p.add_argument("args")
    p = sub.add_parser("bystander")
    p.add_argument("args")
    p.add_argument("args2")
    sub.add_parser("badargs")
    a = ap.parse_args()
    modes = {"bare": mode_bare, "hv": mode_hv, "continuation": mode_continuation,
             "bystander": mode_bystander, "badargs": mode_badargs}
    try:
        return modes[a.mode](a)
    except Failure as e:
        print(f"FAIL: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
