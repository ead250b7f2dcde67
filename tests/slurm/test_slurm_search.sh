#!/usr/bin/env bash
# test_slurm_search.sh — search.method random under `optsweep slurm` on a real single-node
# SLURM (slurm_local.sh): a random search (2 cases x 2 samples) as a 2-task array trains the
# runs `plan` lists, each once; the same array submitted with --set search.samples=3 trains
# only the 2 new samples and leaves the 4 run files it has untouched.
# Usage: test_slurm_search.sh OPTSWEEP_BINARY SOURCE_DIR.  Exit 77 (skipped) without SLURM and
# root.  Daemons are stopped by PID on every exit (trap).
set -u
bin=$(readlink -f "$1")
src=$(readlink -f "$2")
name=slurm-search
. "$src/tests/slurm/e2e_common.sh"

cat >"$work/sweep.yaml" <<YAML
name: rs-slurm
data: {dir: $src/tests/data/mnist-slice}
model: {hidden: [16]}
train: {epochs: 1, batch_size: 100, backend: cpu}
search: {method: random, samples: 2, seed: 4}
grid: {optimizer.lr: {loguniform: [1e-3, 1e-1]}}
cases:
  - {name: sgd, optimizer: {name: sgd}}
  - {name: adam, optimizer: {name: adam}}
YAML
runs=$work/results/rs-slurm/runs
# submit_and_wait LOGNAME [--set ...]: the array and its report job, until the report has ended
submit_and_wait() {
    local name=$1 report
    shift
    (cd "$work" && "$bin" slurm sweep.yaml --tasks 2 --results "$work/results" "$@" --submit) \
        >"$work/$name.log" 2>&1 || fail "optsweep slurm --submit failed ($name.log)"
    report=$(sed -n 's/^submitted report job \([0-9]*\):.*/\1/p' "$work/$name.log")
    [ -n "$report" ] || fail "no report job id in $name.log"
    wait_finished 120 "$report"
}
# the runs, as plan lists them, against the run files
same_runs() {
    cmp -s <("$bin" plan "$work/sweep.yaml" --format ids "$@" 2>/dev/null | sort) \
        <(ls "$runs" | grep -v '\.ckpt\.h5$' | sed 's/\.h5$//' | sort)
}

submit_and_wait submit1
same_runs || fail "the array's run files are not plan's runs: $(ls "$runs" | tr '\n' ' ')"
[ "$(ls "$runs" | wc -l)" = 4 ] || fail "4 runs expected: $(ls "$runs" | tr '\n' ' ')"
before=$(ls -l --time-style=+%s.%N "$runs"/*.h5)

submit_and_wait submit2 --set search.samples=3
same_runs --set search.samples=3 || fail "samples 3: run files are not plan's: $(ls "$runs" | tr '\n' ' ')"
[ "$(ls "$runs" | wc -l)" = 6 ] || fail "6 runs expected: $(ls "$runs" | tr '\n' ' ')"
while read -r line; do
    grep -qxF -- "$line" <(ls -l --time-style=+%s.%N "$runs"/*.h5) ||
        fail "a run file of samples 2 changed: $line"
done <<<"$before"
echo "PASS: random search as a SLURM array; samples 2 -> 3 trained the 2 new runs, kept the 4 others"
