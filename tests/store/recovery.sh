#!/bin/bash
# recovery.sh — the runner facing damaged or hostile results directories, end to end:
# a stale lock of a dead process is taken over; another host's lock is respected (and shown
# by `status`); a corrupt final file is reported, set aside and its run redone; an input
# error (missing data) exits 2 before writing anything; a results directory that cannot be
# created, or a file-size limit (a stand-in for a full disk), gives a clear error naming the
# path and a non-zero exit; a diverged run is recorded and the sweep goes on; `status`
# counts all of it.
# Usage: recovery.sh DRIVER DATA_DIR TEST_STORE
set -u
driver=$1 data=$2 test_store=$3
tmp=$(mktemp -d /tmp/optsweep-recovery.XXXXXX)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
args=(--runs 3 --epochs 3)
runs=$tmp/res/drv/runs
id0=drv-0-lr0.02 id1=drv-1-lr0.04 id2=drv-2-lr0.06

"$driver" "$tmp/ref" "$data" "${args[@]}" --quiet || { echo "FAIL: reference sweep"; exit 1; }

# ---- stale lock (dead pid, this host) and another host's lock ------------------------------
mkdir -p "$runs"
sleep 0 & dead=$!
wait $dead
printf 'host=%s\npid=%d\nstart=2025-01-01T00:00:00Z\n' "$(hostname)" "$dead" >"$runs/$id0.lock"
printf 'host=node-17.cluster\npid=4242\nstart=2025-01-01T00:00:00Z\nslurm_job=991_2\n' >"$runs/$id1.lock"
"$driver" "$tmp/res" "$data" "${args[@]}" >"$tmp/1.log" 2>&1
rc=$?
[ $rc -eq 0 ] || fail "sweep with locks: exit $rc: $(tail -3 "$tmp/1.log")"
[ -f "$runs/$id0.h5" ] || fail "the run behind a stale lock was not trained"
[ -e "$runs/$id0.lock" ] && fail "the stale lock is still there"
[ -f "$runs/$id1.h5" ] && fail "a run locked by another host was trained"
grep -q "$id1: being trained by pid 4242 on node-17.cluster" "$tmp/1.log" \
    || fail "no message about the other host's lock: $(grep "$id1" "$tmp/1.log")"
"$test_store" --compare "$tmp/ref/drv/runs/$id0.h5" "$runs/$id0.h5" || fail "$id0 differs"

"$driver" status "$tmp/res/drv" >"$tmp/status1" 2>&1 || fail "status exit $?"
grep -Eq "done +2" "$tmp/status1" || fail "status: done should be 2: $(cat "$tmp/status1")"
grep -Eq "running +1 .*other hosts" "$tmp/status1" || fail "status: running 1 (other host): $(cat "$tmp/status1")"
grep -q "$id1 .*running.*node-17.cluster.*slurm job 991_2" "$tmp/status1" \
    || fail "status: the locked run's line: $(cat "$tmp/status1")"
rm "$runs/$id1.lock"   # what the user does once they know node-17's task is gone
"$driver" "$tmp/res" "$data" "${args[@]}" --quiet || fail "sweep after removing the lock"
[ -f "$runs/$id1.h5" ] || fail "$id1 not trained after its lock was removed"

# ---- a corrupt final file is set aside and its run redone ---------------------------------
head -c 3000 "$runs/$id2.h5" >"$tmp/cut" && mv "$tmp/cut" "$runs/$id2.h5"
"$driver" "$tmp/res" "$data" "${args[@]}" >"$tmp/2.log" 2>&1 || fail "sweep over a corrupt file: exit $?"
grep -q "damaged run file: .*$id2.h5" "$tmp/2.log" || fail "no corrupt-file message: $(cat "$tmp/2.log")"
[ -f "$runs/$id2.h5.corrupt" ] || fail "the corrupt file was not set aside"
"$test_store" --compare "$tmp/ref/drv/runs/$id2.h5" "$runs/$id2.h5" || fail "redone $id2 differs"
grep -q "1 trained" "$tmp/2.log" || fail "expected exactly one run redone: $(tail -1 "$tmp/2.log")"
"$driver" status "$tmp/res/drv" >"$tmp/status2"
grep -Eq "done +3" "$tmp/status2" || fail "status after redo: $(cat "$tmp/status2")"

# ---- --force redoes completed runs --------------------------------------------------------
"$driver" "$tmp/res" "$data" "${args[@]}" --force >"$tmp/3.log" 2>&1 || fail "--force exit $?"
grep -q "3 trained" "$tmp/3.log" || fail "--force did not retrain: $(tail -1 "$tmp/3.log")"

# ---- a done run whose process died before its clean-up (SIGKILL between renaming the final
# file and removing the checkpoint and the lock): the next sweep finishes the clean-up; a done
# run locked from another host is left alone -------------------------------------------------
sleep 0 & dead=$!
wait $dead
printf 'host=%s\npid=%d\nstart=2025-01-01T00:00:00Z\n' "$(hostname)" "$dead" >"$runs/$id0.lock"
cp "$runs/$id0.h5" "$runs/$id0.ckpt.h5"
printf 'host=node-17.cluster\npid=4242\nstart=2025-01-01T00:00:00Z\n' >"$runs/$id1.lock"
"$driver" "$tmp/res" "$data" "${args[@]}" >"$tmp/3b.log" 2>&1 || fail "sweep after a late kill: exit $?"
grep -q "0 trained" "$tmp/3b.log" || fail "a done run was retrained: $(tail -1 "$tmp/3b.log")"
[ -e "$runs/$id0.lock" ] && fail "the dead process's lock on a done run is still there"
[ -e "$runs/$id0.ckpt.h5" ] && fail "the checkpoint of a done run is still there"
[ -e "$runs/$id1.lock" ] || fail "another host's lock on a done run was removed"
rm -f "$runs/$id1.lock"

