#!/usr/bin/env bash
# halving_driver.sh — search.halving through the runner itself (store_sweep_driver, the MNIST
# slice, 8 sgd runs of 4 epochs, eta 2 from 1 epoch: rungs at 1, 2 and 4 epochs, one run
# diverging at once): the promoted runs' files are bit-identical to the same runs trained
# straight through, the others end as `pruned` at their rung (the diverged one stays
# `diverged`); --jobs 2, two shards run concurrently, --until-rung stages and kills at random
# moments all give the same files as one serial sweep; without halving, a pruned run trains
# on from its rung checkpoint to exactly the straight-through result.
# usage: halving_driver.sh SWEEP_DRIVER TEST_STORE DATA_DIR
set -u
driver=$(realpath "$1") compare=$(realpath "$2") data=$(realpath "$3")
. "$(dirname "$0")/common.sh"
# a --jobs 2 worker trains on max(1, cores / 2) threads and a run's last bits depend on its
# thread count: every sweep here runs on that many
threads=$(( $(nproc) / 2 > 0 ? $(nproc) / 2 : 1 ))
export OPENBLAS_NUM_THREADS=$threads
common=(--runs 8 --epochs 4 --pack 1 --diverge 0 --quiet)
halving=(--halving 1:2)

status_of() { h5dump -a status "$1" 2>/dev/null | sed -n 's/.*(0): "\(.*\)".*/\1/p'; }
same_files() { # label dir reference_dir: every final file of reference_dir, bit for bit
    local f n=0
    for f in "$3"/drv/runs/*.h5; do
        case $f in *.ckpt.h5) continue ;; esac
        n=$((n + 1))
        [ -f "$2/drv/runs/${f##*/}" ] || { fail "$1: ${f##*/} missing"; continue; }
        "$compare" --compare "$f" "$2/drv/runs/${f##*/}" >/dev/null \
            || fail "$1: ${f##*/} differs"
    done
    [ "$n" -ge 8 ] || fail "$1: only $n reference files"
    local left
    left=$(find "$2" -name '*.lock' -o -name '*.part' -o -name '*.tmp')
    [ -z "$left" ] || fail "$1: left behind: $left"
}

"$driver" straight "$data" "${common[@]}" >straight.log 2>&1 || fail "straight: exit $?"
"$driver" serial "$data" "${common[@]}" "${halving[@]}" >serial.log 2>&1 \
    || { cat serial.log; fail "serial halving: exit $?"; }

# statuses: 1 diverged, ceil(7/2) = 4 promoted to rung 2, 2 of them to the end, 5 pruned
declare -A count
for f in serial/drv/runs/*.h5; do
    case $f in *.ckpt.h5) continue ;; esac
    s=$(status_of "$f")
    count[$s]=$(( ${count[$s]:-0} + 1 ))
    if [ "$s" = completed ]; then
        "$compare" --compare "$f" "straight/drv/runs/${f##*/}" \
            || fail "promoted run ${f##*/} differs from the run trained straight through"
    fi
    if [ "$s" = pruned ]; then
        [ -f "${f%.h5}.ckpt.h5" ] || fail "pruned run ${f##*/} lost its rung checkpoint"
        "$compare" --compare "$f" "straight/drv/runs/${f##*/}" >/dev/null 2>&1 \
            && fail "pruned run ${f##*/} equals the straight-through run"
    fi
done
[ "${count[completed]:-0}" = 2 ] && [ "${count[pruned]:-0}" = 5 ] && [ "${count[diverged]:-0}" = 1 ] \
    || fail "statuses: ${count[completed]:-0} completed, ${count[pruned]:-0} pruned, ${count[diverged]:-0} diverged (want 2, 5, 1)"
[ "$(status_of serial/drv/runs/drv-0-lr1e+06.h5)" = diverged ] || fail "run 0 is not diverged"
# halving.tsv: rung 1 at epoch 1, 8 entering, 7 reached, 4 promoted; rung 2: 4, 4, 2; rung 3
awk -F'\t' '$1 == "0" { print $2, $3, $4, $5, $6 }' serial/drv/halving.tsv >rungs.txt
printf '1 1 8 7 4\n2 2 4 4 2\n3 4 2 2 0\n' | diff - rungs.txt || fail "halving.tsv rungs"
# the rung 1 promotions are the 4 best val_loss after 1 epoch (ties: none here)
best=$(for f in straight/drv/runs/*.h5; do
           [ "$(status_of "$f")" = diverged ] && continue
           v=$(h5dump -d val_loss -s 0 -c 1 "$f" | sed -n 's/.*(0): \([^ ,]*\).*/\1/p')
           echo "$v ${f##*/}"
       done | sort -g | head -4 | awk '{ print $2 }' | sort)
got=$(for f in serial/drv/runs/*.h5; do
          case $f in *.ckpt.h5) continue ;; esac
          s=$(status_of "$f")
          m=$(h5dump -a status_message "$f" 2>/dev/null | grep -c 'rung 1 ')
          [ "$s" = diverged ] || [ "$m" != 0 ] || echo "${f##*/}"
      done | sort)
