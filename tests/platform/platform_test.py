#!/usr/bin/env python3
"""The platform end to end: `hvsim boot` with hv.elf, the root partition and children.

usage: platform_test.py --hvsim HVSIM [--hv HV.elf] [--root ROOT.elf] [--hv-args STR]
                        MODE ARGS...

  two IMAGE IMAGE        two different children: both outputs, prefixed by their
                         names, each equal to the image's `hvsim run` output; exit 0
  bare IMAGE [ARGS]      one child prints exactly what `hvsim run` prints and exits
                         with the same status
  entry IMAGE            entry_state: the state at entry as a child equals the bare
                         machine's (`hvsim run --mem` the child's RAM)
  abi IMAGE              the ABI conformance child: every line PASS, exit 0
  hostile HOSTILE GOOD [END...]
                         hostile children (one per END: read, write, exec, triple,
                         garbage) beside a well-behaved child: the good child's output
                         intact, each hostile one reported stopped after its hypercalls,
                         the run ends with status 1
  cli                    `hvsim boot` usage errors: exit 2 with one line

A child's console line is "[NAME] text"; the root's own lines start "[root] ". A last
line without its newline gets one from the root, so the bare output is compared with a
newline added at its end when it has none. hvsim's stdout of a failing run is printed.
Exits 77 (skipped) when hv.elf is not there to boot.
"""
import argparse
import os
import re
import subprocess
import sys

CHILD_MEM = "64M"       # the root's default child RAM (partitions/root/main.c)
MAX_CYCLES = "4000000000"
TIMEOUT = 280

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def run(argv, timeout=TIMEOUT):
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout, check=False)
    except subprocess.TimeoutExpired as e:
        return None, (e.stdout or b"").decode(errors="replace"), \
            (e.stderr or b"").decode(errors="replace")
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


class Platform:
    def __init__(self, args):
        self.hvsim = args.hvsim
        self.extra = []
        if args.hv:
            self.extra += ["--hv", args.hv]
        if args.root:
            self.extra += ["--root", args.root]
        if args.hv_args:
            self.extra += ["--hv-args", args.hv_args]

    def boot(self, children, extra=()):
        """children: list of --child values. Returns (status, stdout, stderr)."""
        argv = [self.hvsim, "boot", "--quiet", "--max-cycles", MAX_CYCLES] + self.extra
        argv += list(extra)
        for c in children:
            argv += ["--child", c]
        self.last_argv = argv
        return run(argv)

    def bare(self, image, cmdline=""):
        argv = [self.hvsim, "run", "--quiet", "--mem", CHILD_MEM, "--max-cycles", MAX_CYCLES]
        if cmdline:
            argv += ["--cmdline", cmdline]
        return run(argv + [image])

    def show(self, out, err):
        print("  hvsim: " + " ".join(self.last_argv))
        lines = out.splitlines()
        if len(lines) > 80:
            lines = lines[:30] + [f"... ({len(lines) - 60} lines)"] + lines[-30:]
        for line in lines:
            print("  | " + line)
        for line in err.splitlines()[-10:]:
            print("  stderr: " + line)


def split_lines(out):
    """stdout of a boot -> ({name: [text lines]}, [root lines], [other lines])."""
    children, root, other = {}, [], []
    for line in out.splitlines():
        m = re.match(r"^\[([A-Za-z0-9_.-]+)\] (.*)$", line) or \
            re.match(r"^\[([A-Za-z0-9_.-]+)\]()$", line)
        if not m:
            other.append(line)
        elif m.group(1) == "root":
            root.append(m.group(2))
        else:
            children.setdefault(m.group(1), []).append(m.group(2))
    return children, root, other


def child_text(lines):
    return "".join(l + "\n" for l in lines)


def as_child_sees(text):
    return text if text == "" or text.endswith("\n") else text + "\n"


def exit_status(root_lines, name):
    for line in root_lines:
        m = re.match(rf"^{re.escape(name)} exited with status (\d+)$", line)
        if m:
            return int(m.group(1))
    return None


def stopped(root_lines, name):
    return [l for l in root_lines if l.startswith(name + ": stopped: ")]


def name_of(image):
    base = os.path.basename(image)
    return base[:base.rfind(".")] if "." in base[1:] else base


def compare_with_bare(p, image, name, children, root, args=""):
    status, out, err = p.bare(image, args)
    if status is None:
        fail(f"{image}: hvsim run timed out")
        return False
    want = as_child_sees(out)
    got = child_text(children.get(name, []))
    ok = True
    if got != want:
        fail(f"{name}: its output as a child differs from hvsim run's "
             f"({len(got)} vs {len(want)} bytes)")
        import difflib
        for l in list(difflib.unified_diff(want.splitlines(), got.splitlines(), "hvsim run",
                                           "child", lineterm="", n=1))[:40]:
            print("    " + l)
        ok = False
    st = exit_status(root, name)
    if st != status:
        fail(f"{name}: exited with status {st} as a child, {status} on hvsim run")
        ok = False
    return ok


def mode_two(p, images):
    names = [name_of(i) for i in images]
    status, out, err = p.boot(images)
    children, root, other = split_lines(out)
    ok = status == 0
    if status != 0:
        fail(f"boot of two children: hvsim exit status {status}, want 0")
    for image, name in zip(images, names):
        if name not in children:
            fail(f"{name}: no '[{name}] ' lines")
            ok = False
        ok &= compare_with_bare(p, image, name, children, root)
    if not ok:
        p.show(out, err)
    else:
        print(f"ok: {' and '.join(names)} both ran as children, outputs as on hvsim run")


