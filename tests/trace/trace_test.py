#!/usr/bin/env python3
"""Recordings, replay and event traces (docs/trace-format.md).

usage: trace_test.py --hvsim H --hvtrace T --bench IMG --mpkernel IMG
                     [--svm-tlb IMG] GROUP

GROUP:
  roundtrip   record -> replay for each scenario; recording changes nothing the run
              prints or counts; the same run records the same bytes; --update in place
              rewrites the same bytes; a replay with the fast path off still matches
  perturb     --perturb insn=N is caught at instruction N; a TLB change is caught at the
              first digest where the state differs
  corrupt     truncated, flipped, wrong version, wrong magic, empty, wrong kind, trailing
              bytes, a bad record behind a good CRC: exit 2, one line naming the chunk
  tlb-replay  hvtrace tlb-replay of a trace, with the configuration it was recorded with,
              gives every tlb.* counter of the run's --stats
  cli         bad options and files: exit 2 with one line; nothing half-written
  fuzz        random bytes and random mutations of valid files (raw and behind a
              recomputed CRC) fed to hvtrace and hvsim replay for a few seconds: never a
              crash, exit 0, 1 or 2, and exit 2 with exactly one line
"""
import argparse
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib

A = None
TMP = None
failures = []

MP = "procs=4 pages=64 slices=200 timer=20000"
INTERVAL = 100000


def scenarios():
    s = {
        "bench": (A.bench, "iters=20", []),
        "mp-off": (A.mpkernel, MP + " pcid=off", []),
        "mp-on": (A.mpkernel, MP + " pcid=on", []),
    }
    if A.svm_tlb:
        s["svm-tlb"] = (A.svm_tlb, "", [])
        s["svm-tlb-untagged"] = (A.svm_tlb, "", ["--tlb", "tagged=off"])
    if A.hv and A.root and A.child:
        s["boot"] = (None, "", [])  # hvsim boot: hv.elf, root.elf and one child
    return s


def check(cond, what):
    if cond:
        print("ok   " + what)
    else:
        print("FAIL " + what)
        failures.append(what)
    return cond


def run(args, timeout=300):
    r = subprocess.run(args, capture_output=True, timeout=timeout)
    r.out = r.stdout.decode("utf-8", "replace")
    r.err = r.stderr.decode("utf-8", "replace")
    return r


def path(name):
    return os.path.join(TMP, name)


def hvsim_run(image, cmdline, extra, quiet=True):
    """hvsim run IMAGE; image None: hvsim boot of the platform with one child"""
    if image is None:
        return run([A.hvsim, "boot"] + (["-q"] if quiet else []) + extra +
                   ["--hv", A.hv, "--root", A.root, "--child", A.child])
    args = [A.hvsim, "run"] + (["-q"] if quiet else []) + extra
    if cmdline:
        args += ["--cmdline", cmdline]
    return run(args + [image])


def one_line_error(r, prog, pattern, what):
    lines = r.err.splitlines()
    ok = (r.returncode == 2 and len(lines) == 1 and lines[0].startswith(prog + ": ")
          and re.search(pattern, lines[0]) is not None)
    if not check(ok, what):
        print(f"     exit {r.returncode}, stderr {r.err!r}")
    return ok


def counters(stats_path):
    with open(stats_path) as f:
        return json.load(f)["counters"]


# ---- roundtrip ----

def group_roundtrip():
    for name, (image, cmdline, extra) in scenarios().items():
        plain = hvsim_run(image, cmdline, extra + ["--stats", path(name + ".plain.json")])
        rec = path(name + ".hvrec")
        r = hvsim_run(image, cmdline, extra + ["--record", rec, "--record-interval",
                                               str(INTERVAL), "--stats",
                                               path(name + ".rec.json")])
        check(r.returncode == plain.returncode and r.stdout == plain.stdout,
              f"{name}: --record changes neither the console nor the exit status")
        c0, c1 = counters(path(name + ".plain.json")), counters(path(name + ".rec.json"))
        check(c0 == c1, f"{name}: --record changes no counter")
        again = path(name + ".again.hvrec")
        hvsim_run(image, cmdline, extra + ["--record", again, "--record-interval",
                                           str(INTERVAL)])
        check(open(rec, "rb").read() == open(again, "rb").read(),
              f"{name}: the same run records the same bytes")

        insns = c0["cpu.insns_retired"]
        digests = insns // INTERVAL + 2  # at 0, every INTERVAL, and the final one
        rp = run([A.hvsim, "replay", rec])
        want = f"replay matches: {digests} digests verified ({insns} instructions"
        if not check(rp.returncode == 0 and want in rp.err and rp.stdout == b"",
                     f"{name}: replay matches, {digests} digests, console not printed"):
            print("     " + rp.err)
        rc = run([A.hvsim, "replay", "--console", rec])
        check(rc.stdout == plain.stdout, f"{name}: replay --console prints the console")
        rt = run([A.hvsim, "replay", "--trace", path(name + ".hvtr"), "--trace-events", "all",
                  rec])
        check(rt.returncode == 0, f"{name}: replay with every reference traced (no fast "
              "path) still matches")
        copy = path(name + ".copy.hvrec")
        shutil.copy(rec, copy)
        ru = run([A.hvsim, "replay", "--update", copy])
        check(ru.returncode == 0 and open(copy, "rb").read() == open(rec, "rb").read(),
              f"{name}: replay --update rewrites the same recording")
        leftovers = [f for f in os.listdir(TMP) if f.startswith(".")]
        check(not leftovers, f"{name}: no temporary file left behind ({leftovers})")


