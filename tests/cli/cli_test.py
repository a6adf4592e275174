#!/usr/bin/env python3
"""The hvsim command line: exit statuses and one-line messages (shared/DESIGN.md).

usage: cli_test.py PATH/TO/hvsim [GROUP...]
GROUP: usage (bad options), loader (bad images), run (tiny images that exit, crash,
loop), stats (--stats output). Without GROUP every group runs.

Images are crafted by hand here (ELF64 header + program headers + raw machine code),
so the test needs nothing but python3 and the hvsim binary.
"""
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

HVSIM = None
TMP = None
failures = []

# ---- crafting ELF files (System V ABI, "ELF Header" and "Program Header") ----

EM_386, EM_X86_64, EM_AARCH64 = 3, 62, 183
ET_EXEC, ET_DYN = 2, 3
PT_LOAD, PT_INTERP = 1, 3
ENTRY = 0x200000


def elf64(segments, entry=ENTRY, machine=EM_X86_64, etype=ET_EXEC):
    """segments: list of (p_type, p_paddr, data, p_memsz or None)."""
    phoff, phentsize = 64, 56
    off = phoff + phentsize * len(segments)
    phdrs, body = b"", b""
    for p_type, paddr, data, memsz in segments:
        memsz = len(data) if memsz is None else memsz
        phdrs += struct.pack("<IIQQQQQQ", p_type, 7, off + len(body), paddr, paddr,
                             len(data), memsz, 0x1000)
        body += data
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    ehdr = struct.pack("<16sHHIQQQIHHHHHH", ident, etype, machine, 1, entry, phoff, 0, 0,
                       64, phentsize, len(segments), 64, 0, 0)
    return ehdr + phdrs + body


def elf32(code, entry=ENTRY, machine=EM_386):
    phoff, phentsize = 52, 32
    off = phoff + phentsize
    ident = b"\x7fELF" + bytes([1, 1, 1, 0]) + bytes(8)
    ehdr = struct.pack("<16sHHIIIIIHHHHHH", ident, ET_EXEC, machine, 1, entry, phoff, 0, 0,
                       52, phentsize, 1, 40, 0, 0)
    phdr = struct.pack("<IIIIIIII", PT_LOAD, off, entry, entry, len(code), len(code), 7,
                       0x1000)
    return ehdr + phdr + code


def image(code, **kw):
    """A minimal valid image: one PT_LOAD at 0x200000 holding `code`."""
    return elf64([(PT_LOAD, ENTRY, code, None)], **kw)


def write(name, data):
    path = os.path.join(TMP, name)
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    return path


# ---- x86-64 snippets ----

def exit_with(al):  # mov al, imm8; out 0xF4, al
    return bytes([0xB0, al, 0xE6, 0xF4])


def putc(ch):  # mov al, imm8; out dx, al   (DX = 0x3F8 set by CONSOLE)
    return bytes([0xB0, ord(ch), 0xEE])


