#!/bin/sh
# Installs what Invariance Lab needs (Debian 12), builds it, and runs the whole
# test suite (core, cli, gui under xvfb-run) with meson test.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
if [ -d build ]; then meson setup --reconfigure build; else meson setup build; fi
ninja -C build
out=build/meson-test-summary.txt
status=0
meson test -C build --print-errorlogs --num-processes 2 "$@" | tee "$out" || status=$?
# meson test's own exit status, through the pipe
grep -qE '^(Fail|Timeout|Unexpected Pass): +[1-9]' "$out" && status=1
# One plain closing line for CI's reader: "N passed, N failed".
ok=$(sed -nE 's/^Ok: +([0-9]+).*/\1/p' "$out")
fail=$(sed -nE 's/^Fail: +([0-9]+).*/\1/p' "$out")
timeout=$(sed -nE 's/^Timeout: +([0-9]+).*/\1/p' "$out")
echo "meson test: ${ok:-0} passed, $(( ${fail:-0} + ${timeout:-0} )) failed"
[ -n "$ok" ] || status=1
exit $status
