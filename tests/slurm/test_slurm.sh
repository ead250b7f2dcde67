#!/usr/bin/env bash
# test_slurm.sh — `optsweep slurm` end to end on a real single-node SLURM (slurm_local.sh):
# a 5-run sweep on the MNIST slice as a 4-task array whose tasks claim runs as they go, where
#   - the task that claimed the long run gets SIGUSR1 through the batch shell only (`scancel
#     -b`: what the time-limit warning does), checkpoints, requeues itself, resumes; is
#     requeued again with `scontrol requeue`, resumes again; then the whole array is
#     cancelled (scancel) and the report job runs anyway (afterany);
#   - task 2 gets a bad data path (OPTSWEEP_RUN_ARGS_2) and fails before claiming anything:
#     the other tasks take its work (with a fixed mod-4 split, run 2 would be missing);
#   - re-submitting resumes the long run in one task while the other three find nothing left
#     and exit 0 at once;
#   - every run is trained exactly once and ends with the bits of a serial sweep of the same
#     file in one process (train_loss, val_loss, val_acc, weights), and the final summary.md
#     lists them all.
# Usage: test_slurm.sh OPTSWEEP_BINARY SOURCE_DIR.  Exit 77 (skipped) without SLURM and root.
# Daemons are stopped by PID on every exit (trap).  OPTSWEEP_TEST_KEEP=1 keeps the work folder.
set -u
bin=$(readlink -f "$1")
src=$(readlink -f "$2")
here=$src/tests/slurm
slurm_local=$here/slurm_local.sh
t_start=$(date +%s)

skip() {
    echo "skipped: $*"
    exit 77
}
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
note() { echo "[$(($(date +%s) - t_start))s] $*"; }

# ---- prerequisites -----------------------------------------------------------------------
[ -x "$bin" ] || fail "no optsweep binary at $1"
if [ "$(id -u)" -ne 0 ]; then
    skip "needs root to start slurmctld, slurmd and munged (and SLURM installed: sudo apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge)"
fi
if ! "$slurm_local" install; then
    skip "SLURM packages are missing and could not be installed (apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge)"
fi
if ! command -v h5dump >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends hdf5-tools \
        >/dev/null 2>&1 || skip "h5dump (hdf5-tools) is missing and could not be installed"
fi
"$bin" slurm --help >/dev/null 2>&1 || fail "$bin has no 'slurm' command"

work=$(mktemp -d "${TMPDIR:-/tmp}/optsweep-slurm-test.XXXXXX") || fail "mktemp"
chmod 0755 "$work"
export SLURM_LOCAL_DIR=$work/slurm

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
        echo "---- diagnostics (work folder $work) ----" >&2
        for f in "$work"/*.log "$work"/results/slurm-e2e/slurm/logs/*.out; do
            [ -f "$f" ] && { echo "== $f" >&2; grep -v ' epoch [0-9]*/[0-9]* train_loss' "$f" | tail -25 >&2; }
        done
        [ -n "${SLURM_CONF:-}" ] && squeue -a >&2 2>/dev/null
        tail -15 "$SLURM_LOCAL_DIR/log/slurmctld.log" >&2 2>/dev/null
    fi
    # the reference run, when a failure came before it was waited for
    if [ -n "${ref_pid:-}" ] && kill -0 "$ref_pid" 2>/dev/null; then
        kill -TERM "$ref_pid" 2>/dev/null
        wait "$ref_pid" 2>/dev/null
    fi
    "$slurm_local" stop
    # nothing this test started may outlive it
    local left
    left=$(pgrep -f -- "$work" | tr '\n' ' ')
    if [ -n "$left" ]; then
        echo "FAIL: processes left running after stop:" >&2
        # shellcheck disable=SC2086
        ps -o pid,cmd -p $left >&2
        [ "$rc" -eq 0 ] && rc=1
    fi
    if [ "${OPTSWEEP_TEST_KEEP:-0}" = 1 ]; then
        echo "kept $work" >&2
    else
        rm -rf "$work"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- helpers -------------------------------------------------------------------------------
