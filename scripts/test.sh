#!/bin/sh
# Installs what Invariance Lab needs (Debian 12), builds it, and runs every
# test: the meson suites (core, cli, gui under xvfb-run, install, slow), the
# same suites under AddressSanitizer/UndefinedBehaviorSanitizer and the
# threading tests under ThreadSanitizer (scripts/test-sanitizers.sh), and a
# short libFuzzer run of every parser (scripts/fuzz-smoke.sh, FUZZ_SECONDS
# each, default 30). Pass --no-extra to run the meson suites only.
set -eu
cd "$(dirname "$0")/.."
extra=true
if [ "${1:-}" = "--no-extra" ]; then extra=false; shift; fi
./scripts/install-deps.sh
if [ -d build ]; then meson setup --reconfigure build; else meson setup build; fi
ninja -C build
out=build/meson-test-summary.txt
status=0
meson test -C build --print-errorlogs --num-processes 2 "$@" | tee "$out"
grep -qE '^(Fail|Timeout|Unexpected Pass): +[1-9]' "$out" && status=1
ok=$(sed -nE 's/^Ok: +([0-9]+).*/\1/p' "$out")
fail=$(sed -nE 's/^Fail: +([0-9]+).*/\1/p' "$out")
timeout=$(sed -nE 's/^Timeout: +([0-9]+).*/\1/p' "$out")
[ -n "$ok" ] || status=1
passed=${ok:-0}
failed=$(( ${fail:-0} + ${timeout:-0} ))

if [ "$extra" = true ]; then
  for phase in asan tsan fuzz; do
    echo "== $phase"
    if [ "$phase" = fuzz ]; then
      FUZZ_SECONDS=${FUZZ_SECONDS:-30} ./scripts/fuzz-smoke.sh && r=0 || r=1
    else
      ./scripts/test-sanitizers.sh "$phase" && r=0 || r=1
    fi
    if [ $r = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi
    echo "== $phase: $([ $r = 0 ] && echo passed || echo FAILED)"
  done
fi
# One plain closing line for CI's reader (each extra phase counts as one).
echo "all tests: $passed passed, $failed failed"
exit $status
