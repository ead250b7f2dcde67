#!/bin/bash
# search.sh — search.method random | sobol from the command line (issue #13): the order of the
# runs (case x grid point x sample), raising search.samples keeps every earlier run and its id
# (plan, and run: nothing retrained, only the new samples trained), --set of a distribution and
# of search keys, a SLURM array's tasks; plan's JSON and the run files say which keys were
# drawn and how, and report's scatter axes follow it; one element of a pair key drawn (optimizer.betas: [{uniform: [a, b]}, 0.999]).
# Usage: search.sh OPTSWEEP SOURCE_DIR
set -u
optsweep=$1 src=$2
tmp=$(mktemp -d /tmp/optsweep-search.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
cd "$tmp"
cat >s.yaml <<YAML
name: rs
data: {dir: "$src/tests/data/mnist-slice"}
model: {hidden: [16]}
train: {epochs: 1}
search: {method: random, samples: 3, seed: 7}
grid:
  optimizer.lr: {loguniform: [1e-4, 1e-1]}
  train.seed: [0, 1]
cases:
  - {name: sgd, optimizer: {name: sgd}, grid: {optimizer.momentum: {uniform: [0.5, 0.99]}}}
  - {name: adam, optimizer: {name: adam}}
YAML
ids() { "$optsweep" plan s.yaml --format ids "$@" 2>/dev/null; }
ids >ids3 || fail "plan s.yaml: exit $?"
[ "$(wc -l <ids3)" = 12 ] || fail "2 cases x 2 seeds x 3 samples: $(wc -l <ids3) runs"
# order: case, then grid point (train.seed), then sample; a sample's values are the same at
# every grid point and in every case (lr here)
"$optsweep" plan s.yaml --format tsv >plan.tsv 2>/dev/null
lr_col=$(head -1 plan.tsv | tr '\t' '\n' | grep -n '^optimizer.lr$' | cut -d: -f1)
seed_col=$(head -1 plan.tsv | tr '\t' '\n' | grep -n '^train.seed$' | cut -d: -f1)
[ -n "$lr_col" ] && [ -n "$seed_col" ] || fail "plan tsv has no optimizer.lr / train.seed column: $(head -1 plan.tsv)"
lrs=$(tail -n +2 plan.tsv | cut -f"$lr_col" | tr '\n' ' ')
seeds=$(tail -n +2 plan.tsv | cut -f"$seed_col" | tr '\n' ' ')
[ "$seeds" = "0 0 0 1 1 1 0 0 0 1 1 1 " ] || fail "order of grid points and samples: seeds $seeds"
set -- $lrs
[ "$1 $2 $3" = "$4 $5 $6" ] && [ "$1 $2 $3" = "$7 $8 $9" ] && [ "$1" != "$2" ] ||
    fail "sample i's lr is not the same at each grid point and case: $lrs"
head -1 ids3 | grep -q '^sgd-lr[0-9.]*e-0[1-4]-m0\.[0-9]*-' || fail "run ids: $(head -1 ids3)"

# raising samples keeps the first runs of each case and grid point, with their ids
ids --set search.samples=8 >ids8
[ "$(wc -l <ids8)" = 32 ] || fail "samples 8: $(wc -l <ids8) runs"
for block in 0 1 2 3; do
    a=$(sed -n "$((block * 3 + 1)),$((block * 3 + 3))p" ids3)
    b=$(sed -n "$((block * 8 + 1)),$((block * 8 + 3))p" ids8)
    [ "$a" = "$b" ] || fail "samples 3 -> 8 changed block $block: $a / $b"
done
# sobol: a different sequence, the same keeping
ids --set search.method=sobol >sob3
ids --set search.method=sobol --set search.samples=8 >sob8
[ "$(head -3 sob3)" = "$(head -3 sob8)" ] || fail "sobol: samples 3 -> 8 changed the first runs"
[ "$(head -3 sob3)" != "$(head -3 ids3)" ] || fail "sobol gives random's runs"
# another seed, other runs
[ "$(ids --set search.seed=8 | head -3)" != "$(head -3 ids3)" ] || fail "search.seed changes nothing"

# --set a distribution: replaces the file's
ids --set 'optimizer.lr={uniform: [0.01, 0.02]}' >idsu
grep -q -- '-lr1\.[0-9]*e-02-' idsu && ! grep -q -- '-lr[0-9.]*e-0[34]-' idsu ||
    fail "--set optimizer.lr={uniform: [0.01, 0.02]}: $(head -2 idsu)"

# plan's JSON says which keys were drawn
"$optsweep" plan s.yaml --format json >plan.json 2>/dev/null
/usr/bin/python3 - plan.json <<'PY' || fail "plan json: sampled keys"
import json, sys
runs = json.load(open(sys.argv[1]))
assert runs[0]["sampled"] == {"optimizer.lr": "loguniform", "optimizer.momentum": "uniform"}, runs[0]
assert runs[6]["sampled"] == {"optimizer.lr": "loguniform"}, runs[6]
assert [r["sample"] for r in runs[:6]] == [0, 1, 2, 0, 1, 2], runs[:6]
PY

# run: 12 trained; then samples 4 (with --jobs 2): the 12 are kept, only the 4 new ones train;
# --only picks sampled runs by value like grid runs
"$optsweep" run s.yaml --results r >run1.log 2>&1 || fail "run: exit $?: $(tail -3 run1.log)"
[ "$(ls r/rs/runs/*.h5 2>/dev/null | wc -l)" = 12 ] || fail "run trained $(ls r/rs/runs | wc -l) runs"
ls -l --time-style=+%s.%N r/rs/runs/*.h5 | awk '{print $6, $7}' | sort >before
"$optsweep" run s.yaml --results r --set search.samples=4 --jobs 2 >run2.log 2>&1 ||
    fail "run samples 4: exit $?: $(tail -3 run2.log)"
[ "$(ls r/rs/runs/*.h5 | wc -l)" = 16 ] || fail "samples 4: $(ls r/rs/runs | wc -l) run files"
ls -l --time-style=+%s.%N r/rs/runs/*.h5 | awk '{print $6, $7}' | sort >after
[ "$(join -1 2 -2 2 <(sort -k2 before) <(sort -k2 after) | awk '$2 != $3' | wc -l)" = 0 ] ||
    fail "samples 4 rewrote earlier run files"
first_lr=$(head -2 plan.tsv | tail -1 | cut -f"$lr_col")
[ "$(ids --only "optimizer.lr=$first_lr" | wc -l)" = 4 ] ||
    fail "--only optimizer.lr=$first_lr: $(ids --only "optimizer.lr=$first_lr" | wc -l) runs, expected 4"
# the run files say which keys were drawn (h5dump, not our reader)
command -v h5dump >/dev/null || fail "h5dump not found (apt-get install hdf5-tools)"
for f in r/rs/runs/*.h5; do
    want='"optimizer.lr=loguniform"'
    case $(basename "$f") in sgd-*) want='"optimizer.lr=loguniform, optimizer.momentum=uniform"' ;; esac
    h5dump -a /sampled "$f" | grep -qF "(0): $want" || fail "$f: sampled is not $want: $(h5dump -a /sampled "$f" | grep '(0)')"
    h5dump -a /sample "$f" | grep -q '(0): [0-3]$' || fail "$f: sample: $(h5dump -a /sample "$f" | grep '(0)')"
done

# the report draws test accuracy against each drawn key, one point per run, whatever the
# number of samples: lr (log-uniform) on a log axis, momentum (uniform) on a linear one
"$optsweep" report r/rs >report.log 2>&1 || fail "report: exit $?: $(tail -3 report.log)"
grep -q '^set logscale x' plots/rs/test_acc_vs_lr.gp 2>/dev/null ||
    fail "report: no log-axis scatter of a log-uniform lr: $(ls plots/rs 2>&1 | grep vs_)"
[ -f plots/rs/test_acc_vs_momentum.gp ] && ! grep -q logscale plots/rs/test_acc_vs_momentum.gp ||
    fail "report: no linear scatter of a uniform momentum"

# one element of a pair key drawn: plan shows the pair, JSON and the run file name the element
{ sed -n '1s/rs/pr/p; 2,4p' s.yaml; cat <<YAML
optimizer: {name: adam, lr: 0.001}
search: {method: sobol, samples: 2, seed: 3}
grid:
  optimizer.betas: [{uniform: [0.5, 0.99]}, 0.999]
YAML
} >pair.yaml
"$optsweep" plan pair.yaml --format json >pair.json 2>/dev/null || fail "plan pair.yaml: exit $?"
/usr/bin/python3 - pair.json <<'PY' || fail "plan json of a drawn pair element"
import json, sys
runs = json.load(open(sys.argv[1]))
assert len(runs) == 2, runs
for r in runs:
    assert r["sampled"] == {"optimizer.betas[0]": "uniform"}, r
    b1, b2 = r["settings"]["optimizer.betas"]
    assert 0.5 <= b1 < 0.99 and b2 == 0.999, r["settings"]
assert runs[0]["settings"]["optimizer.betas"] != runs[1]["settings"]["optimizer.betas"], runs
PY
"$optsweep" run pair.yaml --results rp >pair.log 2>&1 || fail "run pair.yaml: exit $?: $(tail -3 pair.log)"
[ "$(ls rp/pr/runs/*.h5 2>/dev/null | wc -l)" = 2 ] || fail "run pair.yaml: $(ls rp/pr/runs | wc -l) runs"
for f in rp/pr/runs/*.h5; do
    h5dump -a /sampled "$f" | grep -qF '(0): "optimizer.betas[0]=uniform"' ||
        fail "$f: sampled: $(h5dump -a /sampled "$f" | grep '(0)')"
done
# --set gives it too, on the other element
"$optsweep" plan pair.yaml --format tsv --set 'optimizer.betas=[0.9, {uniform: [0.99, 0.999]}]' \
    >pair.tsv 2>/dev/null || fail "--set optimizer.betas=[0.9, {uniform: ...}]: exit $?"
tail -n +2 pair.tsv | grep -q '\[0\.9, 0\.99[0-9]*\]' || fail "--set pair element: $(cat pair.tsv)"

# a SLURM job array (its tasks run here, as sbatch would, one after the other) trains the same
# runs as plan lists, each once
"$optsweep" slurm s.yaml --tasks 3 --results r3 --set search.samples=2 >slurm.log 2>&1 ||
    fail "slurm: exit $?: $(tail -3 slurm.log)"
for task in 0 1 2; do
    SLURM_ARRAY_TASK_ID=$task bash r3/rs/slurm/array.sbatch >"task$task.log" 2>&1 ||
        fail "array task $task: exit $?: $(tail -3 "task$task.log")"
done
diff <(ids --set search.samples=2 | sort) <(ls r3/rs/runs | sed 's/\.h5$//' | sort) >/dev/null ||
    fail "the array's runs are not plan's: $(ls r3/rs/runs | tr '\n' ' ')"
[ $fails = 0 ] && echo "ok: search"
exit $((fails > 0))