CONSOLE = bytes([0x66, 0xBA, 0xF8, 0x03])  # mov dx, 0x3F8
LOOP = bytes([0xEB, 0xFE])                 # jmp $
UD = bytes([0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
HLT = bytes([0xF4])
# Reads boot_info->ram_bytes, writes and reads back the last byte of RAM, exits with it.
LAST_BYTE = bytes([0x48, 0x8B, 0x47, 0x08,   # mov rax, [rdi + 8]
                   0x48, 0xFF, 0xC8,         # dec rax
                   0xC6, 0x00, 0x5A,         # mov byte [rax], 0x5A
                   0x8A, 0x00,               # mov al, [rax]
                   0xE6, 0xF4])              # out 0xF4, al


# ---- running hvsim ----

def run(*args):
    p = subprocess.run([HVSIM, *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + detail))
    if not ok:
        failures.append(name)


def expect_error(name, args, status, *words):
    """Exit `status`, nothing on stdout, exactly one stderr line 'hvsim: ...' naming
    every word in `words`."""
    rc, out, err = run(*args)
    lines = err.splitlines()
    problems = []
    if rc != status:
        problems.append(f"exit status {rc}, expected {status}")
    if len(lines) != 1 or not err.endswith("\n"):
        problems.append(f"{len(lines)} stderr lines, expected exactly one")
    if not lines or not lines[0].startswith("hvsim: "):
        problems.append("stderr does not start with 'hvsim: '")
    for w in words:
        if w.lower() not in err.lower():
            problems.append(f"stderr does not mention {w!r}")
    if out:
        problems.append(f"stdout not empty: {out!r}")
    check(name, not problems, "; ".join(problems) + f"\n     stderr: {err!r}")
    return err


# ---- groups ----

def group_usage():
    img = write("ok.elf", image(exit_with(0)))
    expect_error("no arguments", [], 2, "command")
    expect_error("unknown command", ["fly", img], 2, "unknown command", "fly")
    expect_error("unknown top-level option", ["--frobnicate"], 2, "--frobnicate")
    expect_error("run without image", ["run"], 2, "IMAGE")
    expect_error("run with two images", ["run", img, img], 2, "one IMAGE")
    expect_error("unknown option", ["run", "--frobnicate", img], 2, "unknown option",
                 "--frobnicate")
    expect_error("unknown short option", ["run", "-z", img], 2, "-z")
    expect_error("option without value", ["run", img, "--mem"], 2, "--mem", "value")
    expect_error("--mem 0", ["run", "--mem", "0", img], 2, "--mem", "16 MiB")
    expect_error("--mem 12Q", ["run", "--mem", "12Q", img], 2, "--mem", "12Q")
    expect_error("--mem -1G", ["run", "--mem", "-1G", img], 2, "--mem", "-1G")
    expect_error("--mem 17M", ["run", "--mem", "17M", img], 2, "--mem", "2 MiB")
    expect_error("--mem 2T", ["run", "--mem", "2T", img], 2, "--mem", "1 TiB")
    expect_error("--mem overflow", ["run", "--mem", "99999999999999999999999", img], 2,
                 "--mem", "1 TiB")
    expect_error("--mem=4096K", ["run", "--mem=4096K", img], 2, "--mem", "16 MiB")
    expect_error("--max-insns -5", ["run", "--max-insns", "-5", img], 2, "--max-insns", "-5")
    expect_error("--max-insns garbage", ["run", "--max-insns", "12abc", img], 2,
                 "--max-insns", "12abc")
    expect_error("--max-insns 0", ["run", "--max-insns", "0", img], 2, "--max-insns")
    expect_error("--max-cycles overflow", ["run", "--max-cycles", "99999999999999999999999",
                                           img], 2, "--max-cycles", "too large")
    expect_error("--stats-format xml", ["run", "--stats-format", "xml", img], 2,
                 "--stats-format", "xml")
    expect_error("--param unknown", ["run", "--param", "no.such=1", img], 2, "--param",
                 "no.such")
    expect_error("--param bad value", ["run", "--param", "timing.insn.div=x", img], 2,
                 "--param", "timing.insn.div")
    expect_error("--param without =", ["run", "--param", "timing.insn.div", img], 2,
                 "--param")
    expect_error("--stats in a missing directory",
                 ["run", "--stats", os.path.join(TMP, "no", "such", "s.json"), img], 2,
                 "--stats", "does not exist")
    expect_error("--cmdline too long", ["run", "--cmdline", "x" * 5000, img], 2,
                 "--cmdline", "4095")

    rc, out, err = run("--help")
    check("--help", rc == 0 and "hvsim run" in out and err == "", f"rc {rc} err {err!r}")
    rc, out, err = run("run", "--help")
    check("run --help", rc == 0 and "--max-insns" in out and err == "", f"rc {rc}")
    rc, out, err = run("--version")
    check("--version", rc == 0 and re.match(r"hvsim \d+\.\d+", out) and err == "",
          f"rc {rc} out {out!r}")
    rc, out, err = run("params")
    check("params", rc == 0 and "timing.insn.simple" in out and err == "", f"rc {rc}")
    expect_error("params with an argument", ["params", "x"], 2, "params")


def group_loader():
    code = exit_with(0)
    missing = os.path.join(TMP, "missing.elf")
    expect_error("missing file", ["run", missing], 2, missing, "No such file")
    expect_error("directory as image", ["run", TMP], 2, TMP, "regular file")
    expect_error("text file", ["run", write("notes.txt", "hello, world\n")], 2,
                 "notes.txt", "not an ELF")
    expect_error("empty file", ["run", write("empty.elf", b"")], 2, "empty.elf",
                 "not an ELF")
    expect_error("wrong machine", ["run", write("arm.elf", image(code, machine=EM_AARCH64))],
                 2, "arm.elf", "machine 183", "x86-64")
    expect_error("32-bit ELF", ["run", write("i386.elf", elf32(code))], 2, "i386.elf",
                 "32-bit")
    expect_error("ET_DYN", ["run", write("pie.elf", image(code, etype=ET_DYN))], 2,
                 "pie.elf", "ET_EXEC")
    expect_error("ET_REL", ["run", write("rel.elf", image(code, etype=1))], 2,
                 "rel.elf", "ET_EXEC")
    big = image(bytes(4096))
    expect_error("truncated segment", ["run", write("cut.elf", big[:64 + 56 + 100])], 2,
                 "cut.elf", "segment 0", "truncated")
    expect_error("truncated header", ["run", write("cut2.elf", big[:40])], 2, "cut2.elf",
                 "truncated")
    expect_error("truncated program headers", ["run", write("cut3.elf", big[:64 + 20])],
                 2, "cut3.elf", "program headers", "truncated")
    out_of_ram = elf64([(PT_LOAD, ENTRY, code, None), (PT_LOAD, 0x7FFF0000, code, 0x20000)])
    expect_error("segment outside RAM", ["run", write("high.elf", out_of_ram)], 2,
                 "high.elf", "segment 1", "0x7fff0000", "outside RAM", "256 MiB", "--mem")
    expect_error("segment past the end of RAM",
                 ["run", "--mem", "16M", write("edge.elf", elf64([(PT_LOAD, 0xFFF000, code,
                                                                   0x2000)]))],
                 2, "edge.elf", "outside RAM", "16 MiB")
    expect_error("segment address overflow",
                 ["run", write("wrap.elf", elf64([(PT_LOAD, 0xFFFFFFFFFFFFF000, code,
                                                   0x2000)]))], 2, "wrap.elf", "outside RAM")
    low = elf64([(PT_LOAD, ENTRY, code, None), (PT_LOAD, 0x8000, code, None)])
    expect_error("segment below 1 MiB", ["run", write("low.elf", low)], 2, "low.elf",
                 "segment 1", "0x8000", "below 1 MiB")
    expect_error("p_filesz > p_memsz",
                 ["run", write("fs.elf", elf64([(PT_LOAD, ENTRY, bytes(64), 16)]))], 2,
                 "fs.elf", "p_filesz")
    expect_error("dynamic image",
                 ["run", write("dyn.elf", elf64([(PT_INTERP, 0, b"/lib/ld.so\0", None),
                                                 (PT_LOAD, ENTRY, code, None)]))], 2,
                 "dyn.elf", "-static")
    expect_error("no PT_LOAD", ["run", write("none.elf", elf64([]))], 2, "none.elf",
                 "PT_LOAD")


def group_run():
    rc, out, err = run("run", write("exit7.elf", image(exit_with(7))))
    check("guest exit status 7", rc == 7 and out == "", f"rc {rc} out {out!r} err {err!r}")
    rc, out, err = run("run", "--quiet", write("exit0.elf", image(exit_with(0))))
    check("guest exit 0, --quiet prints nothing", rc == 0 and out == "" and err == "",
          f"rc {rc} out {out!r} err {err!r}")

    hello = CONSOLE + putc("h") + putc("i") + putc("\n") + exit_with(0)
    rc, out, err = run("run", "-q", write("hello.elf", image(hello)))
    check("console goes to stdout", rc == 0 and out == "hi\n" and err == "",
          f"rc {rc} out {out!r} err {err!r}")

    lsr = bytes([0x66, 0xBA, 0xFD, 0x03, 0xEC, 0xE6, 0xF4])  # mov dx,0x3FD; in al,dx; out
    rc, _, err = run("run", "-q", write("lsr.elf", image(lsr)))
    check("UART LSR reads 0x60", rc == 0x60, f"rc {rc:#x} err {err!r}")
    unclaimed = bytes([0xE4, 0x80, 0xE6, 0xF4])  # in al, 0x80; out 0xF4, al
    rc, _, err = run("run", "-q", write("port80.elf", image(unclaimed)))
    check("unclaimed port reads all-ones", rc == 0xFF, f"rc {rc} err {err!r}")

    err = expect_error("undefined opcode -> triple fault", ["run", write("ud.elf", image(UD))],
                       3, "ud.elf", "triple fault", "0x200000")
    expect_error("halt with interrupts off", ["run", write("hlt.elf", image(HLT))], 3,
                 "hlt.elf", "halted", "0x200000")
    loop = write("loop.elf", image(LOOP))
    expect_error("--max-insns reached", ["run", "--max-insns", "1000", loop], 4,
                 "loop.elf", "--max-insns", "1000", "0x200000")
    expect_error("--max-cycles reached", ["run", "--max-cycles", "5000", loop], 4,
                 "loop.elf", "--max-cycles", "5000")
    expect_error("entry outside RAM", ["run", write("far.elf", image(exit_with(0),
                                                                     entry=0x7FFF0000))], 3,
                 "far.elf")

    # The identity map reaches the last byte of RAM: 2 MiB pages up to 64 GiB, 1 GiB pages
    # beyond, and a partial last GiB.
    last = write("last.elf", image(LAST_BYTE))
    for mem in ["16M", "256M", "1G", "3074M", "66G", "67586M"]:
        rc, _, err = run("run", "-q", "--mem", mem, last)
        check(f"last byte of RAM mapped (--mem {mem})", rc == 0x5A, f"rc {rc} err {err!r}")


STATS_LINE = re.compile(r'^(\S+) +("(?:[^"\\]|\\.)*"|\S+)  # .+$')


def group_stats():
    img = write("stats.elf", image(exit_with(7)))
    path = os.path.join(TMP, "stats.json")
    rc, _, err = run("run", "-q", "--stats", path, "--cmdline", "a b \"c\"",
                     "--param", "timing.insn.div=31", img)
    check("run with --stats", rc == 7, f"rc {rc} err {err!r}")
    try:
        with open(path) as f:
            s = json.load(f)
    except (OSError, ValueError) as e:
        check("stats JSON parses", False, str(e))
        return
    _, params_out, _ = run("params")
    names = [l.split()[0] for l in params_out.splitlines()[1:]]
    cfg = s.get("config", {})
    check("stats config", cfg.get("mem_bytes") == 256 << 20 and cfg.get("image") == img
          and cfg.get("cmdline") == 'a b "c"' and cfg.get("max_insns") == 0,
          repr(cfg))
    check("stats config lists every parameter",
          list(cfg.get("params", {})) == names and cfg["params"]["timing.insn.div"] == 31,
          repr(cfg.get("params")))
    ctr = s.get("counters", {})
    check("stats counters", all(k in ctr for k in ["cpu.insns_retired", "uart.tx_bytes",
                                                   "machine.io_unclaimed_reads",
                                                   "debug_exit.writes"])
          and ctr["debug_exit.writes"] == 1, repr(ctr))
    check("counter names are dotted lower case",
          all(re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)+", k) for k in ctr), repr(list(ctr)))
    r = s.get("run", {})
    check("stats run", r.get("exit_reason") == "guest-exit" and r.get("exit_status") == 7
          and r.get("insns_retired", 0) >= 2 and r.get("cycles", 0) >= 2
          and isinstance(r.get("host_seconds"), float) and "sim_mips" in r, repr(r))

    for name, code, args, reason, status in [
            ("triple fault", UD, [], "triple-fault", 3),
            ("halt", HLT, [], "halted", 3),
            ("insn limit", LOOP, ["--max-insns", "100"], "insn-limit", 4),
            ("cycle limit", LOOP, ["--max-cycles", "100"], "cycle-limit", 4)]:
        p = os.path.join(TMP, "s2.json")
        rc, _, _ = run("run", "--stats", p, *args, write("s2.elf", image(code)))
        with open(p) as f:
            r = json.load(f)["run"]
        check(f"stats exit reason: {name}", rc == status and r["exit_reason"] == reason
              and r["exit_status"] == status, repr(r))

    tpath = os.path.join(TMP, "stats.txt")
    rc, _, err = run("run", "-q", "--stats", tpath, "--stats-format", "text",
                     "--cmdline", "two words", img)
    with open(tpath) as f:
        lines = f.read().splitlines()
    body = [l for l in lines if not l.startswith("----------")]
    bad = [l for l in body if not STATS_LINE.match(l)]
    check("text stats: every line is 'name value  # description'", rc == 7 and not bad
          and len(lines) == len(body) + 2, repr(bad[:3]))
    values = {m.group(1): m.group(2) for m in map(STATS_LINE.match, body) if m}
    check("text stats content", values.get("run.exit_reason") == '"guest-exit"'
          and values.get("config.cmdline") == '"two words"'
          and values.get("debug_exit.writes") == "1"
          and "config.params.timing.insn.simple" in values, repr(values)[:400])
    leftovers = [n for n in os.listdir(TMP) if n.startswith(".stats")]
    check("no temporary stats files left", not leftovers, repr(leftovers))


GROUPS = {"usage": group_usage, "loader": group_loader, "run": group_run,
          "stats": group_stats}


def main():
    global HVSIM, TMP
    if len(sys.argv) < 2:
        sys.exit("usage: cli_test.py PATH/TO/hvsim [" + "|".join(GROUPS) + "...]")
    HVSIM = os.path.abspath(sys.argv[1])
    groups = sys.argv[2:] or list(GROUPS)
    with tempfile.TemporaryDirectory(prefix="hvsim-cli-") as tmp:
        TMP = tmp
        for g in groups:
            GROUPS[g]()
    if failures:
        print(f"{len(failures)} check(s) failed: " + ", ".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