# wait_until SECONDS WHAT COMMAND...: polls COMMAND every 0.2 s.
wait_until() {
    local limit=$1 what=$2 i
    shift 2
    for ((i = 0; i < limit * 5; i++)); do
        "$@" && return 0
        sleep 0.2
    done
    fail "timed out after ${limit}s waiting for: $what"
}
# active JOB: the job (or array, or array task) is still pending, running or finishing; also
# when squeue itself fails (a busy slurmctld is no proof that the job ended).
active() {
    local out
    out=$(squeue -h -j "$1" -o %i \
        -t PENDING,RUNNING,CONFIGURING,COMPLETING,SUSPENDED,REQUEUED,REQUEUE_HOLD,REQUEUE_FED,RESIZING,SIGNALING,STAGE_OUT \
        2>/dev/null) || return 0
    [ -n "$out" ]
}
finished() { ! active "$1"; }
job_state() { squeue -h -j "$1" -o %T 2>/dev/null | head -1; }
# h5attr FILE NAME: a root attribute's value, as h5dump prints it (strings unquoted).
h5attr() {
    h5dump -a "/$2" "$1" 2>/dev/null | sed -n 's/^ *(0): *//p' | tr -d '"'
}
ckpt_epoch() { h5attr "$runs/$long.ckpt.h5" next_epoch; }
ckpt_at_least() { local e; e=$(ckpt_epoch); [ -n "$e" ] && [ "$e" -ge "$1" ]; }
log_has() { [ -f "$1" ] && grep -q -- "$2" "$1"; }
# restarted_to TASK N: task TASK of the current array runs again with SLURM_RESTART_COUNT=N.
# A requeued task waits ~120 s (BeginTime) unless told to start now, which this does once it
# has been pending for 2 s: a start within the second its last run ended is refused by slurmd
# ("Job credential revoked", credentials have 1 s resolution) and the task would fail instead
# of running.
pending_since=
restarted_to() {
    log_has "$logs/${array}_$1.out" "restart $2, " && return 0
    if [ "$(job_state "${array}_$1")" != PENDING ]; then
        pending_since=
    elif [ -z "$pending_since" ]; then
        pending_since=$(date +%s)
    elif [ $(($(date +%s) - pending_since)) -ge 2 ]; then
        scontrol update JobId="${array}_$1" StartTime=now >/dev/null 2>&1
    fi
    return 1
}
# holder: the task of the current array training the long run now (its lock names it)
holder() { sed -n "s/^slurm_job=${array}_\([0-9]*\)$/\1/p" "$runs/$long.lock" 2>/dev/null; }
# the long run's "stopped after epoch E" lines in a task's log, the Nth one's E
stopped_at() {
    sed -n "s|^run [0-9]*/[0-9]* $long: stopped after epoch \([0-9]*\)/.*|\1|p" "$1" | sed -n "$2p"
}
# any task of the current array resumed the long run after epoch E
resumed_after() { cat "$logs/${array}"_*.out 2>/dev/null | grep -q -- "$long: resuming after epoch $1/"; }
# the results of a run file that must not depend on interruptions (h5dump, all digits)
run_results() {
    h5dump -m '%.17g' -d /train_loss -d /val_loss -d /val_acc -g /model "$1" | sed 1d
}
submit() { # submit LOGNAME [env assignments...]: prints nothing; sets array, report
    local name=$1
    shift
    (cd "$work" && env "$@" "$bin" slurm sweep.yaml --tasks 4 --results "$work/results" \
        --sbatch-arg=--export=ALL,OPTSWEEP_E2E_MARK=from-sbatch-arg \
        --setup 'echo "setup line ran: ${OPTSWEEP_E2E_MARK:-no mark}"' \
        --submit) >"$work/$name.log" 2>&1 || fail "optsweep slurm --submit failed (see $name.log)"
    array=$(sed -n 's/^submitted array job \([0-9]*\) .*/\1/p' "$work/$name.log")
    report=$(sed -n 's/^submitted report job \([0-9]*\):.*/\1/p' "$work/$name.log")
    [ -n "$array" ] && [ -n "$report" ] || fail "no job ids in $name.log"
}

# ---- the cluster and the sweep ---------------------------------------------------------------
note "starting SLURM"
eval "$("$slurm_local" start)" || fail "slurm_local.sh start"
[ -n "${SLURM_CONF:-}" ] || fail "slurm_local.sh start printed no SLURM_CONF"

