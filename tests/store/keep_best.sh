#!/bin/bash
# keep_best.sh — train.keep_best (#15): every run file of tests/store/sweep.yaml (3 runs
# trained as one pack) holds /model_best, of epoch best_epoch, with the very bits a run of
# the same settings stopped after best_epoch epochs ends with; without the setting there
# is no /model_best; and a sweep killed anywhere and resumed ends with the same /model_best
# as an uninterrupted one (resume.sh, whose --compare covers it).
# Usage: keep_best.sh OPTSWEEP TEST_STORE SOURCE_DIR
set -u
optsweep=$1 test_store=$2 src=$3
tmp=$(mktemp -d /tmp/optsweep-keep-best.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# a higher base lr, so that validation accuracy peaks before the last epoch
run=("$optsweep" run "$src/tests/store/sweep.yaml" --set "data.dir=$src/tests/data/mnist-slice"
     --set schedule.base_lr=0.05)
epochs=6

"${run[@]}" --results "$tmp/plain" >"$tmp/plain.log" 2>&1 || fail "plain sweep: $(tail -3 "$tmp/plain.log")"
"${run[@]}" --set train.keep_best=true --results "$tmp/best" >"$tmp/best.log" 2>&1 \
    || fail "keep_best sweep: $(tail -3 "$tmp/best.log")"
for f in "$tmp"/plain/store-e2e/runs/*.h5; do
    read -r _ _ kept < <("$test_store" --best-epoch "$f")
    [ "$kept" = -2 ] || fail "$f: /model_best without train.keep_best"
done
early=0
n=0
for f in "$tmp"/best/store-e2e/runs/*.h5; do
    n=$((n + 1))
    read -r index best kept < <("$test_store" --best-epoch "$f")
    [ "$best" -ge 1 ] && [ "$kept" = "$best" ] \
        || { fail "$f: best_epoch $best, /model_best of epoch $kept"; continue; }
    [ "$best" -lt $epochs ] && early=$((early + 1))
    # the same run, trained for best_epoch epochs (epoch e: after e epochs)
    short=$tmp/short$best
    [ -d "$short" ] || "${run[@]}" --set train.epochs=$best --results "$short" \
        >"$short.log" 2>&1 || fail "sweep of $best epochs: $(tail -3 "$short.log")"
    twin=
    for g in "$short"/store-e2e/runs/*.h5; do
        read -r i _ _ < <("$test_store" --best-epoch "$g")
        [ "$i" = "$index" ] && twin=$g
    done
    [ -n "$twin" ] && "$test_store" --same-weights "$f" model_best "$twin" model \
        || fail "$f: /model_best is not the weights after epoch $best"
done
[ "$n" -eq 3 ] || fail "expected 3 run files, got $n"
# a best epoch before the last, or /model_best == /model would pass the check above
[ "$early" -ge 1 ] || fail "no run had its best validation before the last epoch"

OPTSWEEP_RESUME_TRIALS=${OPTSWEEP_RESUME_TRIALS:-2} bash "$src/tests/store/resume.sh" \
    "${run[@]}" --set train.keep_best=true --results {} -- "$test_store" \
    || fail "resume with train.keep_best"

if [ $fails -eq 0 ]; then echo "keep_best ok"; exit 0; fi
echo "$fails failure(s)"
exit 1
