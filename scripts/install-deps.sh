#!/bin/sh
# Installs every Debian 12 package that Invariance Lab needs to build, test and
# run (the default Fashion-MNIST data set included). Run as root or via sudo.
set -eu
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends \
    build-essential meson ninja-build pkg-config gettext \
    libglib2.0-dev libglib2.0-bin libgtk-4-dev libcairo2-dev zlib1g-dev \
    libopenblas-dev liblapacke-dev \
    dataset-fashion-mnist \
    python3-torch \
    clang libclang-rt-14-dev \
    xvfb xauth dbus dbus-x11 at-spi2-core libgtk-4-bin \
    desktop-file-utils appstream gtk-update-icon-cache groff-base man-db libxml2-utils \
    fonts-dejavu-core
