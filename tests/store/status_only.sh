#!/bin/bash
# status_only.sh — `optsweep status --only PATTERN` counts only the runs it matches: by the
# settings a run's files hold (a done run's file, an interrupted run's checkpoint), by id for
# runs with no file yet; nothing matched and unknown keys exit 2.  The sweep of
# tests/store/sweep.yaml, one run at a time, stopped (SIGTERM) in its second run: run 1 done,
# run 2 interrupted, run 3 not started.
# Usage: status_only.sh OPTSWEEP TEST_STORE SOURCE_DIR (TEST_STORE unused)
set -u
optsweep=$1 src=$3
tmp=$(mktemp -d /tmp/optsweep-status-only.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$optsweep" run "$src/tests/store/sweep.yaml" --set "data.dir=$src/tests/data/mnist-slice" \
    --set train.pack=off --results "$tmp" >"$tmp/run.log" 2>&1 &
pid=$!
for _ in $(seq 1 3000); do
    grep -q "run 2/3 .* epoch 2/" "$tmp/run.log" && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.01
done
kill -TERM $pid
wait $pid
[ $? -eq 143 ] || { cat "$tmp/run.log"; echo "FAIL: the sweep was not stopped in its second run"; exit 1; }
dir=$tmp/store-e2e
ids=($("$optsweep" plan "$src/tests/store/sweep.yaml" --format ids))
[ ${#ids[@]} -eq 3 ] || fail "plan: ${ids[*]}"

status() { # expected "done pending interrupted not_started" for the --only arguments
    local want=$1
    shift
    "$optsweep" status "$dir" "$@" >"$tmp/out" 2>&1 || { fail "status $*: exit $?: $(cat "$tmp/out")"; return; }
    local got
    got=$(awk '/^  done/ {d=$2} /^  pending/ {p=$2; i=$4; n=$7} END {gsub(/[,)]/, "", i); gsub(/[,)]/, "", n); print d, p, i, n}' "$tmp/out")
    [ "$got" = "$want" ] || fail "status $*: done/pending/interrupted/not started: $got, expected $want: $(cat "$tmp/out")"
}
status "1 2 1 1"
status "1 0 0 0" --only schedule.max_lr=0.02        # run 1's file
status "0 1 1 0" --only schedule.max_lr=4e-2        # run 2's checkpoint, as a number
status "0 1 0 1" --only "${ids[2]}"                 # run 3: no file, its id
status "1 1 0 1" --only schedule.max_lr=0.02 --only "id=${ids[2]}"
status "1 1 1 0" --only 'optimizer.name=sg?'   # run 3: no file, no settings
grep -q "^  ${ids[0]} " "$tmp/out" && fail "a done run listed as unfinished"
status "0 1 1 0" --only schedule.max_lr=0.04
grep -q "^  ${ids[1]} .*interrupted" "$tmp/out" || fail "run 2 not listed: $(cat "$tmp/out")"
for bad in "schedule.max_lr=0.5" "nomatch-*" "no.such_key=1" "--only"; do
    "$optsweep" status "$dir" --only $bad >"$tmp/out" 2>&1
    [ $? -eq 2 ] || fail "status --only $bad: expected exit 2: $(cat "$tmp/out")"
done

if [ $fails -eq 0 ]; then echo "status --only ok"; exit 0; fi
echo "$fails failure(s)"
exit 1
