#!/usr/bin/env bash
# test_fetch.sh — scripts/fetch_data.sh without the network: usage errors, a source serving
# wrong files (the MNIST slice under MNIST's names: the sums must reject it and DIR must stay
# free of half files), a corrupt file already in DIR (renamed to .corrupt, not deleted), and,
# when a full local MNIST exists (../shared/datasets/mnist), a real install + re-run.
# Usage: test_fetch.sh REPO_ROOT.  Exits non-zero on any mismatch.
set -uo pipefail
repo=$1
script=$repo/scripts/fetch_data.sh
slice=$repo/tests/data/mnist-slice
tmp=$(mktemp -d "${TMPDIR:-/tmp}/optsweep-test-fetch.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# expect RC LOGPATTERN -- command...: exit status RC and the pattern in stderr
expect() {
    local want=$1 pattern=$2 rc
    shift 3
    "$@" 2>"$tmp/log" >/dev/null
    rc=$?
    [ "$rc" = "$want" ] || fail "$* exited $rc, expected $want: $(tail -n 2 "$tmp/log")"
    grep -q -- "$pattern" "$tmp/log" || fail "$* : stderr lacks '$pattern': $(cat "$tmp/log")"
}

expect 2 "usage:" -- bash "$script"
expect 2 "unknown data set 'cifar'" -- bash "$script" cifar "$tmp/x"
expect 2 "unknown source 'ftp'" -- env OPTSWEEP_FETCH_SOURCES=ftp bash "$script" mnist "$tmp/x"

# a mirror that serves the slice: right names, wrong content
expect 1 "does not match train-images-idx3-ubyte's" -- env OPTSWEEP_FETCH_SOURCES=https \
    OPTSWEEP_MNIST_MIRRORS="file://$slice" bash "$script" mnist "$tmp/bad"
[ -z "$(ls -A "$tmp/bad")" ] || fail "rejected files left in DIR: $(ls -A "$tmp/bad")"
grep -q "could not get train-images-idx3-ubyte" "$tmp/log" || fail "no final error message"

# a wrong file already in DIR is renamed, never deleted
mkdir -p "$tmp/keep"
cp "$slice/t10k-labels-idx1-ubyte.gz" "$tmp/keep/"
expect 1 "renaming it to" -- env OPTSWEEP_FETCH_SOURCES=https OPTSWEEP_MNIST_MIRRORS=file:///nonexistent \
    bash "$script" mnist "$tmp/keep"
cmp -s "$slice/t10k-labels-idx1-ubyte.gz" "$tmp/keep/t10k-labels-idx1-ubyte.gz.corrupt" ||
    fail "the wrong file was not kept as .corrupt"

# Fashion-MNIST with nothing installed and apt not allowed: the exact command to run
expect 1 "sudo apt-get install dataset-fashion-mnist" -- env OPTSWEEP_FETCH_SOURCES=system \
    OPTSWEEP_FASHION_MNIST_DIR="$tmp/none" bash "$script" fashion_mnist "$tmp/f"

# never a system package unasked: the apt-install source needs --install
expect 1 "not installing dataset-fashion-mnist: that needs --install" -- env \
    OPTSWEEP_FETCH_SOURCES=apt-install OPTSWEEP_FASHION_MNIST_DIR="$tmp/none" \
    bash "$script" fashion_mnist "$tmp/f2"

full=""
for d in "$repo/../shared/datasets/mnist" /work/shared/datasets/mnist; do
    [ -f "$d/train-images-idx3-ubyte.gz" ] || [ -f "$d/train-images-idx3-ubyte" ] || continue
    full=$d
    break
done
if [ -n "$full" ]; then
    expect 0 "mnist: ready in" -- env OPTSWEEP_FETCH_SOURCES=local OPTSWEEP_MNIST_DIR="$full" \
        bash "$script" mnist "$tmp/good"
    [ "$(ls -A "$tmp/good" | wc -l)" = 4 ] || fail "expected 4 files: $(ls -A "$tmp/good")"
    expect 0 "already in" -- env OPTSWEEP_FETCH_SOURCES=none bash "$script" mnist "$tmp/good"
else
    echo "test_fetch: no full local MNIST; skipped the install case"
fi

if [ "$fails" -gt 0 ]; then
    echo "test_fetch: $fails check(s) failed" >&2
    exit 1
fi
echo "test_fetch: all checks passed"