# 5 runs: a long one (run 0, task 0) to interrupt twice, and 4 short ones.  Checkpoints every
# epoch, so that an interruption is caught mid-run and resumes exactly there.
cat >"$work/sweep.yaml" <<EOF
name: slurm-e2e
data: {dataset: mnist, dir: $src/tests/data/mnist-slice, val_from_test: 0.5}
model: {hidden: [16]}
train: {epochs: 2, batch_size: 100, seed: 1, validation_freq: 1, checkpoint_every: 1, backend: cpu}
optimizer: {name: sgd, lr: 0.1}
cases:
  - {name: long, model: {hidden: [512, 512]}, train: {epochs: 100}}
  - {name: lr05, optimizer: {lr: 0.05}}
  - {name: lr1, optimizer: {lr: 0.1}}
  - {name: lr2, optimizer: {lr: 0.2}}
  - {name: mom, optimizer: {lr: 0.05, momentum: 0.9}}
EOF
"$bin" plan "$work/sweep.yaml" --format tsv >"$work/plan.tsv" || fail "optsweep plan"
mapfile -t ids < <(tail -n +2 "$work/plan.tsv" | cut -f1)
[ "${#ids[@]}" -eq 5 ] || fail "expected 5 runs in the plan, got ${#ids[@]}"
long=${ids[0]}
runs=$work/results/slurm-e2e/runs
logs=$work/results/slurm-e2e/slurm/logs

# the dry run prints each task's plan and submits nothing
(cd "$work" && "$bin" slurm sweep.yaml --tasks 4 --results "$work/results") >"$work/dry.log" 2>&1 ||
    fail "dry run failed"
grep -q "the 4 tasks take the runs in this order as they go" "$work/dry.log" &&
    [ "$(grep -cE "^ +[0-9]+  [a-z]" "$work/dry.log")" -eq 5 ] && ! grep -q "task 0:" "$work/dry.log" ||
    fail "the dry run does not show the plan the tasks share: $(cat "$work/dry.log")"
[ -z "$(squeue -h -o %i)" ] || fail "the dry run submitted something"

# the reference: the whole sweep in one process, without interruption (meanwhile SLURM works)
OPENBLAS_NUM_THREADS=1 "$bin" run "$work/sweep.yaml" --results "$work/ref" --shard 0/1 \
    >"$work/ref.log" 2>&1 &
ref_pid=$!

# ---- first submission: task 2 gets a bad data path; the long run is interrupted three times --
note "submitting the array (task 2 with a bad data path)"
submit submit1 OPTSWEEP_RUN_ARGS_2="--set data.dir=$work/no-such-data"
array1=$array
report1=$report

wait_until 60 "a checkpoint of the long run at epoch >= 2" ckpt_at_least 2
# whichever task claimed the long run holds it; after each interruption any task may take it
# up again (the tasks claim as they go), so each interruption goes to the holder of the moment
lt=$(holder)
[ -n "$lt" ] || fail "the long run's lock names no task of array $array: $(cat "$runs/$long.lock" 2>&1)"
[ "$lt" != 2 ] || fail "task 2 (bad data path) trains the long run"
log1=$logs/${array}_$lt.out
"$bin" status "$work/results/slurm-e2e" >"$work/status-running.log" 2>&1 ||
    fail "optsweep status failed while the array runs"
grep -q "running *[1-9]" "$work/status-running.log" || fail "status shows no running run"
[ -e "$runs/$long.h5" ] && fail "the long run ended before it could be interrupted"

# (1) SIGUSR1 to the batch shell only, as --signal=B:USR1@T does before the time limit: the
# script must forward it; optsweep checkpoints and exits 138; the script requeues the task.
note "scancel -b --signal=USR1 ${array}_$lt at checkpoint epoch $(ckpt_epoch)"
# SLURM 22.05 delivers the signal at once, but while sibling tasks of the array are pending it
# answers "Job can not be altered now" and scancel re-sends it every 5+ s for ~100 s.  The
# timeout ends scancel before its first retry (a retry could reach the requeued task).
usr1_seen() { log_has "$log1" "SIGUSR1 (time limit near)"; }
for try in 1 2 3; do
    timeout 3 scancel -b --signal=USR1 "${array}_$lt" 2>/dev/null
    for ((i = 0; i < 25; i++)); do usr1_seen && break 2; sleep 0.2; done
    note "USR1 not seen by the batch shell after try $try"