def mode_bare(p, image, args):
    name = name_of(image)
    spec = image + (",args=" + args if args else "")
    status, out, err = p.boot([spec])
    children, root, other = split_lines(out)
    ok = compare_with_bare(p, image, name, children, root, args)
    bare_status = exit_status(root, name)
    want = 0 if bare_status == 0 else 1
    if status != want:
        fail(f"{name}: hvsim boot exit status {status}, want {want}")
        ok = False
    if not ok:
        p.show(out, err)
    else:
        print(f"ok: {name}: {len(child_text(children.get(name, [])))} bytes as on hvsim run, "
              f"status {bare_status}")


def mode_entry(p, image):
    args = "entry state check"
    name = name_of(image)
    status, out, err = p.boot([image + ",args=" + args])
    children, root, other = split_lines(out)
    ok = compare_with_bare(p, image, name, children, root, args) and status == 0
    if not ok:
        p.show(out, err)
    else:
        print(f"ok: {name}: the entry state as a child is the bare machine's")


def mode_abi(p, image):
    name = name_of(image)
    status, out, err = p.boot([image])
    children, root, other = split_lines(out)
    lines = children.get(name, [])
    checks = [l for l in lines if l.startswith(("PASS ", "FAIL "))]
    bad = [l for l in checks if not l.startswith("PASS ")]
    for l in bad:
        fail(f"{name}: {l}")
    if len(checks) < 50:
        fail(f"{name}: only {len(checks)} checks ran")
    st = exit_status(root, name)
    if st != 0:
        fail(f"{name}: " + (f"exited with status {st}" if st is not None else
                            f"did not exit ({stopped(root, name) or 'no report'})"))
    if status != 0:
        fail(f"hvsim boot exit status {status}, want 0")
    if failures:
        p.show(out, err)
    else:
        print(f"ok: {name}: {len(checks)} checks, all PASS")


def mode_hostile(p, hostile, good, ends):
    good_name = name_of(good)
    specs = [good]
    names = []
    for i, end in enumerate(ends or ["read"]):
        name = f"hostile-{end}"
        names.append(name)
        specs.append(f"{hostile},name={name},args=seed={i + 1} calls=10000 end={end}")
    status, out, err = p.boot(specs)
    children, root, other = split_lines(out)
    compare_with_bare(p, good, good_name, children, root)
    for name in names:
        lines = children.get(name, [])
        calls = [l for l in lines if re.match(r"^hostile: (\d+) hypercalls", l)]
        if not calls or int(re.match(r"^hostile: (\d+)", calls[0]).group(1)) < 10000:
            fail(f"{name}: no report of 10000 hypercalls ({calls})")
        if not any(l.startswith("hostile: still standing: GetPartitionId SUCCESS") for l in lines):
            fail(f"{name}: the hypercall interface did not work after the barrage")
        if any("still running after the end" in l for l in lines):
            fail(f"{name}: survived its end")
        if not stopped(root, name):
            fail(f"{name}: the root did not report it stopped")
        else:
            print(f"  {name}: {stopped(root, name)[0]}")
    if status != 1:
        fail(f"hvsim boot exit status {status}, want 1 (a child did not exit 0)")
    if failures:
        p.show(out, err)
    else:
        print(f"ok: {', '.join(names)} stopped, {good_name} intact, status 1")


def mode_cli(p, images):
    image = images[0] if images else None
    cases = [
        (["--child", ""], "no image"),
        (["--child", ",name=x"], "no image"),
        (["--child", "/nonexistent/child.elf"], "cannot open"),
        (["--child", "x.elf,colour=red"], "unknown option"),
        (["--child", "x.elf,name=bad name"], "in the name"),
        (["--child", "x.elf,name=root"], "root partition"),
        (["--hv", "/nonexistent/hv.elf", "--child", image or "x"], "cannot open"),
        (["--root", "/nonexistent/root.elf", "--child", image or "x"], "cannot open"),
        (["--child", image or "x", "stray.elf"], "boot takes no IMAGE"),
        (["--child"], "needs a value"),
        (["--bogus"], "unknown option"),
    ]
    # Any ELF file stands in for hv.elf and root.elf: these runs stop before booting.
    stand_in = ["--hv", image, "--root", image] if image else p.extra
    for extra, want in cases:
        argv = [p.hvsim, "boot"] + stand_in + extra
        status, out, err = run(argv, 30)
        lines = err.splitlines()
        if status != 2 or len(lines) != 1 or want not in err or not err.startswith("hvsim: "):
            fail(f"{' '.join(extra)}: status {status}, stderr {err!r}; want 2 and one "
                 f"'hvsim: ' line with {want!r}")
    if not failures:
        print(f"ok: {len(cases)} bad command lines, each exit 2 with one line")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hvsim", required=True)
    ap.add_argument("--hv")
    ap.add_argument("--root")
    ap.add_argument("--hv-args", help="hv.elf's command line for every boot")
    ap.add_argument("mode", choices=["two", "bare", "entry", "abi", "hostile", "cli"])
    ap.add_argument("rest", nargs="*")
    args = ap.parse_args()
    p = Platform(args)

    hv = args.hv or os.path.join(os.path.dirname(os.path.abspath(args.hvsim)), "hv", "hv.elf")
    if args.mode != "cli" and not os.path.exists(hv):
        print(f"skip: no hypervisor image at {hv} to boot")
        return 77

    if args.mode == "two":
        mode_two(p, args.rest)
    elif args.mode == "bare":
        mode_bare(p, args.rest[0], args.rest[1] if len(args.rest) > 1 else "")
    elif args.mode == "entry":
        mode_entry(p, args.rest[0])
    elif args.mode == "abi":
        mode_abi(p, args.rest[0])
    elif args.mode == "hostile":
        mode_hostile(p, args.rest[0], args.rest[1], args.rest[2:])
    else:
        mode_cli(p, args.rest)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
