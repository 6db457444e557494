#!/bin/sh
# The app's --version names the BLAS kernels and why: it never overrides
# OPENBLAS_CORETYPE set by the environment, INVLAB_BLAS_AUTOSELECT=0 turns
# the selection off, and old kernels (simulated with the test-only
# INVLAB_BLAS_PRETEND_CORE) make it re-execute itself with matching ones.
# Needs no display: --version is answered before GTK starts.
# Usage: test-app-version.sh PATH-TO-invariance-lab
set -u
app=${1:?usage: test-app-version.sh APP}
failures=0
check () {
  want=$1; shift
  out=$(env -u OPENBLAS_CORETYPE -u DISPLAY -u WAYLAND_DISPLAY "$@" "$app" --version 2>&1)
  rc=$?
  echo "$out" | sed 's/^/# /'
  if [ $rc -ne 0 ]; then echo "FAIL: exit $rc with $*"; failures=$((failures + 1)); return; fi
  case $out in
    "invariance-lab "*"BLAS: "*"$want"*) echo "ok: $want" ;;
    *) echo "FAIL: no '$want' with $*"; failures=$((failures + 1)) ;;
  esac
}
check "INVLAB_BLAS_AUTOSELECT=0" INVLAB_BLAS_AUTOSELECT=0
check "OPENBLAS_CORETYPE=Prescott set by the environment" INVLAB_BLAS_AUTOSELECT=1 OPENBLAS_CORETYPE=Prescott
check "instead of Prescott" INVLAB_BLAS_AUTOSELECT=1 INVLAB_BLAS_PRETEND_CORE=Prescott
[ $failures -eq 0 ]
