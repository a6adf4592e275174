#!/usr/bin/env python3
"""Differential test of one bare-machine program: run it natively and on hvsim, and
require byte-identical stdout and exit status 0 from both.

    compare.py --hvsim HVSIM --native PROGRAM --image IMAGE.elf [--cmdline STR]
               [--max-insns N]

The native program gets the command line as argv[1]; hvsim gets it as --cmdline.
On a mismatch, prints a unified diff (native first, hvsim second) and exits 1.
"""

import argparse
import difflib
import signal
import subprocess
import sys

# hvsim's own exit statuses (DESIGN.md, "Boot protocol"); a guest's are its own.
HVSIM_STATUS = {
    2: "bad usage or input",
    3: "the guest machine crashed (triple fault or shutdown)",
    4: "a limit was reached (--max-insns / --max-cycles)",
}

MAX_DIFF_LINES = 60
MAX_STDERR_LINES = 20


def run(argv, timeout):
    """Run argv; return (status, stdout bytes, stderr text). status is negative for a
    signal, None when the run timed out, and a message when argv could not start."""
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout, check=False)
    except subprocess.TimeoutExpired as e:
        return None, e.stdout or b"", (e.stderr or b"").decode(errors="replace")
    except OSError as e:
        return f"cannot start: {e}", b"", ""
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def describe(status, is_hvsim, timeout):
    if isinstance(status, str):
        return status
    if status is None:
        return f"timed out after {timeout} s"
    if status < 0:
        try:
            return f"killed by {signal.Signals(-status).name}"
        except ValueError:
            return f"killed by signal {-status}"
    text = f"exit status {status}"
    if is_hvsim and status in HVSIM_STATUS:
        text += f" (hvsim: {HVSIM_STATUS[status]}, or a guest exit of {status})"
    elif status != 0:
        text += " (a bare program exits with its number of failed checks)"
    return text


def tail(text, n):
    lines = text.splitlines()
    if len(lines) > n:
        lines = [f"... ({len(lines) - n} lines cut)"] + lines[-n:]
    return "\n".join("    " + l for l in lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hvsim", required=True, help="the hvsim executable")
    ap.add_argument("--native", required=True, help="the native build of the program")
    ap.add_argument("--image", required=True, help="the guest image (ELF)")
    ap.add_argument("--cmdline", default="", help="command line for the program")
    ap.add_argument("--max-insns", type=int, default=0,
                    help="pass --max-insns to hvsim (0: no limit)")
    ap.add_argument("--timeout", type=float, default=110,
                    help="seconds allowed for each run (default 110)")
    args = ap.parse_args()

    native_argv = [args.native] + ([args.cmdline] if args.cmdline else [])
    sim_argv = [args.hvsim, "run", "--quiet"]
    if args.cmdline:
        sim_argv += ["--cmdline", args.cmdline]
    if args.max_insns:
        sim_argv += ["--max-insns", str(args.max_insns)]
    sim_argv.append(args.image)

    n_status, n_out, n_err = run(native_argv, args.timeout)
    s_status, s_out, s_err = run(sim_argv, args.timeout)

    problems = []
    if n_status != 0:
        problems.append(f"native run: {describe(n_status, False, args.timeout)}")
    if s_status != 0:
        problems.append(f"hvsim run: {describe(s_status, True, args.timeout)}")
    if n_out != s_out:
        problems.append(f"stdout differs: native {len(n_out)} bytes, hvsim {len(s_out)} bytes")

    if not problems:
        print(f"ok: {args.image}: {len(s_out)} bytes of output match, both exit 0")
        return 0

    print(f"FAIL: {args.image}")
    for p in problems:
        print("  " + p)
    print("  native: " + " ".join(native_argv))
    print("  hvsim:  " + " ".join(sim_argv))
    if n_out != s_out:
        a = n_out.decode(errors="backslashreplace").splitlines(keepends=True)
        b = s_out.decode(errors="backslashreplace").splitlines(keepends=True)
        diff = list(difflib.unified_diff(a, b, "native", "hvsim", n=2))
        for line in diff[:MAX_DIFF_LINES]:
            sys.stdout.write(line if line.endswith("\n") else line + "\n\\ no newline at end\n")
        if len(diff) > MAX_DIFF_LINES:
            print(f"... ({len(diff) - MAX_DIFF_LINES} more diff lines)")
    if s_err.strip():
        print("  hvsim stderr:")
        print(tail(s_err, MAX_STDERR_LINES))
    if n_err.strip():
        print("  native stderr:")
        print(tail(n_err, MAX_STDERR_LINES))
    return 1


if __name__ == "__main__":
    sys.exit(main())
