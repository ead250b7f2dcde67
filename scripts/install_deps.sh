#!/usr/bin/env bash
# install_deps.sh — installs the Debian/Ubuntu packages optsweep needs that are missing, with
# apt-get as root or through sudo; otherwise prints the one command to run and fails.
# Sourced or run by run_sweep.sh and tests/run_tests.sh.
#
# Usage: scripts/install_deps.sh [EXTRA_PACKAGE...]
# Exit status: 0 everything is installed (or this is not a dpkg system: then CMake will say
# what it cannot find), 1 packages are missing and could not be installed.
set -euo pipefail

packages=(gcc libc6-dev make cmake libyaml-dev libhdf5-dev hdf5-tools libopenblas-dev
          zlib1g-dev gnuplot-nox ca-certificates curl "$@")

say() { echo "install_deps.sh: $*" >&2; }

if ! command -v dpkg-query >/dev/null 2>&1; then
    say "not a Debian/Ubuntu system (no dpkg): install the equivalents of ${packages[*]} yourself"
    exit 0
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

say "missing packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
    run=()
elif command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [ -t 0 ]; }; then
    run=(sudo)   # password-less, or a terminal where sudo can ask
else
    say "cannot install them without root; run this, then try again:"
    echo "sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! "${run[@]}" apt-get update -q || ! "${run[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    say "apt-get failed; install them with: sudo apt-get install -y ${missing[*]}"
    exit 1
fi
