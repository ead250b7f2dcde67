#!/bin/bash
# smaller_items.sh — issue #11 class 9, one check each: an integer past 2^31-1 is told the
# real bound; a UTF-8 byte order mark is accepted; a file name too long to name the sweep is
# refused (not cut); `status` on a folder that is no sweep's exits 2 and counts run files
# outside plan.json apart; the command list has no ",,"; `report` removes the figures of
# runs that are gone.
# Usage: smaller_items.sh OPTSWEEP SOURCE_DIR
set -u
optsweep=$1 src=$2
tmp=$(mktemp -d /tmp/optsweep-small.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
cd "$tmp"
printf 'name: small\noptimizer: {name: sgd, lr: 0.1}\n' >base.yaml

"$optsweep" plan base.yaml --set train.epochs=2147483648 >1.log 2>&1
grep -q "train.epochs must be at most 2147483647, found 2147483648" 1.log || fail "int bound: $(cat 1.log)"

printf '\xef\xbb\xbfname: bom\noptimizer: {name: sgd, lr: 0.1}\n' >bom.yaml
"$optsweep" plan bom.yaml >2.log 2>&1 || fail "a BOM is refused: $(cat 2.log)"

long=$(printf 'n%.0s' $(seq 1 130))
printf 'optimizer: {name: sgd, lr: 0.1}\n' >"$long.yaml"
"$optsweep" plan "$long.yaml" >3.log 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "longer than 127 characters" 3.log || fail "long file name: exit $rc: $(cat 3.log)"

mkdir notasweep
"$optsweep" status notasweep >4.log 2>&1
[ $? -eq 2 ] && grep -q "not a sweep's results folder" 4.log || fail "status on a plain folder: $(cat 4.log)"

"$optsweep" bogus >5.log 2>&1
grep -q ",," 5.log && fail "the command list has ',,': $(cat 5.log)"

# two runs, reported; one is removed and the report redone: its figures go too
cat >sweep.yaml <<YAML
name: small
data:  {dir: $src/tests/data/mnist-slice, val_from_test: 0.2}
model: {hidden: [16]}
train: {epochs: 1, backend: cpu}
optimizer: {name: sgd, lr: 0.1}
grid:
  optimizer.lr: [0.1, 0.2]
YAML
"$optsweep" run sweep.yaml --quiet >6.log 2>&1 || fail "run: $(tail -3 6.log)"
if command -v gnuplot >/dev/null; then
    "$optsweep" report results/small >7.log 2>&1 || fail "report: $(cat 7.log)"
    gone=$(ls results/small/runs/*.h5 | head -1)
    id=$(basename "$gone" .h5)
    ls plots/small/loss_"$id".png >/dev/null 2>&1 || fail "no figure for $id: $(ls plots/small)"
    rm "$gone"
    "$optsweep" report results/small >8.log 2>&1 || fail "report again: $(cat 8.log)"
    ls plots/small/loss_"$id".* >/dev/null 2>&1 && fail "the figures of the removed run stay: $(ls plots/small)"
    [ "$(ls plots/small/loss_*.png | wc -l)" -eq 1 ] || fail "the other run's figure went too: $(ls plots/small)"
fi
# a later plan of one other run: the two earlier run files are outside it
"$optsweep" run sweep.yaml --set optimizer.lr=0.3 --quiet >9.log 2>&1 || fail "run 0.3: $(tail -3 9.log)"
"$optsweep" status results/small >10.log 2>&1
grep -Eq "outside the plan [12] " 10.log && grep -Eq "done +1 " 10.log \
    || fail "status does not count runs outside the plan apart: $(cat 10.log)"

if [ $fails -eq 0 ]; then echo "smaller_items ok"; exit 0; fi
echo "$fails failure(s)"
exit 1
