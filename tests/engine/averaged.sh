#!/bin/bash
# averaged.sh — ASGD's averaged weights end to end: `optsweep run` of asgd with
# optimizer.evaluate_averaged false and true (the average starts after step 5 of 18).  Both run
# files hold /averaged beside /model (h5dump, not our reader); training is the same, so /model
# and /averaged agree between the two files, /averaged differs from /model, and the test loss
# differs: the second run was tested with the averaged weights.
# Usage: averaged.sh OPTSWEEP MNIST_SLICE_DIR
set -u
bin=$1
slice=$2
command -v h5dump >/dev/null || { echo "h5dump not found (apt-get install hdf5-tools)"; exit 1; }
dir=$(mktemp -d /tmp/optsweep-averaged.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cat >"$dir/sweep.yaml" <<YAML
name: asgd-averaged
data: {dir: "$slice", train_limit: 400, val_from_train: 100}
model: {hidden: [16]}
train: {epochs: 3, batch_size: 50, backend: cpu}
optimizer: {name: asgd, lr: 0.1, t0: 5}
grid: {optimizer.evaluate_averaged: [false, true]}
YAML
"$bin" run "$dir/sweep.yaml" --results "$dir/results" >"$dir/out" 2>&1 || { cat "$dir/out"; echo "FAIL: optsweep run"; exit 1; }
plain=$(ls "$dir"/results/asgd-averaged/runs/*.h5 | grep -v -- '-avg-')
avg=$(ls "$dir"/results/asgd-averaged/runs/*-avg-*.h5)
[ -f "$plain" ] && [ -f "$avg" ] || { echo "FAIL: expected two run files"; ls -R "$dir/results"; exit 1; }
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
data() { h5dump -d "$2" "$1" 2>/dev/null | sed -n '/DATA {/,/}/p' | grep -v 'DATA {\|}'; }
attr() { h5dump -a "$2" "$1" | awk '/\(0\)/ { print $2; exit }'; }
for layer in layer1/weight layer1/bias layer2/weight layer2/bias; do
    for f in "$plain" "$avg"; do
        [ -n "$(data "$f" /averaged/$layer)" ] || fail "$(basename "$f"): no /averaged/$layer"
    done
    [ "$(data "$plain" /model/$layer)" = "$(data "$avg" /model/$layer)" ] ||
        fail "/model/$layer differs between the runs (evaluation must not change training)"
    [ "$(data "$plain" /averaged/$layer)" = "$(data "$avg" /averaged/$layer)" ] ||
        fail "/averaged/$layer differs between the runs"
    [ "$(data "$plain" /model/$layer)" != "$(data "$plain" /averaged/$layer)" ] ||
        fail "/averaged/$layer equals /model/$layer: no averaging happened"
done
t_plain=$(attr "$plain" test_loss)
t_avg=$(attr "$avg" test_loss)
[ -n "$t_plain" ] && [ "$t_plain" != "$t_avg" ] ||
    fail "test_loss $t_plain (trained weights) vs $t_avg (averaged): should differ"
echo "test_loss: trained weights $t_plain, averaged weights $t_avg"
[ $fails -eq 0 ] && echo "ok" || exit 1