done
usr1_seen || fail "the batch shell never reported SIGUSR1"
wait_until 60 "task $lt requeued itself after SIGUSR1 and started again" restarted_to "$lt" 1
log_has "$log1" "optsweep exited with status 138" || fail "optsweep did not exit 138 on USR1"
log_has "$log1" "task $lt/4: requeued" || fail "task $lt did not requeue itself"
stop1=$(stopped_at "$log1" 1)
[ -n "$stop1" ] || fail "no 'stopped after epoch' line for the long run after USR1"

# (2) scontrol requeue (as a preemption does: SIGTERM to every process of the job) of the
# task that took the long run up again
wait_until 60 "the long run resumed after epoch $stop1" resumed_after "$stop1"
wait_until 60 "the long run checkpointed past epoch $stop1" ckpt_at_least $((stop1 + 1))
[ -e "$runs/$long.h5" ] && fail "the long run ended before the second interruption"
lt=$(holder)
[ -n "$lt" ] || fail "nobody holds the long run after its resume"
log2=$logs/${array}_$lt.out
n_stops=$(sed -n "/$long: stopped after epoch/p" "$log2" | wc -l)
note "scontrol requeue ${array}_$lt at checkpoint epoch $(ckpt_epoch)"
scontrol requeue "${array}_$lt" || fail "scontrol requeue"
restarts=$(grep -c "restart [0-9]*, " "$log2")
wait_until 60 "task $lt requeued by scontrol and started again" restarted_to "$lt" "$restarts"
stop2=$(stopped_at "$log2" $((n_stops + 1)))
[ -n "$stop2" ] || fail "no 'stopped after epoch' line for the long run after scontrol requeue"

# (3) scancel: the whole array stops for good, the long run keeps its checkpoint for the next
# submission
wait_until 60 "the long run resumed after epoch $stop2" resumed_after "$stop2"
wait_until 60 "the long run checkpointed past epoch $stop2" ckpt_at_least $((stop2 + 1))
[ -e "$runs/$long.h5" ] && fail "the long run ended before scancel"
note "scancel $array1 at checkpoint epoch $(ckpt_epoch)"
scancel "$array1" || fail "scancel $array1"
wait_until 120 "array $array1 to end" finished "$array1"
wait_until 60 "report job $report1 to end" finished "$report1"
note "first array done"

[ -e "$runs/$long.h5" ] && fail "the long run ended although its array was cancelled"
[ -e "$runs/$long.ckpt.h5" ] || fail "scancel left no checkpoint of the long run"
log_has "$logs/${array1}_2.out" "optsweep exited with status 2" ||
    fail "task 2 did not fail with the bad data path"
# task 2 failed before claiming anything: the other tasks took its work (with a mod-4 split,
# run 2 would have been task 2's and would be missing now)
for i in 1 2 3 4; do
    [ "$(h5attr "$runs/${ids[$i]}.h5" status)" = completed ] ||
        fail "run ${ids[$i]} is not complete after the first array"
done
grep -qE "^run [0-9]+/[0-9]+ ${ids[2]}" "$logs/${array1}_2.out" && fail "task 2 started run ${ids[2]}"
[ -f "$logs/report_$report1.out" ] || fail "the report job did not run after the first array"
# --setup ran in both scripts, and --sbatch-arg (an --export of a mark) reached both jobs
log_has "$logs/${array1}_1.out" "setup line ran: from-sbatch-arg" ||
    fail "task 1: the --setup line did not run, or --sbatch-arg did not reach the array"
log_has "$logs/report_$report1.out" "setup line ran: from-sbatch-arg" ||
    fail "report: the --setup line did not run, or --sbatch-arg did not reach the report job"
[ -f "$work/results/slurm-e2e/summary.md" ] || fail "no summary.md after the first array"

