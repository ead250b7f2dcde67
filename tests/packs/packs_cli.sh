#!/usr/bin/env bash
# packs_cli.sh — packs through the optsweep binary on the MNIST slice: a sweep of 8 runs as
# different as a pack allows (every optimizer, schedules, two seeds, other epoch counts,
# early stopping, a diverging run) gives the same files, bit for bit, trained alone
# (train.pack: off), as one pack (auto), in packs of 3, by --jobs 2 (a pack of 4 per worker,
# against a serial sweep on the workers' thread count) and by two shards; plan and run show
# the packs.
# usage: packs_cli.sh OPTSWEEP TEST_STORE DATA_DIR
set -u
optsweep=$(realpath "$1") compare=$(realpath "$2") data=$(realpath "$3")
tmp=$(mktemp -d /tmp/optsweep-packs.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

cat >p.yaml <<YAML
name: p
data: {dir: "$data", val_from_test: 0.5}
train: {epochs: 4, batch_size: 100}
cases:
  - {name: sgd, optimizer: {name: sgd, lr: 0.1}}
  - {name: nesterov, optimizer: {name: sgd, lr: 0.05, momentum: 0.9, nesterov: true},
     schedule: {name: step, step_size: 2, gamma: 0.5}}
  - {name: adagrad, optimizer: {name: adagrad, lr: 0.01}, train: {epochs: 3}}
  - {name: rmsprop, optimizer: {name: rmsprop, lr: 0.001, centered: true}, train: {seed: 5}}
  - {name: adam, optimizer: {name: adam, lr: 0.001, amsgrad: true}, train: {seed: 5, epochs: 6},
     schedule: {name: cosine, T_max: 6, warmup: {total_iters: 2}}}
  - {name: adamw, optimizer: {name: adamw, lr: 0.001},
     train: {early_stopping: {patience: 1, delta: 10}}}
  - {name: diverge, optimizer: {name: sgd, lr: 1e6}}
  - {name: slow, optimizer: {name: sgd, lr: 0.01, momentum: 0.5}, train: {seed: 5}}
YAML

"$optsweep" plan p.yaml >plan.txt || fail "plan exited $?"
grep -q "^packs: 1 " plan.txt || { cat plan.txt; fail "plan: not one pack"; }
"$optsweep" plan p.yaml --set train.pack=3 >plan3.txt || fail "plan 3 exited $?"
grep -q "^packs: 3 " plan3.txt || { cat plan3.txt; fail "plan: packs of 3"; }
"$optsweep" plan p.yaml --set train.pack=off >plan1.txt
! grep -q "^packs:" plan1.txt || fail "plan: packs shown for train.pack off"

"$optsweep" run p.yaml --results off --set train.pack=off >off.log 2>&1 || { cat off.log; fail "alone: exit $?"; }
ids=$(cd off/p/runs && ls *.h5 | sed 's/\.h5$//')
[ "$(wc -w <<<"$ids")" = 8 ] || fail "alone: $(wc -w <<<"$ids") run files"
grep -q "diverged" off.log && grep -q "stopped_early" off.log || { cat off.log; fail "alone: the divergence or the early stop did not happen"; }

same_as_alone() { # label results_dir [reference_dir]
    local id ref=${3:-off}
    for id in $ids; do
        [ -f "$2/p/runs/$id.h5" ] || { fail "$1: $id.h5 missing"; continue; }
        "$compare" --compare "$ref/p/runs/$id.h5" "$2/p/runs/$id.h5" || fail "$1: $id differs from the run trained alone"
    done
    local left
    left=$(find "$2" -name '*.lock' -o -name '*.ckpt.h5' -o -name '*.part')
    [ -z "$left" ] || fail "$1: left behind: $left"
}

"$optsweep" run p.yaml --results auto >auto.log 2>&1 || { cat auto.log; fail "one pack: exit $?"; }
grep -q "pack of 8 runs (1-8 of 8): trained together" auto.log || { cat auto.log; fail "run: no pack line"; }
grep -Eq "packs +1 pack of up to 8 runs" auto.log || fail "run: the header does not show the pack"
same_as_alone "one pack" auto

"$optsweep" run p.yaml --results three --set train.pack=3 >three.log 2>&1 || fail "packs of 3: exit $?"
[ "$(grep -c 'pack of [0-9]* runs' three.log)" = 3 ] || { cat three.log; fail "packs of 3: not 3 packs"; }
same_as_alone "packs of 3" three

# a --jobs 2 worker trains on max(1, cores / 2) threads, and a run's last bits depend on its
# thread count (docs/FORMAT.md): its reference is a serial sweep on as many threads
threads=$(( $(nproc) / 2 > 0 ? $(nproc) / 2 : 1 ))
OPENBLAS_NUM_THREADS=$threads "$optsweep" run p.yaml --results off_t --set train.pack=off \
    >off_t.log 2>&1 || fail "alone on $threads threads: exit $?"
"$optsweep" run p.yaml --results jobs --jobs 2 >jobs.log 2>&1 || fail "--jobs 2: exit $?"
[ "$(grep -c 'pack of [0-9]* runs' jobs.log)" -ge 2 ] || { cat jobs.log; fail "--jobs 2: fewer than 2 packs"; }
same_as_alone "--jobs 2" jobs off_t

# two processes over the whole plan (SLURM array tasks do this): --shared-by 2 halves the packs
# so that both get runs to claim; every run once, the bits of a run alone
"$optsweep" run p.yaml --results shared --shared-by 2 >sh0.log 2>&1 &
pid=$!
"$optsweep" run p.yaml --results shared --shared-by 2 >sh1.log 2>&1 || fail "--shared-by 2: exit $?"
wait $pid || fail "--shared-by 2 (first process): exit $?"
# (as --jobs 2: half of what is left each time, 4 + 2 + 1 + 1; without it, one pack of 8)
grep -Eq "packs +4 packs of up to 4 runs" sh0.log || { cat sh0.log; fail "--shared-by 2: not 4 packs of up to 4"; }
[ "$(cat sh0.log sh1.log | grep -cE ': (completed|stopped_early|diverged)')" -eq 8 ] ||
    fail "--shared-by 2: not 8 runs ended once"
same_as_alone "--shared-by 2" shared

"$optsweep" run p.yaml --results shard --shard 0/2 >s0.log 2>&1 || fail "--shard 0/2: exit $?"
"$optsweep" run p.yaml --results shard --shard 1/2 >s1.log 2>&1 || fail "--shard 1/2: exit $?"
same_as_alone "two shards" shard

echo "$((fails == 0 ? 1 : 0)) passed, $fails failed"
[ $fails = 0 ]
