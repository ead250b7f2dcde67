#!/usr/bin/env bash
# test_slurm_halving.sh — search.halving under `optsweep slurm` on a real single-node SLURM
# (slurm_local.sh): a 2-rung halving (4 runs of 2 epochs, eta 2 from 1 epoch) as 2-task
# arrays, one per rung, the second after the first (afterany), the report job after the
# last.  Checks: the first array ran with --until-rung 1 and stopped every run at epoch 1;
# 2 runs end `pruned`, 2 complete, bit-identical to the same runs trained straight through
# without halving; summary.md has the rung table; submitting again trains nothing.
# Usage: test_slurm_halving.sh OPTSWEEP_BINARY SOURCE_DIR.  Exit 77 (skipped) without SLURM
# and root.  Daemons are stopped by PID on every exit (trap).
set -u
bin=$(readlink -f "$1")
src=$(readlink -f "$2")
command -v h5dump >/dev/null || { echo "skipped: h5dump (hdf5-tools) is missing"; exit 77; }
name=slurm-halving
. "$src/tests/slurm/e2e_common.sh"

status_of() { h5dump -a /status "$1" 2>/dev/null | sed -n 's/^ *(0): *"\(.*\)"/\1/p'; }
results_of() { h5dump -m '%.17g' -d /train_loss -d /val_loss -d /val_acc -g /model "$1" | sed 1d; }

common="data: {dataset: mnist, dir: $src/tests/data/mnist-slice, val_from_test: 0.5}
model: {hidden: [16]}
train: {epochs: 2, batch_size: 100, seed: 1, checkpoint_every: 1, backend: cpu}
optimizer: {name: sgd, lr: 0.1}
grid:
  optimizer.lr: [0.02, 0.05, 0.1, 0.2]"
printf 'name: hv-slurm\n%s\nsearch: {halving: {min_epochs: 1, eta: 2}}\n' "$common" >"$work/sweep.yaml"
printf 'name: hv-slurm\n%s\n' "$common" >"$work/straight.yaml"
OPENBLAS_NUM_THREADS=1 "$bin" run "$work/straight.yaml" --results "$work/ref" >"$work/ref.log" 2>&1 ||
    fail "the straight-through reference failed"

submit() { # LOGNAME: sets first, last (the rungs' arrays) and report
    (cd "$work" && "$bin" slurm sweep.yaml --tasks 2 --results "$work/results" --submit) \
        >"$work/$1.log" 2>&1 || fail "optsweep slurm --submit failed ($1.log)"
    grep -c "^submitted array job [0-9]* for rung" "$work/$1.log" | grep -qx 2 ||
        fail "not one array per rung: $(cat "$work/$1.log")"
    first=$(sed -n 's/^submitted array job \([0-9]*\) for rung 1 of 2$/\1/p' "$work/$1.log")
    last=$(sed -n 's/^submitted array job \([0-9]*\) for rung 2 of 2, after \([0-9]*\)$/\1/p' "$work/$1.log")
    report=$(sed -n 's/^submitted report job \([0-9]*\):.*/\1/p' "$work/$1.log")
    [ -n "$first" ] && [ -n "$last" ] && [ -n "$report" ] || fail "no job ids in $1.log"
    grep -q "for rung 2 of 2, after $first$" "$work/$1.log" || fail "rung 2 does not wait for rung 1"
}
submit submit1
wait_finished 120 "$report"
runs=$work/results/hv-slurm/runs
logs=$work/results/hv-slurm/slurm/logs
grep -q -- "--until-rung 1" "$logs/${first}_0.out" || fail "the rung 1 array did not run --until-rung 1"
grep -q -- "--until-rung" "$logs/${last}_0.out" && fail "the last array stopped at a rung"
grep -qE "epoch 2/2" "$logs/${first}_0.out" "$logs/${first}_1.out" &&
    fail "the rung 1 array trained past epoch 1"
n_pruned=0 n_done=0
for f in "$runs"/*.h5; do
    case $f in *.ckpt.h5) continue ;; esac
    case $(status_of "$f") in
        pruned) n_pruned=$((n_pruned + 1)) ;;
        completed)
            n_done=$((n_done + 1))
            cmp -s <(results_of "$f") <(results_of "$work/ref/hv-slurm/runs/${f##*/}") ||
                fail "promoted run ${f##*/} differs from the run trained straight through" ;;
        *) fail "${f##*/}: status $(status_of "$f")" ;;
    esac
done
[ "$n_pruned" = 2 ] && [ "$n_done" = 2 ] || fail "$n_pruned pruned, $n_done completed (want 2, 2)"
summary=$work/results/hv-slurm/summary.md
grep -q "^## Successive halving" "$summary" || fail "summary.md has no rung table"
grep -q "^| 1 | 1 | 1 | 4 | 4 | 2 |" "$summary" || fail "summary.md: rung 1 row: $(grep '^| 1 |' "$summary")"

# again: everything is there, nothing trains.  Meanwhile the results folder has been tampered
# with (it may come from another machine): the sweep's copy and jobs.tsv are links to files
# elsewhere; the copy is written anew (the tasks never read through the link) and jobs.tsv is
# not appended to through it (a warning)
slurm=$work/results/hv-slurm/slurm
copy=$(ls "$slurm"/sweep-*.yaml)
printf 'name: hv-slurm\nplanted: 1\n' >"$work/planted.yaml"
printf 'kept\n' >"$work/outside.txt"
ln -sf "$work/planted.yaml" "$copy"
ln -sf "$work/outside.txt" "$slurm/jobs.tsv"
before=$(ls -l --time-style=+%s.%N "$runs"/*.h5 | md5sum)
submit submit2
[ ! -L "$copy" ] && cmp -s "$copy" "$work/sweep.yaml" ||
    fail "the planted link in place of the sweep's copy was kept: $(ls -l "$copy")"
[ "$(cat "$work/planted.yaml")" = "$(printf 'name: hv-slurm\nplanted: 1')" ] ||
    fail "the planted link's target was written"
[ "$(cat "$work/outside.txt")" = kept ] || fail "jobs.tsv was appended through a planted link"
grep -q "cannot append to .*jobs.tsv: not a regular file" "$work/submit2.log" ||
    fail "no warning about the planted jobs.tsv: $(cat "$work/submit2.log")"
wait_finished 120 "$report"
[ "$(ls -l --time-style=+%s.%N "$runs"/*.h5 | md5sum)" = "$before" ] ||
    fail "submitting again changed run files"
grep -h "train_loss" "$logs/${first}"_*.out "$logs/${last}"_*.out && fail "submitting again trained"
echo "PASS: 2-rung halving as 2 arrays (afterany) and a report job; promoted runs bit-identical"