# ---- retry: the same command again resumes the long run; the other tasks find nothing -------
note "re-submitting"
submit submit2
array2=$array
report2=$report
wait_until 120 "array $array2 to end" finished "$array2"
wait_until 60 "report job $report2 to end" finished "$report2"
note "second array done"
# seconds between a task log's first line and optsweep's exit
task_seconds() {
    local a b
    a=$(sed -n 's/.* at \([0-9T:-]*Z\)$/\1/p' "$1" | head -1)
    b=$(sed -n 's/^optsweep-slurm: .*exited with status [0-9]* at \([0-9T:-]*Z\)$/\1/p' "$1" | tail -1)
    [ -n "$a" ] && [ -n "$b" ] && echo $(($(date -d "$b" +%s) - $(date -d "$a" +%s)))
}
idle=0
for t in 0 1 2 3; do
    l=$logs/${array2}_$t.out
    if grep -q "$long: resuming after epoch" "$l"; then continue; fi
    log_has "$l" "optsweep exited with status 0" || fail "task $t of the second array: $(tail -2 "$l")"
    grep -qE "^sweep slurm-e2e: 0 trained" "$l" || fail "task $t of the second array trained something"
    s=$(task_seconds "$l")
    [ -n "$s" ] && [ "$s" -le 15 ] || fail "task $t of the second array, with nothing to do, took ${s:-?} s"
    idle=$((idle + 1))
done
[ "$idle" -eq 3 ] || fail "$idle tasks of the second array found nothing to do, want 3"

# ---- checks --------------------------------------------------------------------------------
summary=$work/results/slurm-e2e/summary.md
for t in 0 1 2 3; do
    for a in $array1 $array2; do
        [ -f "$logs/${a}_$t.out" ] || fail "no log for task ${a}_$t"
    done
done
wait "$ref_pid" || fail "the reference sweep failed (ref.log)"
ref_pid=
for i in 0 1 2 3 4; do
    id=${ids[$i]}
    [ "$(h5attr "$runs/$id.h5" status)" = completed ] || fail "run $id is not completed"
    grep -q "$id" "$summary" || fail "summary.md does not list run $id"
    # trained exactly once: one fresh start and one completion in all task logs
    starts=$(cat "$logs"/[0-9]*_[0-9]*.out | grep -cE "^run [0-9]+/[0-9]+ $id(  |$)")
    ends=$(cat "$logs"/[0-9]*_[0-9]*.out | grep -cE "^run [0-9]+/[0-9]+ $id: completed")
    [ "$starts" -eq 1 ] && [ "$ends" -eq 1 ] ||
        fail "run $id was started $starts and completed $ends times (want 1 and 1)"
    want_attempts=1
    [ "$id" = "$long" ] && want_attempts=4
    [ "$(h5attr "$runs/$id.h5" attempts)" = "$want_attempts" ] ||
        fail "run $id: attempts $(h5attr "$runs/$id.h5" attempts), want $want_attempts"
    # the same bits as the serial sweep (same backend, binary and thread count)
    run_results "$runs/$id.h5" >"$work/run.dump" || fail "h5dump of run $id"
    run_results "$work/ref/slurm-e2e/runs/$id.h5" >"$work/ref.dump" || fail "h5dump of the reference of $id"
    [ -s "$work/ref.dump" ] || fail "empty reference dump of $id"
    cmp -s "$work/run.dump" "$work/ref.dump" ||
        fail "run $id differs from the serial sweep's: $(diff "$work/run.dump" "$work/ref.dump" | head -5)"
done
[ "$(cat "$logs"/[0-9]*_[0-9]*.out | grep -c "$long: resuming after epoch")" -eq 3 ] ||
    fail "the long run did not resume three times"
left=$(find "$runs" -name '*.lock' -o -name '*.ckpt.h5')
[ -z "$left" ] || fail "locks or checkpoints left behind: $left"

"$bin" status "$work/results/slurm-e2e" >"$work/status-end.log" 2>&1 || fail "optsweep status at the end"
grep -q "done *5" "$work/status-end.log" || fail "status does not count 5 done runs"
note "PASS: 5 runs over 4 tasks claiming as they go, identical to a serial sweep; USR1, scontrol requeue and scancel + resubmission resumed bit-identically (stopped after epochs $stop1 and $stop2); task 2's failure taken up by the others"
