#!/bin/bash
# resume.sh — a sweep killed at random points (SIGTERM: clean checkpoint and exit 143;
# SIGKILL: no warning at all) and started again until it finishes must end with exactly the
# results of an uninterrupted sweep: the same bits in every log and in the weights
# (test_store --compare).  Also: SIGTERM leaves no lock behind, the exit status is 128 +
# signo, and at least one trial really resumed from a checkpoint (attempts > 1).
# Usage: resume.sh COMMAND... -- TEST_STORE
#   COMMAND runs the sweep into the results directory written as {} in it, e.g.
#   `store_sweep_driver {} DATA --runs 3` or `optsweep run sweep.yaml --results {}`;
#   TEST_STORE --compare A B compares two run files bit for bit.
set -u
runner=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do runner+=("$1"); shift; done
shift
compare=$1
trials=${OPTSWEEP_RESUME_TRIALS:-4}

tmp=$(mktemp -d /tmp/optsweep-resume.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

run_sweep() { # results_dir: the command with {} replaced, exec'd so $! is its pid
    local cmd=("${runner[@]//\{\}/$1}")
    exec "${cmd[@]}"
}

(run_sweep "$tmp/ref") >"$tmp/ref.log" 2>&1 || { cat "$tmp/ref.log"; echo "FAIL: reference sweep"; exit 1; }
ref_files=$(cd "$tmp/ref" && find . -name '*.h5' | sort)
n_ref=$(wc -l <<<"$ref_files")
[ "$n_ref" -ge 2 ] || { echo "FAIL: reference sweep wrote $n_ref files"; exit 1; }
# kill points are chosen by progress, not by time (a loaded machine makes timing useless):
# wait for the plain progress line of a random (run, epoch), then add 0-40 ms so that some
# kills land inside the next epoch or a checkpoint write
n_epochs=$(grep -o 'epoch [0-9]*/[0-9]*' "$tmp/ref.log" | head -1 | cut -d/ -f2)
[ -n "$n_epochs" ] || { echo "FAIL: no progress lines in the reference log"; cat "$tmp/ref.log"; exit 1; }
echo "reference sweep: $n_ref runs of $n_epochs epochs"

wait_for_line() { # log pid pattern: returns when the pattern shows or the process ends
    local i
    for i in $(seq 1 3000); do
        grep -q -- "$3" "$1" 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.01
    done
    return 1
}

resumed=0
for trial in $(seq 1 "$trials"); do
    if [ $((trial % 2)) -eq 1 ]; then sig=TERM; want=143; else sig=KILL; want=137; fi
    dir=$tmp/t$trial
    kills=0
    for attempt in 1 2 3 4 5 6; do
        # a subshell that execs the runner: $! is the runner's pid
        (run_sweep "$dir") >"$dir.log.$attempt" 2>&1 &
        pid=$!
        # the first trial's first kill follows a line before the last epoch at once, so
        # that at least one run resumes from a checkpoint on any machine; the others anywhere
        if [ "$trial$attempt" = 11 ] && [ "$n_epochs" -gt 1 ]; then
            target="run 1/$n_ref [^ ]* epoch $(( RANDOM % (n_epochs - 1) + 1 ))/"
            jitter=0
        else
            target="run $(( RANDOM % n_ref + 1 ))/$n_ref [^ ]* epoch $(( RANDOM % n_epochs + 1 ))/"
            jitter="0.0$(( RANDOM % 5 ))"
        fi
        wait_for_line "$dir.log.$attempt" "$pid" "$target"
        sleep "$jitter"
        kill -s "$sig" "$pid" 2>/dev/null
        wait "$pid"
        rc=$?
        if [ "$rc" -eq 0 ]; then break; fi
        kills=$((kills + 1))
        [ "$rc" -eq "$want" ] || fail "trial $trial: exit status $rc after SIG$sig, expected $want: $(tail -3 "$dir.log.$attempt")"
        if [ "$sig" = TERM ]; then
            locks=$(find "$dir" -name '*.lock' 2>/dev/null)
            [ -z "$locks" ] || fail "trial $trial: SIGTERM left locks: $locks"
            # (the default action, no message, is right before the runner set its handlers
            # up (empty log) and after it finished (its last line printed))
            [ ! -s "$dir.log.$attempt" ] || grep -q "signal received" "$dir.log.$attempt" \
                || grep -q "^sweep .* trained" "$dir.log.$attempt" \
                || fail "trial $trial: no stop message after SIGTERM: $(tail -3 "$dir.log.$attempt")"
        fi
        # never a final file that is not complete
        for f in $(find "$dir" -name '*.h5' ! -name '*.ckpt.h5' 2>/dev/null); do
            "$compare" --compare "$f" "$tmp/ref/${f#"$dir"/}" >/dev/null 2>&1 \
                || fail "trial $trial: $f is visible but differs from the uninterrupted run"
        done
    done
    (run_sweep "$dir") >"$dir.log.final" 2>&1 || fail "trial $trial: final run failed: $(tail -5 "$dir.log.final")"
    for f in $ref_files; do
        if [ ! -f "$dir/$f" ]; then fail "trial $trial: $f missing"; continue; fi
        "$compare" --compare "$tmp/ref/$f" "$dir/$f" || fail "trial $trial (SIG$sig, $kills kills): $f differs"
        a=$(h5dump -a attempts "$dir/$f" 2>/dev/null | awk '/\(0\)/ { print $2 }')
        [ "${a:-1}" -gt 1 ] && resumed=$((resumed + 1))
    done
    left=$(find "$dir" \( -name '*.lock' -o -name '*.ckpt.h5' -o -name '*.part' -o -name '*.tmp' \) 2>/dev/null)
    [ -z "$left" ] || fail "trial $trial: files left after the sweep finished: $left"
    echo "trial $trial: SIG$sig x$kills, results identical"
done
[ "$resumed" -gt 0 ] || fail "no run was ever resumed from a checkpoint (kills too late or too early?)"
echo "$resumed run files finished after a resume"
if [ $fails -eq 0 ]; then echo "resume ok"; exit 0; fi
echo "$fails failure(s)"
exit 1
