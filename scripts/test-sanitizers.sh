#!/bin/sh
# Runs the test suite under AddressSanitizer + UndefinedBehaviorSanitizer
# (build-asan; LeakSanitizer on for the core and cli suites, off for the gui
# suite, whose toolkit libraries keep caches until exit) and the trainer's
# threading tests under ThreadSanitizer (build-tsan). Any sanitizer report
# fails the run. Usage: scripts/test-sanitizers.sh [asan|tsan]  (default both)
# Environment: ASAN_BUILD_DIR, TSAN_BUILD_DIR (build folders), SAN_APP
# (true/false: build and test the GTK app under ASan, default true),
# SAN_EXCLUDE (test names to leave out of the ASan run, space separated).
set -eu
cd "$(dirname "$0")/.."
what=${1:-all}
asan=${ASAN_BUILD_DIR:-build-asan}
tsan=${TSAN_BUILD_DIR:-build-tsan}
app=${SAN_APP:-true}
# Tests too slow under ASan for CI, each with its reason (none so far).
exclude=${SAN_EXCLUDE:-}

setup () {
  dir=$1
  shift
  if [ -d "$dir" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@" >/dev/null
  fi
}

# Names of the tests of the given suites, minus the excluded ones.
tests_of () {
  dir=$1
  shift
  args=
  for s in "$@"; do args="$args --suite $s"; done
  # "invariance-lab:core / test-json" -> "test-json"
  meson test -C "$dir" --list --no-rebuild $args 2>/dev/null | sed -E 's/.* \/ //' |
    while read -r name; do
      case " $exclude " in *" $name "*) ;; *) echo "$name" ;; esac
    done
}

status=0
if [ "$what" = all ] || [ "$what" = asan ]; then
  setup "$asan" -Db_sanitize=address,undefined -Db_lundef=false -Dapp="$app"
  ninja -C "$asan"
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  asan_opts=halt_on_error=1:abort_on_error=1:print_stacktrace=1:check_initialization_order=1:strict_init_order=1
  names=$(tests_of "$asan" core cli)
  [ -n "$exclude" ] && echo "test-sanitizers: left out of the ASan run: $exclude"
  # shellcheck disable=SC2086 # one word per test name
  ASAN_OPTIONS=$asan_opts:detect_leaks=1 \
    meson test -C "$asan" --no-rebuild --print-errorlogs --num-processes 2 \
      --timeout-multiplier 3 $names || status=1
  if [ "$app" = true ]; then
    ASAN_OPTIONS=$asan_opts:detect_leaks=0 \
      meson test -C "$asan" --no-rebuild --print-errorlogs --num-processes 1 \
        --timeout-multiplier 3 --suite gui || status=1
  fi
fi

if [ "$what" = all ] || [ "$what" = tsan ]; then
  setup "$tsan" -Db_sanitize=thread -Db_lundef=false -Dapp=false
  ninja -C "$tsan" tests/test-train tests/test-trainer-threads
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    meson test -C "$tsan" --no-rebuild --print-errorlogs --num-processes 1 \
      --timeout-multiplier 5 test-train test-trainer-threads || status=1
fi
exit $status