# ---- perturb ----

def first_digest_line(r):
    m = re.search(r"replay diverged at instruction (\d+) \(digest (\d+) of (\d+)\)", r.err)
    return (int(m.group(1)), int(m.group(2))) if m else None


def dump_digests(rec):
    r = run([A.hvtrace, "dump", rec])
    return [l for l in r.out.splitlines() if l.startswith("digest")]


def group_perturb():
    image, cmdline, _ = scenarios()["bench"]
    rec = path("bench10k.hvrec")
    hvsim_run(image, cmdline, ["--record", rec, "--record-interval", "10000"])
    r = run([A.hvsim, "replay", "--perturb", "insn=50000", rec])
    got = first_digest_line(r)
    check(r.returncode == 1 and got == (50000, 6) and re.search(r"registers: rax 0x", r.err),
          "insn=50000 (a digest point): caught at instruction 50000, digest 6, RAX named")
    r = run([A.hvsim, "replay", "--perturb", "insn=45000", rec])
    got = first_digest_line(r)
    check(r.returncode == 1 and got is not None and got[0] >= 45000 and got[0] % 10000 == 0,
          f"insn=45000: caught at the first digest after it that differs ({got})")
    r = run([A.hvsim, "replay", "--perturb", "insn=99999999", rec])
    one_line_error(r, "hvsim", r"--perturb insn=99999999: the recording ends at instruction",
                   "a perturbation beyond the recording's end is a usage error")

    # A TLB change: the first digest whose recorded state differs from that of a run
    # recorded with the change is where replay must report it.
    image, cmdline, _ = scenarios()["mp-on"]
    a, b = path("mpA.hvrec"), path("mpB.hvrec")
    hvsim_run(image, cmdline, ["--record", a, "--record-interval", "50000"])
    hvsim_run(image, cmdline, ["--record", b, "--record-interval", "50000",
                               "--tlb", "l2.ways=4"])
    da, db = dump_digests(a), dump_digests(b)
    expect = next((i for i, (x, y) in enumerate(zip(da, db)) if x != y), None)
    r = run([A.hvsim, "replay", "--perturb", "tlb.l2.ways=4", a])
    got = first_digest_line(r)
    want = int(da[expect].split()[2]) if expect is not None else None
    if not check(r.returncode == 1 and got is not None and got[0] == want and
                 "counters: " in r.err,
                 f"tlb.l2.ways=4: caught at the first differing digest (instruction {want})"):
        print("     " + r.err)
    r = run([A.hvsim, "replay", "--perturb", "param.timing.walk.ref=31", a])
    check(r.returncode == 1 and "cpu.cycles" in r.err,
          "param.timing.walk.ref=31: caught, cpu.cycles named")


# ---- corrupt files ----

def chunks_of(data):
    """[(offset, type, stored, raw, records)] of a well-formed file"""
    out, off = [], 16
    while off < len(data):
        magic, typ, comp, res, stored, raw, recs, first = struct.unpack_from("<IBBHIIIQ", data, off)
        out.append((off, typ, stored, raw, recs))
        off += 32 + stored
    return out


def varint(b, at):
    v = shift = 0
    while True:
        v |= (b[at] & 0x7F) << shift
        shift += 7
        at += 1
        if not b[at - 1] & 0x80:
            return v, at


def leb(v):
    out = bytearray()
    while True:
        out.append((v & 0x7F) | (0x80 if v > 0x7F else 0))
        v >>= 7
        if not v:
            return bytes(out)


