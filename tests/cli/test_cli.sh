#!/usr/bin/env bash
# test_cli.sh OPTSWEEP SOURCE_DIR — the command line: --help and --version, every subcommand's
# --help, usage errors (exit 2 with a message saying what was expected), `optsweep plan` on
# every shipped config in every format, --set, and shards (from --shard and from a SLURM array
# task's environment) that cover the plan exactly once.
set -u
bin=$1
src=$2
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$src" || exit 1

bad() { echo "FAIL: $*"; fail=1; }

# expect STATUS PATTERN -- ARGS...: exit status STATUS and PATTERN (grep -E) in stdout+stderr
expect() {
    local status=$1 pattern=$2
    shift 3
    "$bin" "$@" >"$tmp/out" 2>&1
    local rc=$?
    if [ "$rc" -ne "$status" ]; then
        bad "optsweep $*: exit status $rc, expected $status"; sed 's/^/    /' "$tmp/out"
    elif ! grep -qE -- "$pattern" "$tmp/out"; then
        bad "optsweep $*: output lacks /$pattern/"; sed 's/^/    /' "$tmp/out"
    fi
}

# --- help and version -----------------------------------------------------------------------
expect 0 '^usage: optsweep COMMAND' -- --help
for c in plan run report status fetch slurm; do
    grep -q "^  $c " "$tmp/out" || bad "optsweep --help does not list $c"
done
expect 0 '^optsweep [0-9]+\.[0-9]+\.[0-9]+ \(git [0-9a-f]+|unknown\)' -- --version
for c in plan run report status fetch slurm; do
    expect 0 "usage: optsweep $c" -- "$c" --help
    expect 0 "usage: optsweep $c" -- help "$c"
done

