#!/bin/bash
# concurrent.sh — several processes on one sweep split the work and never train a run twice:
# (1) two runner processes started together on the same results directory, in packs of 2
# (a process claims a whole pack: with one pack of 6 the first would take everything); (2)
# one process with --jobs 3 workers.  Each run's "completed" line must appear exactly once
# over all the logs, every run file must exist with attempts = 1, and both processes of (1)
# must have trained something.  Then the results must equal a plain sequential sweep's (one
# pack of all the runs), bit for bit: a run's bits do not depend on its packmates.
# Usage: concurrent.sh DRIVER DATA_DIR TEST_STORE (its --compare A B mode compares results)
set -u
driver=$1 data=$2 compare=$3
tmp=$(mktemp -d /tmp/optsweep-concurrent.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
args=(--runs 6 --epochs 4)

"$driver" "$tmp/seq" "$data" "${args[@]}" --quiet || { echo "FAIL: sequential sweep"; exit 1; }
ids=$(cd "$tmp/seq/drv/runs" && ls *.h5 | sed 's/\.h5$//')

check_once() { # label results_dir logs...
    local label=$1 dir=$2
    shift 2
    for id in $ids; do
        n=$(cat "$@" | grep -c "$id: completed")
        [ "$n" -eq 1 ] || fail "$label: run $id completed $n times"
        f=$dir/drv/runs/$id.h5
        [ -f "$f" ] || { fail "$label: $f missing"; continue; }
        a=$(h5dump -a attempts "$f" | awk '/\(0\)/ { print $2 }')
        [ "$a" = 1 ] || fail "$label: $id attempts = $a"
        "$compare" --compare "$tmp/${ref:-seq}/drv/runs/$id.h5" "$f" || fail "$label: $id differs from the sequential sweep"
    done
    left=$(find "$dir" -name '*.lock' -o -name '*.ckpt.h5' -o -name '*.part')
    [ -z "$left" ] || fail "$label: left behind: $left"
}

# (1) two processes at once.  Each epoch is held 20 ms (--epoch-pause-ms: a pack takes at
# least 0.3 s however fast the machine), so that A cannot finish the whole sweep before B has
# loaded its data and left B nothing to train.
args1=(--runs 6 --epochs 8)
"$driver" "$tmp/seq1" "$data" "${args1[@]}" --quiet || { echo "FAIL: sequential sweep"; exit 1; }
"$driver" "$tmp/two" "$data" "${args1[@]}" --pack 2 --epoch-pause-ms 20 >"$tmp/a.log" 2>&1 &
pa=$!
"$driver" "$tmp/two" "$data" "${args1[@]}" --pack 2 --epoch-pause-ms 20 >"$tmp/b.log" 2>&1 &
pb=$!
wait $pa || fail "process A exited $?: $(tail -3 "$tmp/a.log")"
wait $pb || fail "process B exited $?: $(tail -3 "$tmp/b.log")"
ref=seq1 check_once "two processes" "$tmp/two" "$tmp/a.log" "$tmp/b.log"
na=$(grep -c ": completed" "$tmp/a.log")
nb=$(grep -c ": completed" "$tmp/b.log")
echo "two processes: A trained $na runs, B trained $nb"
[ "$na" -gt 0 ] && [ "$nb" -gt 0 ] || fail "the work was not split (A $na, B $nb)"

# (2) --jobs 3 in one process.  Each worker runs OpenBLAS with max(1, cores / jobs) threads,
# and OpenBLAS's sums depend on its thread count, so the reference is a sequential sweep with
# that many threads.
threads_for() { local t=$(( $(nproc) / $1 )); [ $t -ge 1 ] || t=1; echo $t; }
OPENBLAS_NUM_THREADS=$(threads_for 3) "$driver" "$tmp/seq-j3" "$data" "${args[@]}" --quiet
"$driver" "$tmp/jobs" "$data" "${args[@]}" --jobs 3 >"$tmp/j.log" 2>&1 || fail "--jobs 3 exited $?: $(tail -3 "$tmp/j.log")"
ref=seq-j3 check_once "--jobs 3" "$tmp/jobs" "$tmp/j.log"
workers=$(grep -o '^\[job [0-9]*\] run [0-9/]* [^ ]*: completed' "$tmp/j.log" | awk '{ print $2 }' | sort -u | wc -l)
echo "--jobs 3: $workers workers trained runs"
[ "$workers" -ge 2 ] || fail "--jobs 3: only $workers worker(s) trained"
# --force with workers: each run is redone once, not once per worker
"$driver" "$tmp/jobs" "$data" "${args[@]}" --jobs 3 --force >"$tmp/jf.log" 2>&1 || fail "--force --jobs 3 exited $?"
for id in $ids; do
    n=$(grep -c "$id: completed" "$tmp/jf.log")
    [ "$n" -eq 1 ] || fail "--force --jobs 3: run $id completed $n times"
done

# (3) a SIGTERM to the --jobs parent reaches the workers: checkpoints, exit 143, and a
# second sweep finishes with the same results
"$driver" "$tmp/jobs-sig" "$data" --runs 6 --epochs 12 --jobs 2 >"$tmp/js.log" 2>&1 &
pj=$!
sleep 0.6
kill -TERM $pj
wait $pj
rc=$?
if [ $rc -eq 0 ]; then
    echo "(the --jobs sweep finished before the signal: nothing to check)"
else
    echo "--jobs 2: SIGTERM to the parent: exit $rc"
    [ $rc -eq 143 ] || fail "--jobs parent exit $rc after SIGTERM, expected 143: $(tail -3 "$tmp/js.log")"
    sleep 0.2
    pgrep -f "$tmp/jobs-sig" >/dev/null && fail "workers still running after the parent exited"
    [ -z "$(find "$tmp/jobs-sig" -name '*.lock')" ] || fail "locks left after SIGTERM"
fi
"$driver" "$tmp/jobs-sig" "$data" --runs 6 --epochs 12 --jobs 2 --quiet || fail "resumed --jobs sweep"
OPENBLAS_NUM_THREADS=$(threads_for 2) "$driver" "$tmp/seq12" "$data" --runs 6 --epochs 12 --quiet
for f in "$tmp"/seq12/drv/runs/*.h5; do
    "$compare" --compare "$f" "$tmp/jobs-sig/drv/runs/$(basename "$f")" || fail "--jobs resume: $(basename "$f") differs"
done

if [ $fails -eq 0 ]; then echo "concurrent ok"; exit 0; fi
echo "$fails failure(s)"
exit 1
