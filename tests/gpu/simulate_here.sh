#!/usr/bin/env bash
# simulate_here.sh — runs `tests/gpu/check.sh --no-gpu` on this CPU machine as the GPU machine
# will see it: in a private mount namespace (this process tree only; the machine's files are
# untouched) where overlays hide the system's libyaml, HDF5, OpenBLAS and zlib headers, link
# names and (except zlib's, which the system's own tools need) runtime libraries.  The build
# can then only succeed through deps/root, and check.sh's linkage step proves the binaries load
# their libraries from there.  Needs root (unshare, mount); run tests/gpu/fetch_debs.sh first.
# usage: tests/gpu/simulate_here.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
ov=$(mktemp -d /tmp/optsweep-sim.XXXXXX)
trap 'rm -rf "$ov"' EXIT
export OVERLAY_DIR=$ov ROOT=$root
exec unshare --mount --propagation private bash -c '
set -eu
a=x86_64-linux-gnu
hide_in() { # DIR FILE-PATTERNS...: overlay DIR, then delete the matches in the merged view
    local dir=$1 tag; shift
    tag=$(echo "$dir" | tr / _)
    mkdir -p "$OVERLAY_DIR/$tag/up" "$OVERLAY_DIR/$tag/work"
    mount -t overlay overlay -o "lowerdir=$dir,upperdir=$OVERLAY_DIR/$tag/up,workdir=$OVERLAY_DIR/$tag/work" "$dir"
    (cd "$dir" && for p in "$@"; do rm -rf -- $p; done) # $p unquoted: patterns expand here
}
hide_in /usr/include yaml.h hdf5 zlib.h zconf.h
hide_in /usr/include/$a openblas-pthread cblas.h cblas-openblas.h
hide_in /usr/lib/$a libyaml.so "libyaml-0.so.2*" libyaml.a "libhdf5*" hdf5 openblas-pthread \
    "libopenblas*" "libblas*" "liblapack*" "libsz*" "libaec*" "libgfortran*" libz.so libz.a
hide_in /usr/bin "h5*"
echo "simulate_here.sh: hidden from this build: $(ls /usr/include/yaml.h /usr/include/hdf5 \
    /usr/lib/$a/libhdf5_serial.so.103 /usr/lib/$a/openblas-pthread 2>&1 | grep -c "No such") of 4 probes"
exec bash "$ROOT/tests/gpu/check.sh" --no-gpu
'
