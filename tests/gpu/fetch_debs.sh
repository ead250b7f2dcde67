#!/usr/bin/env bash
# fetch_debs.sh — downloads, with `apt-get download`, the Debian packages that tests/gpu/check.sh
# unpacks on a GPU machine without libyaml, HDF5 or OpenBLAS and without network: the -dev
# packages (headers, link names) and the runtime libraries with every library they depend on,
# recursively, except the C/C++ runtime every Linux system has.  Into deps/debs/ (git-ignored):
# carry that folder to the GPU machine with the call that runs check.sh.
# usage: tests/gpu/fetch_debs.sh   (on a Debian/Ubuntu machine with network; no root needed)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dest=$root/deps/debs

# What optsweep links: libyaml, HDF5 (serial), OpenBLAS (pthread flavour), zlib; and h5dump
# (hdf5-tools), which tests/store's layout test reads run files with.
runtime="libyaml-0-2 libhdf5-103-1 libopenblas0-pthread zlib1g hdf5-tools"
dev="libyaml-dev libhdf5-dev libopenblas-pthread-dev zlib1g-dev"
# Present on any glibc system, and never to be shadowed by older copies.
base=" libc6 libgcc-s1 libstdc++6 gcc-12-base gcc-13-base gcc-14-base debconf "

closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
          --no-breaks --no-replaces --no-enhances $runtime |
          grep -v '^ ' | grep -v '^<' | sort -u)
pkgs=""
for p in $closure $dev; do
    case "$base" in *" $p "*) continue ;; esac
    pkgs="$pkgs $p"
done

mkdir -p "$dest"
rm -f "$dest"/*.deb
cd "$dest"
# shellcheck disable=SC2086
apt-get download $pkgs
# "zlib1g_1%3a1.2.13..." -> "zlib1g_1_1.2.13...": plain names travel anywhere
for f in ./*%3a*; do
    [ -e "$f" ] && mv "$f" "${f//%3a/_}"
done
echo "fetch_debs.sh: $(ls ./*.deb | wc -l) packages, $(du -sh . | cut -f1) in $dest:"
ls