[ "$best" = "$got" ] || fail "rung 1 promoted $(echo $got), expected $(echo $best)"

"$driver" jobs "$data" "${common[@]}" "${halving[@]}" --jobs 2 >jobs.log 2>&1 \
    || { cat jobs.log; fail "--jobs 2: exit $?"; }
same_files "--jobs 2" jobs serial

"$driver" shards "$data" "${common[@]}" "${halving[@]}" --shard 0/2 >s0.log 2>&1 &
p0=$!
"$driver" shards "$data" "${common[@]}" "${halving[@]}" --shard 1/2 >s1.log 2>&1 &
p1=$!
wait $p0 || fail "shard 0/2: exit $?"
wait $p1 || fail "shard 1/2: exit $?"
same_files "two concurrent shards" shards serial

# a SLURM array per rung: --until-rung k trains to rung k and exits without waiting
"$driver" staged "$data" "${common[@]}" "${halving[@]}" --until-rung 1 >st1.log 2>&1 \
    || fail "--until-rung 1: exit $?"
n_final=$(ls staged/drv/runs/ | grep -vc 'ckpt' || true)
n_ckpt=$(ls staged/drv/runs/ | grep -c 'ckpt.h5$' || true)
# the rung is complete when the process ends: it has also pruned (the diverged run + 3)
[ "$n_final" = 4 ] && [ "$n_ckpt" = 7 ] || fail "--until-rung 1: $n_final final files, $n_ckpt checkpoints (want 4, 7)"
"$driver" staged "$data" "${common[@]}" "${halving[@]}" --until-rung 2 >st2.log 2>&1 \
    || fail "--until-rung 2: exit $?"
n_pruned=$(for f in staged/drv/runs/*.h5; do [ "$(status_of "$f")" = pruned ] && echo; done | wc -l)
n_done=$(for f in staged/drv/runs/*.h5; do [ "$(status_of "$f")" = completed ] && echo; done | wc -l)
[ "$n_pruned" = 5 ] && [ "$n_done" = 0 ] || fail "--until-rung 2: $n_pruned pruned, $n_done completed (want 5, 0)"
"$driver" staged "$data" "${common[@]}" "${halving[@]}" >st3.log 2>&1 || fail "staged end: exit $?"
same_files "--until-rung 1, 2, then the rest" staged serial

# kills at random moments (SIGTERM and SIGKILL, by progress line), then a run to the end
for trial in 1 2; do
    dir=kill$trial
    for attempt in 1 2 3 4 5; do
        "$driver" "$dir" "$data" --runs 8 --epochs 4 --pack 1 --diverge 0 "${halving[@]}" \
            >"$dir.log.$attempt" 2>&1 &
        pid=$!
        want="epoch $(( RANDOM % 4 + 1 ))/4"
        for i in $(seq 1 2000); do
            grep -q "$want" "$dir.log.$attempt" 2>/dev/null && break
            kill -0 $pid 2>/dev/null || break
            sleep 0.01
        done
        sleep "0.0$(( RANDOM % 5 ))"
        if [ $(( (trial + attempt) % 2 )) = 0 ]; then kill -TERM $pid 2>/dev/null; else kill -KILL $pid 2>/dev/null; fi
        wait $pid
        rc=$?
        [ $rc = 0 ] || [ $rc = 143 ] || [ $rc = 137 ] || fail "kill trial $trial: exit $rc"
    done
    "$driver" "$dir" "$data" "${common[@]}" "${halving[@]}" >"$dir.log.end" 2>&1 \
        || fail "kill trial $trial: the last run exited $?"
    same_files "kill trial $trial" "$dir" serial
done

# without halving, pruned runs train on from their rung checkpoints: the straight results
"$driver" serial "$data" "${common[@]}" >unhalved.log 2>&1 || fail "without halving: exit $?"
same_files "pruned runs trained on without halving" serial straight
left=$(find serial -name '*.ckpt.h5')
[ -z "$left" ] || fail "checkpoints left after training the pruned runs on: $left"

finish
