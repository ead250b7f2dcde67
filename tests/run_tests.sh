#!/usr/bin/env bash
# run_tests.sh — the README's test command: installs missing packages, builds optsweep into
# build/ (Release) and runs every ctest test.  Tests that need a GPU or SLURM skip themselves
# where those are missing.  python3-torch and python3-h5py are not needed: they only
# regenerate the committed PyTorch fixtures (tests/reference/gen_reference.py).
#
# Usage: tests/run_tests.sh [--debug] [ctest options...]
#   --debug   build into build-debug/ with AddressSanitizer and UBSan, and test that
#   e.g. tests/run_tests.sh -R config_   (only the tests whose name matches)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

dir=build
type=Release
if [ "${1:-}" = --debug ]; then
    dir=build-debug
    type=Debug
    shift
fi

scripts/install_deps.sh
# clang with libFuzzer for tests/fuzz (issue #11's bounded fuzzing): optional, the fuzz test
# skips (exit 77) where it cannot be installed
scripts/install_deps.sh clang libclang-rt-dev >/dev/null 2>&1 ||
    echo "run_tests.sh: clang/libFuzzer not installed: the fuzz test will be skipped" >&2

if [ ! -f "$dir/CMakeCache.txt" ]; then
    # OPTSWEEP_CMAKE_ARGS: extra configure options, e.g. -DOPTSWEEP_CUDA=OFF
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="$type" ${OPTSWEEP_CMAKE_ARGS:-}
fi
jobs=$(nproc 2>/dev/null || echo 2)
cmake --build "$dir" -j "$jobs"
cd "$dir"
exec ctest --output-on-failure -j "$jobs" "$@"