# --- usage errors: exit 2, and say what was expected ------------------------------------------
expect 2 'usage: optsweep COMMAND' --
expect 2 "unknown command 'paln' \(did you mean 'plan'\?\); expected one of: plan," -- paln
expect 2 "unknown option '--hlep'" -- --hlep
expect 2 "which sweep file" -- plan
expect 2 "unknown option '--fromat' \(did you mean '--format'\?\)" -- plan configs/quick.yaml --fromat json
expect 2 "--format: expected table, tsv, json or ids, found 'xml'" -- plan configs/quick.yaml --format xml
expect 2 "--format needs" -- plan configs/quick.yaml --format
expect 2 "--shard: expected I/N with 0 <= I < N \(like 0/4\), found '4/4'" -- plan configs/quick.yaml --shard 4/4
expect 2 "--max-runs: expected a positive integer" -- plan configs/quick.yaml --max-runs 0
expect 2 "--set needs KEY=VALUE" -- plan configs/quick.yaml --set
expect 2 "--format json prints one plan: give one sweep file" -- plan configs/quick.yaml configs/schedules.yaml --format json
# several files: one plan after the other; a bad one is reported, the others still print
n_all=0
for f in configs/*.yaml; do n_all=$((n_all + $("$bin" plan "$f" --format ids 2>/dev/null | wc -l))); done
[ "$("$bin" plan configs/*.yaml --format ids 2>/dev/null | wc -l)" -eq "$n_all" ] ||
    bad "optsweep plan configs/*.yaml --format ids: not every plan's runs"
[ "$("$bin" plan configs/*.yaml 2>/dev/null | grep -c '^total: ')" -eq "$(ls configs/*.yaml | wc -l)" ] ||
    bad "optsweep plan configs/*.yaml: not one table per file"
"$bin" plan configs/quick.yaml "$src/tests/config/bad/lr-zero.yaml" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q '^total: 8 runs' "$tmp/out" && grep -q 'lr-zero.yaml:2:28: ' "$tmp/err" ||
    bad "optsweep plan GOOD BAD: expected GOOD's plan, BAD's error and exit status 2"
expect 2 "cannot open the sweep file: No such file" -- plan configs/no-such-file.yaml
expect 2 "--backend: expected auto, cpu or cuda, found 'gpu'" -- run configs/quick.yaml --backend gpu
expect 2 "--jobs: expected an integer from 1 to 1024, found '0'" -- run configs/quick.yaml --jobs 0
expect 2 "unknown option '--forse' \(did you mean '--force'\?\)" -- run configs/quick.yaml --forse
expect 2 "^--set optimizer.lrr=0.1: unknown key 'optimizer.lrr' \(did you mean 'optimizer.lr'\?\)" -- \
    plan configs/quick.yaml --set optimizer.lrr=0.1
SLURM_ARRAY_TASK_ID=7 SLURM_ARRAY_TASK_COUNT=4 "$bin" plan configs/quick.yaml >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "SLURM_ARRAY_TASK_ID=7 is not one of the 4 tasks" "$tmp/err" ||
    bad "a SLURM task id outside the array was not refused"

# --- every shipped config plans, in every format ----------------------------------------------
for f in configs/*.yaml; do
    "$bin" plan "$f" >"$tmp/table" 2>"$tmp/err" || { bad "optsweep plan $f failed"; cat "$tmp/err"; continue; }
    n=$("$bin" plan "$f" --format ids 2>/dev/null | wc -l)
    [ "$n" -gt 0 ] || bad "optsweep plan $f --format ids printed no runs"
    grep -q "^total: $n runs\?," "$tmp/table" || bad "optsweep plan $f: the table total is not $n runs"
    [ "$("$bin" plan "$f" --format tsv 2>/dev/null | wc -l)" -eq $((n + 1)) ] ||
        bad "optsweep plan $f --format tsv: not a header plus $n lines"
    [ "$("$bin" plan "$f" --format ids 2>/dev/null | sort -u | wc -l)" -eq "$n" ] ||
        bad "optsweep plan $f: run ids are not unique"
    "$bin" plan "$f" --format json >"$tmp/json" 2>/dev/null || bad "optsweep plan $f --format json failed"
    if [ -x /usr/bin/python3 ]; then
        /usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert len(r)==int(sys.argv[2]); assert all("optimizer.lr" in x["settings"] for x in r)' \
            "$tmp/json" "$n" || bad "optsweep plan $f --format json: not a JSON array of $n runs"
    fi
    # shards: each run in exactly one of 3 shards, also when SLURM chooses the shard
    "$bin" plan "$f" --format ids 2>/dev/null | sort >"$tmp/all"
    : >"$tmp/union"
    for i in 0 1 2; do
        "$bin" plan "$f" --format ids --shard "$i/3" 2>/dev/null >>"$tmp/union"
        SLURM_ARRAY_TASK_ID=$((i + 1)) SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=3 \
            "$bin" plan "$f" --format ids 2>/dev/null >"$tmp/slurm"
        "$bin" plan "$f" --format ids --shard "$i/3" 2>/dev/null | cmp -s - "$tmp/slurm" ||
            bad "optsweep plan $f: SLURM task $((i + 1)) of 1-3 is not --shard $i/3"
    done
    sort "$tmp/union" | cmp -s - "$tmp/all" || bad "optsweep plan $f: shards 0..2/3 do not cover the plan once"
done
expect 0 '^quick$' -- plan configs/quick.yaml --sweep-name

# --- --set ----------------------------------------------------------------------------------
expect 0 'total: 8 runs, 3760 steps' -- plan configs/quick.yaml --set train.epochs=2
expect 0 'total: 8 runs, 3760 steps' -- plan configs/quick.yaml -s train.epochs=2
expect 0 'total: 8 runs, 3760 steps' -- plan configs/quick.yaml --set=train.epochs=2
expect 0 'total: 16 runs' -- plan configs/quick.yaml --set 'train.seed=[0, 1]'
expect 0 '256, 256' -- plan configs/quick.yaml --set 'model.hidden=[[128], [256, 256]]'
expect 0 'total: 16 runs' -- plan configs/momentum-vs-lr.yaml --set 'optimizer.lr={logspace: [1e-4, 1e-1, 4]}' \
    --set 'train.seed=[0, 1]' --set optimizer.momentum=0.9

[ "$fail" -eq 0 ] && echo "ok: command line"
exit "$fail"
