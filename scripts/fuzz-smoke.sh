#!/bin/sh
# Builds the libFuzzer targets (tests/fuzz/) with clang in build-fuzz and runs
# each for FUZZ_SECONDS (default 60) from a copy of its seed corpus, one after
# the other. Fails on any crash, leak, timeout or sanitizer report; the input
# that caused it is kept in tests/fuzz/crashes/ (ignored by git).
# Usage: scripts/fuzz-smoke.sh [TARGET...]   (default: all five)
set -eu
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD_DIR:-build-fuzz}
targets=${*:-fuzz-idx fuzz-safetensors fuzz-json fuzz-shift fuzz-cli-values}

if ! command -v clang >/dev/null 2>&1; then
  echo "fuzz-smoke: clang is needed (apt-get install clang)" >&2
  exit 1
fi
if [ -d "$build" ]; then
  meson setup --reconfigure "$build" -Dfuzzing=true -Dapp=false >/dev/null
else
  CC=clang meson setup "$build" -Dfuzzing=true -Dapp=false >/dev/null
fi
paths=
for t in $targets; do paths="$paths tests/fuzz/$t"; done
# shellcheck disable=SC2086 # one word per target
if ! ninja -C "$build" $paths >"$build/fuzz-build.log" 2>&1; then
  cat "$build/fuzz-build.log" >&2
  echo "fuzz-smoke: the fuzz targets do not build" >&2
  exit 1
fi

# Longest input per target: room for small gzip bombs and models, short
# for the one-line values.
max_len () {
  case $1 in
    fuzz-idx|fuzz-safetensors) echo 16384 ;;
    fuzz-json) echo 4096 ;;
    *) echo 256 ;;
  esac
}

crashes=tests/fuzz/crashes
mkdir -p "$crashes"
work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-smoke-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
status=0
for t in $targets; do
  mkdir -p "$work/$t"
  cp tests/fuzz/corpus/"$t"/* "$work/$t/"
  log="$work/$t.log"
  rc=0
  "./$build/tests/fuzz/$t" -max_total_time="$secs" -max_len="$(max_len "$t")" \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$crashes/$t-" "$work/$t" >"$log" 2>&1 || rc=$?
  runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -1)
  if [ "$rc" -ne 0 ]; then
    echo "fuzz-smoke: $t FAILED (exit $rc) after ${runs:-?} executions; input in $crashes/" >&2
    tail -n 40 "$log" >&2
    status=1
  else
    echo "fuzz-smoke: $t ok, ${runs:-?} executions in ${secs} s"
  fi
done
exit $status
