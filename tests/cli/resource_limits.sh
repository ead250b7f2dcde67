#!/bin/bash
# resource_limits.sh — issue #11 class 6: resource limits are errors, not aborts.  `plan`
# shows each run's memory estimate and flags runs larger than the machine; `run` records
# such a run as failed (with why) without allocating it, trains the others and leaves no
# lock; a sweep or --max-runs past what a plan can hold is refused with exit 2 and no
# --max-runs hint that would fail in turn.
# Usage: resource_limits.sh OPTSWEEP SOURCE_DIR
set -u
optsweep=$1 src=$2
tmp=$(mktemp -d /tmp/optsweep-limits.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
cat >"$tmp/huge.yaml" <<YAML
name: huge
data:  {dir: $src/tests/data/mnist-slice, val_from_test: 0.2}
train: {epochs: 1, backend: cpu}
optimizer: {name: sgd, lr: 0.1}
grid:
  model.hidden: [[1048576, 1048576], [16]]
YAML

"$optsweep" plan "$tmp/huge.yaml" >"$tmp/1.log" 2>&1 || fail "plan: exit $?: $(cat "$tmp/1.log")"
grep -Eq "^ *#.*cost +memory( +~time)?$" "$tmp/1.log" || fail "plan has no memory column: $(cat "$tmp/1.log")"
grep -Eq "\[1048576, 1048576\] .* TiB( +\?)?$" "$tmp/1.log" || fail "plan: the huge run's estimate: $(cat "$tmp/1.log")"
grep -q "1 run needs more memory than this machine" "$tmp/1.log" || fail "plan: no warning: $(cat "$tmp/1.log")"
"$optsweep" plan "$tmp/huge.yaml" --format json | grep -q '"memory_bytes": ' || fail "plan json: no memory_bytes"

"$optsweep" run "$tmp/huge.yaml" --results "$tmp/r" >"$tmp/2.log" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "run: exit $rc, expected 1 (a run failed): $(tail -5 "$tmp/2.log")"
runs=$tmp/r/huge/runs
n=$(ls "$runs"/*.h5 2>/dev/null | wc -l)
[ "$n" -eq 2 ] || fail "run: expected 2 run files, got $n: $(ls "$runs")"
grep -q "1 trained (0 diverged), 1 failed" "$tmp/2.log" || fail "run: summary: $(tail -2 "$tmp/2.log")"
ls "$runs"/*.lock >/dev/null 2>&1 && fail "run: a lock was left behind"
"$optsweep" status "$tmp/r/huge" >"$tmp/3.log" 2>&1
grep -q "needs about .* TiB of memory" "$tmp/3.log" || fail "status does not say why the run failed: $(cat "$tmp/3.log")"

# a plan past what can be held: refused up front, with no hint to pass a bigger --max-runs
printf 'name: many\noptimizer: {name: sgd, lr: 0.1}\n' >"$tmp/many.yaml"
"$optsweep" plan "$tmp/many.yaml" --set 'optimizer.lr={logspace: [1e-5, 1e-1, 100000]}' \
    --set 'train.seed=[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]' >"$tmp/4.log" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "1200000 runs: more than optsweep plans at once (at most 1000000" "$tmp/4.log" \
    || fail "1.2 million runs: exit $rc: $(cat "$tmp/4.log")"
grep -q "pass --max-runs" "$tmp/4.log" && fail "1.2 million runs: a --max-runs hint past the cap"
"$optsweep" plan "$tmp/many.yaml" --max-runs 100000000 >"$tmp/5.log" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "at most 1000000" "$tmp/5.log" || fail "--max-runs 100000000: exit $rc: $(cat "$tmp/5.log")"

if [ $fails -eq 0 ]; then echo "resource_limits ok"; exit 0; fi
echo "$fails failure(s)"
exit 1
