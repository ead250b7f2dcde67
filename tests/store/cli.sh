#!/bin/bash
# cli.sh — the store's promises through the real command line: `optsweep run` killed with
# SIGTERM/SIGKILL and run again ends with the bits of an uninterrupted run (resume.sh), two
# `optsweep run` processes on one sweep train every run exactly once, `optsweep status`
# reads the results, and an impossible results directory is a clear error (exit 2).
# Usage: cli.sh OPTSWEEP TEST_STORE SOURCE_DIR
set -u
optsweep=$1 test_store=$2 src=$3
sweep=$src/tests/store/sweep.yaml
slice=$src/tests/data/mnist-slice
tmp=$(mktemp -d /tmp/optsweep-cli.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
run=("$optsweep" run "$sweep" --set "data.dir=$slice")

OPTSWEEP_RESUME_TRIALS=${OPTSWEEP_RESUME_TRIALS:-2} bash "$src/tests/store/resume.sh" \
    "${run[@]}" --results {} -- "$test_store" || fail "resume through optsweep run"

# two processes at once
"${run[@]}" --results "$tmp/two" >"$tmp/a.log" 2>&1 &
pa=$!
"${run[@]}" --results "$tmp/two" >"$tmp/b.log" 2>&1 &
pb=$!
wait $pa || fail "process A: exit $?: $(tail -3 "$tmp/a.log")"
wait $pb || fail "process B: exit $?: $(tail -3 "$tmp/b.log")"
ids=$(cd "$tmp/two/store-e2e/runs" && ls *.h5 | sed 's/\.h5$//')
[ "$(wc -w <<<"$ids")" -eq 3 ] || fail "expected 3 run files, got: $ids"
for id in $ids; do
    n=$(cat "$tmp/a.log" "$tmp/b.log" | grep -c "$id: completed")
    [ "$n" -eq 1 ] || fail "run $id completed $n times"
done

"$optsweep" status "$tmp/two/store-e2e" >"$tmp/status" 2>&1 || fail "status: exit $?"
grep -q "plan.json: 3 runs" "$tmp/status" && grep -Eq "done +3" "$tmp/status" \
    || fail "status: $(cat "$tmp/status")"
"$optsweep" status "$tmp/nothing" >/dev/null 2>&1
[ $? -eq 2 ] || fail "status of a missing directory: expected exit 2"

touch "$tmp/afile"
"${run[@]}" --results "$tmp/afile/res" >"$tmp/bad.log" 2>&1
rc=$?
[ $rc -eq 2 ] || fail "results under a file: exit $rc, expected 2"
grep -q "$tmp/afile" "$tmp/bad.log" || fail "results under a file: $(cat "$tmp/bad.log")"

if [ $fails -eq 0 ]; then echo "cli ok"; exit 0; fi
echo "$fails failure(s)"
exit 1
