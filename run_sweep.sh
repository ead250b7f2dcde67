#!/usr/bin/env bash
# run_sweep.sh — the one command: installs what is missing, builds optsweep into build/,
# fetches the data the sweep needs, trains the sweep and writes its report.
#
# Usage: ./run_sweep.sh [CONFIG] [optsweep run options...]
#   CONFIG defaults to configs/quick.yaml (a handful of optimizers on MNIST, a couple of
#   minutes on 2 CPU cores).  Options go to `optsweep run` (optsweep run --help), e.g.
#   ./run_sweep.sh configs/schedules.yaml --set train.epochs=5 --jobs 2
# Results: results/<name>/ (HDF5 per run, summary.md) and plots/<name>/ (figures).
# Running it again resumes: finished runs are kept, interrupted ones continue.
# OPTSWEEP_CMAKE_ARGS adds CMake options to the first configure (e.g. -DOPTSWEEP_CUDA=OFF).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

config=configs/quick.yaml
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
    config=$1
    shift
fi
[ -f "$config" ] || { echo "run_sweep.sh: no sweep file '$config' (see configs/)" >&2; exit 2; }

# 1. packages (apt-get as root or with sudo; otherwise the exact command to run)
scripts/install_deps.sh

# 2. build (Release) into build/
if [ ! -f build/CMakeCache.txt ]; then
    # OPTSWEEP_CMAKE_ARGS: extra configure options, e.g. -DOPTSWEEP_CUDA=OFF
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release ${OPTSWEEP_CMAKE_ARGS:-}
fi
cmake --build build -j "$(nproc 2>/dev/null || echo 2)"

# 3. the sweep must be valid before anything is downloaded or trained (errors are listed);
#    plan takes the run options that shape the plan: --set, --shard, --max-runs
plan_args=()
args=("$@")
results=results
for ((i = 0; i < ${#args[@]}; i++)); do
    case ${args[i]} in
        --set | -s | --shard | --max-runs) plan_args+=("${args[i]}" "${args[i + 1]:-}"); i=$((i + 1)) ;;
        --set=* | --shard=* | --max-runs=*) plan_args+=("${args[i]}") ;;
        --results) results=${args[i + 1]:-results}; i=$((i + 1)) ;;
        --results=*) results=${args[i]#--results=} ;;
    esac
done
status=0
build/optsweep plan "$config" ${plan_args[@]+"${plan_args[@]}"} --format ids >/dev/null || status=$?
[ "$status" -eq 0 ] || exit "$status"
name=$(build/optsweep plan "$config" --sweep-name)

# 4. data: every (dataset, dir) the plan uses, fetched when its files are missing
has_files() {
    local f
    for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
        [ -f "$1/$f" ] || [ -f "$1/$f.gz" ] || return 1
    done
}
build/optsweep plan "$config" ${plan_args[@]+"${plan_args[@]}"} --format json 2>/dev/null |
    { grep -o '"data.dataset": "[a-z_]*", "data.dir": "[^"]*"' || true; } | sort -u |
    sed 's/"data.dataset": "\([a-z_]*\)", "data.dir": "\(.*\)"/\1 \2/' |
    while read -r dataset dir; do
        has_files "$dir" || build/optsweep fetch "$dataset" --dir "$dir" </dev/null
    done

# 5. train (exit 1 = some runs failed: still worth a report; 2 = input error; >128 = signal)
status=0
build/optsweep run "$config" "$@" || status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
    exit "$status"
fi

# 6. report: results/<name>/summary.md and plots/<name>/
build/optsweep report "$results/$name"
echo "run_sweep.sh: done: $results/$name/summary.md"
exit "$status"
