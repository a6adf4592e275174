#!/usr/bin/env bash
# hvsim quick start (README): installs what a fresh Debian 12 lacks, builds, and runs
#   ./quickstart.sh demo    the main demo
#   ./quickstart.sh test    the whole test suite (normal build, then ASan + UBSan build)
#   ./quickstart.sh deps    only the package installation
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES="meson ninja-build gcc pkg-config libelf-dev zlib1g-dev libjson-c-dev libinih-dev check python3"

install_deps() {
	local missing=()
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "quickstart: installing ${missing[*]}" >&2
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

build() { # build DIR [meson options...]: quiet when it works, the log's tail when not
	local dir=$1 log
	shift
	log=$(mktemp)
	if { [ -f "$dir/build.ninja" ] || meson setup "$dir" "$@"; } >"$log" 2>&1 &&
		ninja -C "$dir" >>"$log" 2>&1; then
		rm -f "$log"
		return 0
	fi
	tail -n 30 "$log" >&2
	rm -f "$log"
	return 1
}

case "${1:-demo}" in
deps)
	install_deps
	;;
demo)
	install_deps
	build build
	exec build/hvsim demo
	;;
test)
	install_deps
	if ! build build; then
		echo "quickstart: the build failed" >&2
		echo "0 passed, 1 failed"
		exit 1
	fi
	status=0
	meson test -C build --print-errorlogs || status=1
	if ! build build-asan -Db_sanitize=address,undefined -Db_lundef=false; then
		echo "quickstart: the sanitizer build failed" >&2
		python3 tools/test-summary build/meson-logs/testlog.json /nonexistent
		exit 1
	fi
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C build-asan --print-errorlogs || status=1
	python3 tools/test-summary build/meson-logs/testlog.json build-asan/meson-logs/testlog.json
	exit $status
	;;
*)
	echo "usage: ./quickstart.sh demo|test|deps" >&2
	exit 2
	;;
esac
