#!/bin/bash
# never_hang.sh — issue #11 class 4 through `optsweep run`: a FIFO (or any non-regular file)
# as an IDX file or as model.init is refused up front with the file named (exit 2, nothing
# written) instead of blocking in open(); a second SIGTERM, a moment after the first, ends
# the process at once (no waiting for the epoch), its lock released.  ctest's TIMEOUT is
# the bound: a hang fails the test.
# Usage: never_hang.sh OPTSWEEP SOURCE_DIR
set -u
optsweep=$1 src=$2
slice=$src/tests/data/mnist-slice
tmp=$(mktemp -d /tmp/optsweep-hang.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
cat >"$tmp/sweep.yaml" <<'YAML'
name: hang
data:  {dataset: mnist, val_from_test: 0.2}
model: {hidden: [32]}
train: {epochs: 1, batch_size: 64, backend: cpu}
optimizer: {name: sgd, lr: 0.1}
YAML

# ---- a FIFO as an IDX file ----------------------------------------------------------------
mkdir "$tmp/data"
cp "$slice"/* "$tmp/data/"
rm "$tmp/data/train-images-idx3-ubyte.gz"
mkfifo "$tmp/data/train-images-idx3-ubyte"
"$optsweep" run "$tmp/sweep.yaml" --set "data.dir=$tmp/data" --results "$tmp/r1" >"$tmp/1.log" 2>&1
rc=$?
[ $rc -eq 2 ] || fail "FIFO as an IDX file: exit $rc, expected 2: $(cat "$tmp/1.log")"
grep -q "train-images-idx3-ubyte: not a regular file" "$tmp/1.log" \
    || fail "FIFO as an IDX file: message: $(cat "$tmp/1.log")"
[ -e "$tmp/r1" ] && fail "FIFO as an IDX file: results were written"

# ---- a FIFO as model.init -----------------------------------------------------------------
mkfifo "$tmp/init.h5"
"$optsweep" run "$tmp/sweep.yaml" --set "data.dir=$slice" --set "model.init=$tmp/init.h5" \
    --results "$tmp/r2" >"$tmp/2.log" 2>&1
rc=$?
[ $rc -eq 2 ] || fail "FIFO as model.init: exit $rc, expected 2: $(cat "$tmp/2.log")"
grep -q "init.h5: not a regular file" "$tmp/2.log" || fail "FIFO as model.init: message: $(cat "$tmp/2.log")"
[ -e "$tmp/r2" ] && fail "FIFO as model.init: results were written"

# ---- a FIFO as the sweep file itself ------------------------------------------------------------
mkfifo "$tmp/fifo.yaml"
"$optsweep" run "$tmp/fifo.yaml" --results "$tmp/r4" >"$tmp/4.log" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "fifo.yaml: not a regular file" "$tmp/4.log" ||
    fail "FIFO as the sweep file: exit $rc: $(cat "$tmp/4.log")"
[ -e "$tmp/r4" ] && fail "FIFO as the sweep file: results were written"

# ---- a second SIGTERM quits at once ----------------------------------------------------------
# wide layers: one epoch takes many seconds, so a run that waited for the epoch to end would
# write a checkpoint and print its "stopped" line; one that quits at once does neither
"$optsweep" run "$tmp/sweep.yaml" --set "data.dir=$slice" --set 'model.hidden=[4096, 4096]' \
    --set train.epochs=50 --results "$tmp/r3" >"$tmp/3.log" 2>&1 &
pid=$!
lock=$tmp/r3/hang/runs
for i in $(seq 1 3000); do ls "$lock"/*.lock >/dev/null 2>&1 && break; sleep 0.01; done
sleep 0.3
kill -TERM $pid
sleep 1.5   # later than a duplicate of the same stop (scancel -f) would come
kill -TERM $pid
wait $pid
rc=$?
[ $rc -eq 143 ] || fail "second SIGTERM: exit $rc, expected 143: $(cat "$tmp/3.log")"
grep -q "second signal: quitting at once" "$tmp/3.log" || fail "second SIGTERM: message: $(cat "$tmp/3.log")"
ls "$lock"/*.lock >/dev/null 2>&1 && fail "second SIGTERM: the lock is still there: $(ls "$lock")"
ls "$lock"/*.ckpt.h5 >/dev/null 2>&1 && fail "second SIGTERM: it waited for the epoch (checkpoint written)"

if [ $fails -eq 0 ]; then echo "never_hang ok"; exit 0; fi
echo "$fails failure(s)"
exit 1