# ---- input error: exit 2, nothing written --------------------------------------------------
"$driver" "$tmp/nodata" /nonexistent/mnist "${args[@]}" >"$tmp/4.log" 2>&1
rc=$?
[ $rc -eq 2 ] || fail "missing data: exit $rc, expected 2"
grep -q "/nonexistent/mnist" "$tmp/4.log" || fail "missing data: message: $(cat "$tmp/4.log")"
[ -e "$tmp/nodata" ] && fail "missing data: results were written"

# ---- results directory that cannot be made ---------------------------------------------------
touch "$tmp/afile"
"$driver" "$tmp/afile/results" "$data" "${args[@]}" >"$tmp/5.log" 2>&1
rc=$?
[ $rc -eq 2 ] || fail "results under a file: exit $rc, expected 2"
grep -q "$tmp/afile" "$tmp/5.log" || fail "results under a file: message: $(cat "$tmp/5.log")"
if [ "$(id -u)" != 0 ]; then
    mkdir "$tmp/ro" && chmod 555 "$tmp/ro"
    "$driver" "$tmp/ro" "$data" "${args[@]}" >"$tmp/6.log" 2>&1
    rc=$?
    [ $rc -eq 2 ] || fail "read-only results: exit $rc"
    grep -q "Permission denied" "$tmp/6.log" || fail "read-only results: $(cat "$tmp/6.log")"
fi

# ---- a file-size limit (ulimit -f, 100 KiB) where the run files need ~210 KiB: the write
# fails like a full disk; the error names the file and the exit status is 1 --------------------
(ulimit -f 100; exec "$driver" "$tmp/full" "$data" "${args[@]}") >"$tmp/7.log" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "file-size limit: exit $rc, expected 1: $(tail -3 "$tmp/7.log")"
grep -q "cannot write the results of run $id0: .*$tmp/full/drv/runs/$id0.h5.part" "$tmp/7.log" \
    || fail "file-size limit: message: $(cat "$tmp/7.log")"
[ -e "$tmp/full/drv/runs/$id0.h5" ] && fail "file-size limit: a final file appeared"

# ---- a diverged run is recorded and the sweep goes on ----------------------------------------
"$driver" "$tmp/div" "$data" "${args[@]}" --diverge 1 >"$tmp/8.log" 2>&1 || fail "diverging sweep: exit $?"
f=$(ls "$tmp"/div/drv/runs/drv-1-*.h5 2>/dev/null)
[ -n "$f" ] && h5dump -a status "$f" | grep -q '"diverged"' || fail "run 1 not recorded as diverged"
[ -f "$tmp/div/drv/runs/$id2.h5" ] || fail "the sweep did not go on after the divergence"
"$driver" status "$tmp/div/drv" >"$tmp/status3"
grep -Eq "diverged +1" "$tmp/status3" || fail "status: diverged: $(cat "$tmp/status3")"
# a re-run does not redo a diverged run
"$driver" "$tmp/div" "$data" "${args[@]}" --diverge 1 >"$tmp/9.log" 2>&1
grep -q "0 trained" "$tmp/9.log" || fail "a diverged run was redone: $(tail -1 "$tmp/9.log")"

# ---- status of an interrupted sweep; status of nothing ---------------------------------------
# 300 epochs (about 4 s of training, ended by the SIGTERM below) so that run 0 is still
# running when status looks, even on a busy machine
"$driver" "$tmp/int" "$data" --runs 3 --epochs 300 >"$tmp/10.log" 2>&1 &
pid=$!
for i in $(seq 1 1000); do grep -q "epoch 4/300" "$tmp/10.log" && break; sleep 0.01; done
"$driver" status "$tmp/int/drv" >"$tmp/status4"
# the 3 runs are one pack: all running at once, all checkpointed by the SIGTERM
grep -Eq "running +3" "$tmp/status4" || fail "status while running: $(cat "$tmp/status4")"
grep -Eq "$id0 +running +epoch [0-9]+/300 .*pid $pid" "$tmp/status4" \
    || fail "status: the running run's line: $(cat "$tmp/status4")"
kill -TERM $pid
wait $pid
"$driver" status "$tmp/int/drv" >"$tmp/status5"
grep -Eq "pending +3 +\(interrupted 3, not started 0\)" "$tmp/status5" \
    || fail "status after SIGTERM: $(cat "$tmp/status5")"
grep -Eq "$id0 +interrupted +epoch [0-9]+/300" "$tmp/status5" || fail "status: interrupted line: $(cat "$tmp/status5")"
"$driver" status "$tmp/none" >/dev/null 2>&1
[ $? -eq 2 ] || fail "status of a missing directory: expected exit 2"

if [ $fails -eq 0 ]; then echo "recovery ok"; exit 0; fi
echo "$fails failure(s)"
exit 1
