#!/bin/bash
# only.sh — `--only PATTERN` for plan, run and report (issue #15): globs over run ids and case names,
# KEY=VALUE (numbers compared as numbers, case= and id=), several patterns (any matches),
# with --shard; a pattern that matches nothing or names no key: exit 2, nothing written.
# Usage: only.sh OPTSWEEP SOURCE_DIR
set -u
optsweep=$1 src=$2
tmp=$(mktemp -d /tmp/optsweep-only.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
cd "$tmp"
cat >o.yaml <<YAML
name: only
data: {dir: "$src/tests/data/mnist-slice"}
model: {hidden: [16]}
train: {epochs: 1}
optimizer: {name: sgd, lr: 0.1}
grid: {optimizer.lr: [0.1, 0.01]}
cases:
  - {name: plain}
  - {name: mom, optimizer: {momentum: 0.9}}
  - {name: adam, optimizer: {name: adam}}
YAML
ids() { "$optsweep" plan o.yaml --format ids "$@" 2>/dev/null | tr '\n' ' '; }
all=$(ids)
[ "$(wc -w <<<"$all")" = 6 ] || fail "the sweep has $(wc -w <<<"$all") runs, expected 6"
n() { wc -w <<<"$(ids "$@")"; }
[ "$(n --only 'adam-*')" = 2 ] || fail "--only 'adam-*': $(ids --only 'adam-*')"
[ "$(n --only mom)" = 2 ] || fail "--only mom (a case name): $(ids --only mom)"
[ "$(n --only case=plain)" = 2 ] || fail "--only case=plain"
[ "$(n --only optimizer.lr=1e-2)" = 3 ] || fail "--only optimizer.lr=1e-2 (a number): $(ids --only optimizer.lr=1e-2)"
[ "$(n --only optimizer.momentum=0.9 --only 'adam-*')" = 4 ] || fail "two patterns"
[ "$(n --only optimizer.momentum=-)" = 2 ] || fail "--only optimizer.momentum=- (adam has none)"
# shards stay the positions in the whole plan: plain's two runs are at 0 and 1
[ "$(n --only case=plain --shard 1/2)" = 1 ] || fail "--only with --shard: $(ids --only case=plain --shard 1/2)"

"$optsweep" run o.yaml --results r --only case=adam >run.log 2>&1 || fail "run --only: exit $?"
[ "$(ls r/only/runs/*.h5 2>/dev/null | wc -l)" = 2 ] || fail "run --only case=adam trained $(ls r/only/runs | tr '\n' ' ')"
ls r/only/runs | grep -qv '^adam' && fail "run --only trained other runs: $(ls r/only/runs)"

# report --only: a report of part of a sweep, beside the whole one
"$optsweep" run o.yaml --results r --only case=mom >run2.log 2>&1 || fail "run --only case=mom: exit $?"
"$optsweep" report r/only --only 'adam-*' --out part.md --plots-dir partplots --no-plots \
    >rep.log 2>&1 || fail "report --only: exit $?: $(cat rep.log)"
grep -q "from 2 run files\|2 runs" part.md rep.log || fail "report --only: not 2 runs: $(cat rep.log)"
grep -q "adam-" part.md && ! grep -q "m0.9" part.md || fail "report --only kept other runs"
"$optsweep" report r/only --only optimizer.momentum=0.9 --out part2.md --no-plots >/dev/null 2>&1
grep -q "m0.9" part2.md && ! grep -q "adam-" part2.md || fail "report --only optimizer.momentum=0.9"
"$optsweep" report r/only --only case=nope --out part3.md --no-plots >rep3.log 2>&1
rc=$?
[ $rc = 2 ] && [ ! -e part3.md ] || fail "report --only matching nothing: exit $rc"

# plan's time estimate (#15): from the runs stored there, else calibrated here
"$optsweep" plan o.yaml --results r --only case=adam >est.log 2>&1
grep -q "estimated training time: ~[0-9].* (from the runs stored in r/only;" est.log ||
    fail "plan: no estimate from the stored runs: $(tail -3 est.log)"
"$optsweep" plan o.yaml --results nowhere >est2.log 2>&1
grep -q "estimated training time: ~[0-9].* (calibrated here" est2.log ||
    fail "plan: no calibrated estimate: $(tail -3 est2.log)"

"$optsweep" run o.yaml --results none --only 'rmsprop-*' >none.log 2>&1
rc=$?
[ $rc = 2 ] || fail "--only matching nothing: exit $rc"
grep -q "matches none of the 6 runs" none.log || fail "--only matching nothing: $(cat none.log)"
[ -e none ] && fail "--only matching nothing wrote $(find none | head -3)"
"$optsweep" plan o.yaml --only optimizer.lrr=1 >bad.log 2>&1
rc=$?
[ $rc = 2 ] && grep -q "unknown key 'optimizer.lrr'" bad.log || fail "an unknown key: exit $rc: $(cat bad.log)"

echo "$((fails == 0 ? 1 : 0)) passed, $fails failed"
[ $fails = 0 ]
