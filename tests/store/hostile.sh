#!/bin/bash
# hostile.sh — issue #11, the results folder as an attacker or an accident leaves it, end to
# end through the runner: symbolic links planted at the .part, checkpoint-temporary, lock and
# final names are never written through and the files written are regular (class 2); empty,
# garbage and unparsable lock files are taken as stale once old enough, and said so, and
# `status` does not call them running (class 7); a byte overwritten inside a run file, or a
# checkpoint attribute edited (step = 2^62), is caught by the checksum: the run file is named
# damaged by `status`, set aside and retrained by the next sweep with the reference bits, the
# checkpoint set aside and the run started over with the reference bits (class 8).
# Usage: hostile.sh DRIVER DATA_DIR TEST_STORE
set -u
driver=$1 data=$2 test_store=$3
tmp=$(mktemp -d /tmp/optsweep-hostile.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
args=(--runs 3 --epochs 2)
runs=$tmp/res/drv/runs
id0=drv-0-lr0.02 id1=drv-1-lr0.04 id2=drv-2-lr0.06

# ---- class 2: planted symbolic links --------------------------------------------------------
mkdir -p "$runs"
echo "precious" >"$tmp/victim"
echo "precious" >"$tmp/victim2"
ln -s "$tmp/victim" "$runs/$id0.h5.part"
ln -s "$tmp/victim2" "$runs/$id1.ckpt.h5.tmp"
ln -s "$tmp/nowhere" "$runs/$id2.h5.part"          # dangling: O_CREAT would create its target
"$driver" "$tmp/res" "$data" "${args[@]}" --ckpt-every 1 >"$tmp/1.log" 2>&1
rc=$?
[ $rc -eq 0 ] || fail "sweep over planted links: exit $rc: $(tail -3 "$tmp/1.log")"
[ "$(cat "$tmp/victim")" = precious ] || fail "the .part link's target was overwritten"
[ "$(cat "$tmp/victim2")" = precious ] || fail "the checkpoint link's target was overwritten"
[ -e "$tmp/nowhere" ] && fail "a dangling .part link's target was created"
for id in $id0 $id1 $id2; do
    [ -f "$runs/$id.h5" ] && [ ! -L "$runs/$id.h5" ] || fail "$id.h5 is not a regular file"
done

# a final file replaced by a link to another run's file is not taken as done
rm "$runs/$id0.h5"
ln -s "$runs/$id1.h5" "$runs/$id0.h5"
"$driver" "$tmp/res" "$data" "${args[@]}" >"$tmp/2.log" 2>&1 || fail "sweep over a linked final file: exit $?"
grep -q "1 trained" "$tmp/2.log" || fail "the linked final file was taken as done: $(tail -2 "$tmp/2.log")"
[ -f "$runs/$id0.h5" ] && [ ! -L "$runs/$id0.h5" ] || fail "$id0.h5 is still a link"
[ -f "$runs/$id1.h5" ] && [ ! -L "$runs/$id1.h5" ] || fail "$id1.h5 (the link's target) was damaged"

# a lock that is a link (to a file the run must not write into) is refused, never written
rm -f "$runs"/*.h5
ln -s "$tmp/victim" "$runs/$id0.lock"
"$driver" "$tmp/res" "$data" --runs 1 --epochs 1 >"$tmp/3.log" 2>&1
[ "$(cat "$tmp/victim")" = precious ] || fail "the lock link's target was written"
grep -q "$id0.lock: not a regular file" "$tmp/3.log" || fail "no message for a linked lock: $(cat "$tmp/3.log")"
rm -f "$runs/$id0.lock"

# ---- class 7: empty, garbage and unparsable locks ------------------------------------------
rm -rf "$tmp/res"
mkdir -p "$runs"
: >"$runs/$id0.lock"
printf '\x00\xff garbage \x01' >"$runs/$id1.lock"
printf 'host=\npid=abc\n' >"$runs/$id2.lock"
touch -d '1 minute ago' "$runs"/*.lock
"$driver" status "$tmp/res/drv" >"$tmp/s1" 2>&1 || fail "status with garbage locks: exit $?"
grep -Eq "running +0" "$tmp/s1" || fail "status calls garbage locks running: $(cat "$tmp/s1")"
grep -q "$id0 .*empty or unreadable.*stale" "$tmp/s1" || fail "status does not name the garbage lock: $(cat "$tmp/s1")"
"$driver" "$tmp/res" "$data" "${args[@]}" >"$tmp/4.log" 2>&1 || fail "sweep over garbage locks: exit $?"
grep -q "3 trained" "$tmp/4.log" || fail "runs behind garbage locks not trained: $(tail -3 "$tmp/4.log")"
grep -q "$id1: .*$id1.lock was empty or unreadable.*taken as stale" "$tmp/4.log" \
    || fail "no message about the garbage lock: $(cat "$tmp/4.log")"
ls "$runs"/*.lock >/dev/null 2>&1 && fail "garbage locks left behind: $(ls "$runs")"
# a garbage lock made a moment ago is left alone (it may be one being written elsewhere)
rm -f "$runs/$id0.h5"
: >"$runs/$id0.lock"
"$driver" "$tmp/res" "$data" "${args[@]}" >"$tmp/5.log" 2>&1
grep -q "$id0: .*only [0-9]* s old; skipped" "$tmp/5.log" || fail "a fresh empty lock was not respected: $(cat "$tmp/5.log")"

# ---- class 8: damaged run files and checkpoints -----------------------------------------------
rm -rf "$tmp/res"
"$driver" "$tmp/ref" "$data" "${args[@]}" --quiet || fail "reference sweep"
"$driver" "$tmp/res" "$data" "${args[@]}" --quiet || fail "sweep to damage"
"$test_store" --flip "$runs/$id1.h5" train_loss || fail "flipping a byte of $id1.h5"
"$driver" status "$tmp/res/drv" >"$tmp/s2" 2>&1
grep -Eq "done +2" "$tmp/s2" && grep -Eq "damaged +1" "$tmp/s2" && grep -q "$id1 .*damaged" "$tmp/s2" \
    || fail "status does not name the damaged file: $(cat "$tmp/s2")"
"$driver" "$tmp/res" "$data" "${args[@]}" >"$tmp/6.log" 2>&1 || fail "sweep over a damaged file: exit $?"
grep -q "damaged run file: .*$id1.h5: damaged: its content does not match its checksum" "$tmp/6.log" \
    || fail "no damaged-file message: $(cat "$tmp/6.log")"
[ -f "$runs/$id1.h5.corrupt" ] || fail "the damaged file was not set aside"
"$test_store" --compare "$tmp/ref/drv/runs/$id1.h5" "$runs/$id1.h5" || fail "retrained $id1 differs"
# a checkpoint whose step was edited: refused (checksum), set aside, the run starts over.
# 30 epochs (~1 s): SIGUSR1 lands once the first checkpoint is there, long before the end
long=(--runs 1 --epochs 30)
"$driver" "$tmp/ref2" "$data" "${long[@]}" --quiet || fail "reference of the long run"
"$driver" "$tmp/res2" "$data" "${long[@]}" --ckpt-every 1 >"$tmp/7.log" 2>&1 &
pid=$!
ck=$tmp/res2/drv/runs/$id0.ckpt.h5
for i in $(seq 1 2000); do [ -f "$ck" ] && break; sleep 0.005; done
kill -USR1 $pid
wait $pid
[ -f "$ck" ] && [ ! -f "$tmp/res2/drv/runs/$id0.h5" ] || fail "no checkpoint after SIGUSR1: $(cat "$tmp/7.log")"
"$test_store" --set-int64 "$ck" step 4611686018427387904 || fail "editing step"
"$driver" "$tmp/res2" "$data" "${long[@]}" >"$tmp/8.log" 2>&1 || fail "sweep over an edited checkpoint: exit $?"
grep -q "$id0.ckpt.h5: damaged" "$tmp/8.log" || fail "the edited checkpoint was not refused: $(cat "$tmp/8.log")"
[ -f "$ck.corrupt" ] || fail "the edited checkpoint was not set aside"
"$test_store" --compare "$tmp/ref2/drv/runs/$id0.h5" "$tmp/res2/drv/runs/$id0.h5" \
    || fail "$id0 after an edited checkpoint differs"

if [ $fails -eq 0 ]; then echo "hostile ok"; exit 0; fi
echo "$fails failure(s)"
exit 1
