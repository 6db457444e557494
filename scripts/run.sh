#!/bin/sh
# Installs what Invariance Lab needs (Debian 12), builds it, and starts the app.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
if [ -d build ]; then meson setup --reconfigure build; else meson setup build; fi
ninja -C build
exec ./build/src/app/invariance-lab "$@"
