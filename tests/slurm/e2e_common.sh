# e2e_common.sh — sourced by the short end-to-end SLURM tests (test_slurm_search.sh,
# test_slurm_halving.sh) after they set bin, src and `name`: skips (exit 77) without root or
# SLURM, makes the work folder $work (mode 0755: slurmd reads it), starts the cluster
# (slurm_local.sh, its state under $work) and, on every exit, prints the tail of the logs of
# a failed test, stops the daemons by PID and removes $work.  Gives skip, fail and
# wait_finished SECONDS JOB (until squeue no longer lists JOB).
slurm_local=$src/tests/slurm/slurm_local.sh
skip() { echo "skipped: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || skip "needs root to start slurmctld, slurmd and munged"
"$slurm_local" install || skip "SLURM packages are missing and could not be installed"

work=$(mktemp -d "${TMPDIR:-/tmp}/optsweep-$name.XXXXXX") || fail "mktemp"
chmod 0755 "$work"
export SLURM_LOCAL_DIR=$work/slurm
e2e_on_exit() {
    local rc=$?
    trap - EXIT INT TERM
    [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] &&
        tail -n 15 "$work"/*.log "$work"/results/*/slurm/logs/*.out >&2 2>/dev/null
    "$slurm_local" stop
    rm -rf "$work"
    exit "$rc"
}
trap e2e_on_exit EXIT
trap 'exit 1' INT TERM

eval "$("$slurm_local" start)" || fail "slurm_local.sh start"
[ -n "${SLURM_CONF:-}" ] || fail "slurm_local.sh start printed no SLURM_CONF"

wait_finished() { # SECONDS JOB
    local i out
    for ((i = 0; i < $1 * 5; i++)); do
        out=$(squeue -h -j "$2" -o %i 2>/dev/null) && [ -z "$out" ] && return 0
        sleep 0.2
    done
    fail "job $2 did not end within $1 s"
}