def rewrite_chunk(data, index, new_raw, more_records=0):
    """The file with chunk `index`'s records replaced (compressed, CRC recomputed)"""
    out = bytearray(data[:16])
    for i, (off, typ, stored, raw, recs) in enumerate(chunks_of(data)):
        head = bytearray(data[off:off + 32])
        payload = data[off + 32:off + 32 + stored]
        if i == index:
            comp = head[5]
            payload = zlib.compress(new_raw) if comp == 1 else new_raw
            struct.pack_into("<III", head, 8, len(payload), len(new_raw), recs + more_records)
        elif typ == 4 and more_records:
            # the END chunk counts the records before it (uncompressed: 0x09, 2 varints)
            chunks, at = varint(payload, 1)
            records, at = varint(payload, at)
            payload = b"\x09" + leb(chunks) + leb(records + more_records)
            struct.pack_into("<II", head, 8, len(payload), len(payload))
        crc = zlib.crc32(bytes(head[:28]) + payload)
        struct.pack_into("<I", head, 28, crc)
        out += head + payload
    return bytes(out)


def raw_of(data, index):
    off, typ, stored, raw, recs = chunks_of(data)[index]
    p = data[off + 32:off + 32 + stored]
    return zlib.decompress(p) if data[off + 5] == 1 else p


