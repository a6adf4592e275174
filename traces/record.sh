#!/bin/sh
# Records the golden recordings again from a build's images (traces/README.md):
#   traces/record.sh [BUILD_DIR]        (default: build)
# After a change that is meant to alter a run, re-record with the embedded images instead:
#   build/hvsim replay --update traces/NAME.hvrec
set -eu
build=${1:-build}
here=$(dirname "$0")
hvsim="$build/hvsim"
bare="$build/partitions/bare"
mp="procs=4 pages=64 slices=200 timer=20000"

record() {
	out="$here/$1.hvrec"
	shift
	"$hvsim" run -q --record "$out" --record-interval 100000 "$@" >/dev/null
	"$hvsim" replay "$out"
}

record bare-bench_cpu-O2 --cmdline "iters=20" "$bare/bare-bench_cpu-O2.elf"
record mpkernel-pcid-off --cmdline "$mp pcid=off" "$bare/mpkernel.elf"
record mpkernel-pcid-on --cmdline "$mp pcid=on" "$bare/mpkernel.elf"

# The flush experiment's asid configuration (hvsim demo --quick), from copies of the
# images without debug information: a recording embeds its images, and the debug
# sections would triple its size without changing a single executed byte.
strip=$(mktemp -d)
trap 'rm -rf "$strip"' EXIT
for img in "$build/hv/hv.elf" "$build/partitions/root/root.elf" \
	"$build/partitions/child/kernel/child-kernel.elf"; do
	objcopy --strip-debug "$img" "$strip/$(basename "$img")"
done
out="$here/demo-asid.hvrec"
"$hvsim" boot -q --record "$out" --record-interval 1000000 \
	--hv "$strip/hv.elf" --root "$strip/root.elf" --hv-args "flush=asid verbose" \
	--child "$strip/child-kernel.elf,name=flusher,args=workload=switch procs=4 pages=24 slices=40 enlightened=auto" \
	--child "$strip/child-kernel.elf,name=bystander,args=workload=bystander pages=48 units=300 enlightened=auto" \
	>/dev/null
"$hvsim" replay "$out"
