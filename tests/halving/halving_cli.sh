#!/usr/bin/env bash
# halving_cli.sh — search.halving through the optsweep binary on the MNIST slice: `plan`
# prints the rungs and the budget; `run` of a Hyperband sweep (9 runs, eta 3, 2 brackets:
# 6 runs from 1 epoch, 3 from 3) writes the rungs of both brackets to halving.tsv, every run
# it did not promote as `pruned`, and trains exactly the model-epochs the budget allows;
# `status` counts the pruned runs and lists the rungs; `report` writes the rung table and the
# halving figure (when gnuplot is there), naming the best 10 runs not pruned, and says when
# the setting chosen on validation was pruned; --until-rung is refused without halving.
# usage: halving_cli.sh OPTSWEEP DATA_DIR
set -u
bin=$(realpath "$1") data=$(realpath "$2")
. "$(dirname "$0")/common.sh"

cat >hb.yaml <<EOF2
name: hb
data: {dir: "$data", val_from_test: 0.5, train_limit: 500}
model: {hidden: [32]}
optimizer: {name: sgd, lr: 0.1}
train: {epochs: 9, batch_size: 100}
search: {halving: {min_epochs: 1, eta: 3, brackets: 2}}
grid:
  optimizer.lr: [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9]
EOF2

"$bin" plan hb.yaml >plan.txt 2>&1 || fail "plan exited $?"
grep -q "^  bracket 1: 6 runs, rungs at 1, 3, 9 epochs$" plan.txt \
    && grep -q "^  bracket 2: 3 runs, rungs at 3, 9 epochs$" plan.txt \
    || { cat plan.txt; fail "plan: brackets"; }
# bracket 1: 6*1 + 2*2 + 1*6 = 16; bracket 2: 3*3 + 1*6 = 15
grep -q "^hyperband budget: at most 31 model-epochs against 81 for every run to 9 (38.3 %)$" plan.txt \
    || fail "plan: budget line: $(grep budget plan.txt)"
"$bin" plan hb.yaml -s search.halving.brackets=1 | grep -q \
    "^halving budget: at most 21 model-epochs against 81 for every run to 9 (25.9 %)$" \
    || fail "plan: the one-bracket budget"

"$bin" run hb.yaml --results res --until-rung 0 >/dev/null 2>&1 && fail "--until-rung 0 accepted"
sed '/^search:/d' hb.yaml >plain.yaml
"$bin" run plain.yaml --results res --until-rung 1 >u.log 2>&1
[ $? = 2 ] && grep -q "needs a sweep with search.halving" u.log || fail "--until-rung without halving: $(cat u.log)"
[ -e res ] && fail "--until-rung without halving wrote results"
"$bin" run hb.yaml --results res --force >f.log 2>&1
[ $? = 2 ] && grep -q -- "--force does not work with search.halving" f.log || fail "--force with halving: $(cat f.log)"

"$bin" run hb.yaml --results res --jobs 2 >run.log 2>&1 || { cat run.log; fail "run exited $?"; }
# stage by stage: each bracket's first rung, then each one's second, ...
awk -F'\t' '$1 ~ /^[0-9]+$/ { print $1, $2, $3, $4, $5, $6 }' res/hb/halving.tsv >rungs.txt
printf '0 1 1 6 6 2\n1 1 3 3 3 1\n0 2 3 2 2 1\n1 2 9 1 1 0\n0 3 9 1 1 0\n' | diff - rungs.txt \
    || fail "halving.tsv rows"
pruned=0 completed=0 epochs=0
for f in res/hb/runs/*.h5; do
    case $f in *.ckpt.h5) continue ;; esac
    s=$(h5dump -a status "$f" | sed -n 's/.*(0): "\(.*\)".*/\1/p')
    [ "$s" = pruned ] && pruned=$((pruned + 1)) && a_pruned=$(basename "$f" .h5)
    [ "$s" = completed ] && completed=$((completed + 1))
    n=$(h5dump -H -d train_loss "$f" | sed -n 's/.*DATASPACE *SIMPLE { ( \([0-9]*\) ).*/\1/p')
    epochs=$((epochs + n))
done
[ "$pruned" = 7 ] && [ "$completed" = 2 ] || fail "$pruned pruned, $completed completed (want 7, 2)"
[ "$epochs" = 31 ] || fail "$epochs model-epochs trained, the budget says 31"

"$bin" status res/hb >status.txt 2>&1 || fail "status exited $?"
grep -q "^  pruned       7 " status.txt || { cat status.txt; fail "status: pruned count"; }
grep -q "bracket 2 rung 1 (epoch 3): 3 entered, 3 reached it, 1 promoted" status.txt \
    || fail "status: rung lines"

"$bin" report res/hb --plots-dir plots >report.log 2>&1
rc=$?
grep -q "^## Hyperband" res/hb/summary.md || fail "summary.md: no Hyperband section (report exit $rc)"
grep -q "31 model-epochs trained, 38.3 % of the 81" res/hb/summary.md || fail "summary.md: model-epochs"
grep -q "^| 2 | 1 | 3 | 3 | 3 | 1 |" res/hb/summary.md || fail "summary.md: bracket 2 rung 1 row"
grep -q "7 pruned, " res/hb/summary.md || fail "summary.md: the pruned count"
if command -v gnuplot >/dev/null; then
    [ -s plots/halving.png ] || fail "no halving figure"
    grep -q "set arrow from 3, graph 0" plots/halving.gp || fail "no rung line at epoch 3"
fi

# a pruned setting chosen on validation: its test accuracy is missing, and summary.md says why
"$bin" report res/hb --only "$a_pruned" --no-plots >report1.log 2>&1
grep -q "| — (pruned after epoch [0-9]*) |" res/hb/summary.md ||
    fail "summary.md: the chosen pruned setting: $(grep -A3 'chosen setting' res/hb/summary.md)"

# the same runs and three more trained to the end without halving: past 10 runs not pruned,
# the halving figure names the best 10 and draws the others unnamed
"$bin" run plain.yaml --results res \
    --set 'optimizer.lr=[0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.03, 0.04, 0.06]' \
    >plain.log 2>&1 || fail "the runs without halving: exit $?: $(tail -3 plain.log)"
"$bin" report res/hb --plots-dir plots2 >report2.log 2>&1
if command -v gnuplot >/dev/null; then
    [ "$(grep -c "halving.dat' index [0-9]* using .* title " plots2/halving.gp)" = 10 ] &&
        [ "$(grep -c "notitle" plots2/halving.gp)" = 2 ] &&
        grep -q "the best 10 of the 12 runs not pruned named" plots2/halving.gp ||
        fail "halving figure: 10 runs named, 2 unnamed: $(grep -c notitle plots2/halving.gp)"
fi

finish