def corrupt_cases(data):
    ch = chunks_of(data)
    big = max(range(len(ch)), key=lambda i: ch[i][2])
    off, typ, stored, raw, recs = ch[big]
    flip_at = off + 32 + stored // 2
    flipped = bytearray(data)
    flipped[flip_at] ^= 0x10
    version = bytearray(data)
    version[8] = 2
    magic = bytearray(data)
    magic[0:8] = b"HVSIMXXX"
    bad_record = rewrite_chunk(data, 0, b"\x7f" + raw_of(data, 0)[1:])
    esc = re.escape
    return [
        ("truncated inside a chunk", data[:off + 32 + stored // 3],
         rf"chunk {big} at offset 0x{off:x}: payload truncated .*\(.*file truncated\)$"),
        ("truncated at a chunk boundary", data[:ch[-1][0]],
         r"without an END chunk \(file truncated\)$"),
        ("a flipped byte in a chunk", bytes(flipped),
         rf"chunk {big} at offset 0x{off:x}: CRC mismatch \(file corrupt\)$"),
        ("a wrong version", bytes(version), r"format version 2 is not supported"),
        ("a wrong magic", bytes(magic), r"bad magic: not an hvsim recording or event trace$"),
        ("an empty file", b"", r"empty file"),
        ("bytes after the END chunk", data + b"\0\0\0",
         rf"3 bytes after the END chunk at offset 0x{ch[-1][0]:x} \(file corrupt\)$"),
        ("a bad record behind a good CRC", bad_record,
         r"chunk 0 at offset 0x10: record 0: unknown record type .*\(file corrupt\)$"),
    ]


def group_corrupt():
    image, cmdline, _ = scenarios()["bench"]
    rec, tr = path("c.hvrec"), path("c.hvtr")
    hvsim_run(image, "iters=2", ["--record", rec, "--trace", tr, "--trace-events", "all"])
    for kind, data, readers in [
            ("recording", open(rec, "rb").read(),
             [[A.hvsim, "replay"], [A.hvtrace, "info"], [A.hvtrace, "dump"]]),
            ("event trace", open(tr, "rb").read(),
             [[A.hvtrace, "info"], [A.hvtrace, "dump"], [A.hvtrace, "stats"],
              [A.hvtrace, "tlb-replay"]])]:
        for what, bad, pattern in corrupt_cases(data):
            p = path("bad")
            with open(p, "wb") as f:
                f.write(bad)
            for reader in readers:
                prog = os.path.basename(reader[0])
                one_line_error(run(reader + [p]), prog, pattern,
                               f"{kind}, {what}: {prog} {reader[1]} says so in one line")
    one_line_error(run([A.hvsim, "replay", tr]), "hvsim",
                   r"an event trace, not a recording", "replay of an event trace")
    one_line_error(run([A.hvtrace, "stats", rec]), "hvtrace",
                   r"a recording, not an event trace", "hvtrace stats of a recording")
    one_line_error(run([A.hvsim, "replay", path("missing.hvrec")]), "hvsim",
                   r"cannot open: No such file", "replay of a missing file")


# ---- tlb-replay ----

def group_tlb_replay():
    for name, (image, cmdline, extra) in scenarios().items():
        tr, st = path(name + ".tlb.hvtr"), path(name + ".tlb.json")
        hvsim_run(image, cmdline, extra + ["--trace", tr, "--trace-events", "tlb,flush",
                                           "--stats", st])
        r = run([A.hvtrace, "tlb-replay", "--json", tr])
        if not check(r.returncode == 0, f"{name}: tlb-replay runs"):
            print("     " + r.err)
            continue
        got = json.loads(r.out)["counters"]
        rv = run([A.hvtrace, "tlb-replay", "--verify", tr])
        check(rv.returncode == 0, f"{name}: tlb-replay --verify: every reference has its "
              "recorded outcome")
        run_tlb = {k: v for k, v in counters(st).items() if k.startswith("tlb.")}
        diff = sorted(k for k in set(got) | set(run_tlb) if got.get(k) != run_tlb.get(k))
        check(not diff and len(got) == len(run_tlb),
              f"{name}: tlb-replay gives every one of the run's {len(run_tlb)} tlb.* "
              f"counters ({len(diff)} differ: {diff[:4]})")
        if name == "mp-on":
            r = run([A.hvtrace, "tlb-replay", "--json", "--tlb", "l2.entries=64,l2.ways=4",
                     "--policy", "random", tr])
            small = json.loads(r.out)["counters"] if r.returncode == 0 else {}
            check(small.get("tlb.l2.evictions", 0) > 0 and
                  small.get("tlb.l1d.lookups") == run_tlb["tlb.l1d.lookups"],
                  f"{name}: another geometry replays (same lookups, its own evictions)")
    r = run([A.hvtrace, "tlb-replay", path("bench.tlb.hvtr"), "--tlb", "l2.ways=3"])
    one_line_error(r, "hvtrace", r"--tlb: l2.ways=3 does not divide", "a bad --tlb")
    image, cmdline, _ = scenarios()["bench"]
    tr = path("default.hvtr")
    hvsim_run(image, "iters=2", ["--trace", tr])
    one_line_error(run([A.hvtrace, "tlb-replay", tr]), "hvtrace",
                   r"lacks memory references .*--trace-events tlb,flush",
                   "tlb-replay of a trace without references says what to record")


# ---- cli ----

def group_cli():
    image = A.bench
    r = run([A.hvsim, "run", "--trace", path("x.hvtr"), "--trace-events", "tlb,bogus", image])
    one_line_error(r, "hvsim", r"--trace-events: unknown event class 'bogus'", "a bad class")
    one_line_error(run([A.hvsim, "run", "--record", path("x.hvrec"), "--record-interval",
                        "0", image]), "hvsim", r"--record-interval '0'", "interval 0")
    one_line_error(run([A.hvsim, "run", "--trace-events", "all", image]), "hvsim",
                   r"--trace-events needs --trace", "--trace-events alone")
    one_line_error(run([A.hvsim, "run", "--record", path("a"), "--trace", path("a"), image]),
                   "hvsim", r"the same file", "--record and --trace on one file")
    one_line_error(run([A.hvsim, "run", "--record", "/nonexistent/dir/x.hvrec", image]),
                   "hvsim", r"/nonexistent/dir/x.hvrec: cannot create", "an unwritable path")
    d = path("half")
    os.mkdir(d)
    notelf = os.path.join(d, "not.elf")
    with open(notelf, "w") as f:
        f.write("not an ELF file\n")
    r = run([A.hvsim, "run", "--record", os.path.join(d, "x.hvrec"), "--trace",
             os.path.join(d, "x.hvtr"), notelf])
    check(r.returncode == 2 and sorted(os.listdir(d)) == ["not.elf"],
          "a run that fails to boot leaves no recording, trace or temporary file")
    one_line_error(run([A.hvsim, "replay"]), "hvsim", r"replay needs a recording", "no FILE")
    one_line_error(run([A.hvsim, "replay", "--output", "x", "y"]), "hvsim",
                   r"--output goes with --update", "--output without --update")
    one_line_error(run([A.hvsim, "replay", "--perturb", "rax=1", "y"]), "hvsim",
                   r"--perturb 'rax=1'|cannot open", "a bad --perturb")
    one_line_error(run([A.hvtrace, "frobnicate"]), "hvtrace", r"unknown command", "hvtrace")
    one_line_error(run([A.hvtrace, "dump", "--kind", "bogus", "x"]), "hvtrace",
                   r"--kind: unknown event class 'bogus'", "dump --kind bogus")
    # A console input (TF_REC_INPUT) in front of the first digest: this hvsim's UART has
    # no receiver, so replay refuses the recording rather than run it wrongly.
    rec = path("input.hvrec")
    hvsim_run(image, "iters=1", ["--record", rec])
    data = open(rec, "rb").read()
    idx = next(i for i, c in enumerate(chunks_of(data)) if c[1] == 3)
    with open(rec, "wb") as f:
        f.write(rewrite_chunk(data, idx, b"\x06\x00\x00\x01x" + raw_of(data, idx), 1))
    one_line_error(run([A.hvsim, "replay", rec]), "hvsim",
                   r"holds 1 console inputs, but this hvsim's UART has no receiver",
                   "a recording with console input is refused, not misreplayed")
    r = run([A.hvtrace, "dump", rec])
    check(r.returncode == 0 and "input   insn 0 source 0, 1 bytes" in r.out,
          "hvtrace dump shows the input record")
    r = run([A.hvsim, "run", "--help"])
    check("--record FILE" in r.out and "--trace-events LIST" in r.out, "run --help")
    r = run([A.hvsim, "replay", "--help"])
    check(r.returncode == 0 and "--update" in r.out and "--perturb" in r.out, "replay --help")


# ---- fuzz ----

def mutate(data, rng):
    b = bytearray(data)
    how = rng.randrange(6)
    if how == 0 and b:
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
    elif how == 1:
        b = b[:rng.randrange(len(b) + 1)]
    elif how == 2:
        b = bytearray(rng.randbytes(rng.randrange(64)))
        if rng.random() < 0.5:
            b = bytearray(data[:16]) + b
    elif how == 3 and len(b) > 16:
        i = rng.randrange(16, len(b))
        b[i:i] = rng.randbytes(rng.randrange(1, 40))
    else:
        # behind a recomputed CRC: the record decoders see the damage
        ch = chunks_of(data)
        idx = rng.randrange(len(ch))
        raw = bytearray(raw_of(data, idx))
        for _ in range(rng.randint(1, 4)):
            if not raw:
                break
            i = rng.randrange(len(raw))
            choice = rng.randrange(3)
            if choice == 0:
                raw[i] ^= 1 << rng.randrange(8)
            elif choice == 1:
                raw[i:i] = b"\xff" * rng.randrange(1, 12)
            else:
                del raw[i:i + rng.randrange(1, 8)]
        b = bytearray(rewrite_chunk(data, idx, bytes(raw)))
    return bytes(b)


def group_fuzz():
    rec, tr = path("f.hvrec"), path("f.hvtr")
    hvsim_run(A.bench, "iters=1", ["--record", rec, "--record-interval", "20000",
                                   "--trace", tr, "--trace-events", "all"])
    bases = [open(rec, "rb").read(), open(tr, "rb").read()]
    rng = random.Random(20240601)
    deadline = time.time() + A.seconds
    n = bad = 0
    while time.time() < deadline:
        data = mutate(rng.choice(bases), rng)
        p = path("fuzz")
        with open(p, "wb") as f:
            f.write(data)
        for reader in ([A.hvtrace, "info"], [A.hvtrace, "dump"], [A.hvtrace, "stats"],
                       [A.hvtrace, "tlb-replay"], [A.hvsim, "replay"]):
            r = run(reader + [p], timeout=60)
            n += 1
            lines = r.err.splitlines()
            fine = r.returncode in (0, 1, 2) and (r.returncode != 2 or len(lines) == 1)
            if not fine:
                bad += 1
                if bad <= 5:
                    keep = path(f"fuzz-fail-{bad}")
                    shutil.copy(p, keep)
                    print(f"     {reader[1]} exit {r.returncode}: {r.err[:300]!r} ({keep})")
    check(bad == 0, f"fuzz: {n} runs on mutated files, none crashed or said more than one "
          f"line ({bad} did)")


def main():
    global A, TMP
    ap = argparse.ArgumentParser()
    ap.add_argument("--hvsim", required=True)
    ap.add_argument("--hvtrace", required=True)
    ap.add_argument("--bench", required=True)
    ap.add_argument("--mpkernel", required=True)
    ap.add_argument("--svm-tlb")
    ap.add_argument("--hv")
    ap.add_argument("--root")
    ap.add_argument("--child")
    ap.add_argument("--seconds", type=float, default=4)
    ap.add_argument("group")
    A = ap.parse_args()
    groups = {"roundtrip": group_roundtrip, "perturb": group_perturb,
              "corrupt": group_corrupt, "tlb-replay": group_tlb_replay, "cli": group_cli,
              "fuzz": group_fuzz}
    if A.group not in groups:
        sys.exit(f"unknown group {A.group}")
    TMP = tempfile.mkdtemp(prefix="hvsim-trace-")
    try:
        groups[A.group]()
    finally:
        if not failures:
            shutil.rmtree(TMP, ignore_errors=True)
    if failures:
        print(f"{len(failures)} failed (files kept in {TMP})")
        sys.exit(1)


if __name__ == "__main__":
    main()
