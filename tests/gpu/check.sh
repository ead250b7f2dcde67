#!/usr/bin/env bash
# check.sh — the one prepared script for a machine with a GPU (an H100/H200 with the CUDA toolkit
# and PyTorch, but no libyaml, HDF5 or OpenBLAS and no network).  In one go: unpacks the Debian
# packages of deps/debs/ (tests/gpu/fetch_debs.sh) into deps/root, builds optsweep against them
# with the CUDA backend, runs the GPU tests (ctest -L gpu: parity with the CPU backend), a short
# training under compute-sanitizer (memcheck, racecheck), the benchmark (bench/gpu), an
# end-to-end `optsweep run --backend cuda`, the CPU unit tests, and prints a summary table.
# It keeps going past a failing step (most information per device call), but stops when the
# build fails, printing the build log's tail.  Budget: CHECK_BUDGET seconds (default 500).
#
# usage: tests/gpu/check.sh [--no-gpu]
#   --no-gpu   skip the steps that need a GPU (to prove the deps + build path on a CPU machine)
# env: OUT (logs go to $OUT/check.log, else /tmp/optsweep-check), JOBS (default: all cores),
#      CHECK_BUDGET (seconds), CHECK_DATA (MNIST for the benchmark, default data/mnist),
#      CHECK_ONLY (e.g. "gpu_tests bench": after the build, run only these steps; for a rerun)
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
gpu=1
[ "${1:-}" = "--no-gpu" ] && gpu=0
out=${OUT:-/tmp/optsweep-check}
mkdir -p "$out"
log=$out/check.log
: >"$log"
work=$(mktemp -d /tmp/optsweep-check.XXXXXX)
jobs=${JOBS:-$(nproc)}
budget=${CHECK_BUDGET:-500}
data=${CHECK_DATA:-$root/data/mnist}
deps=$root/deps/root
build=$root/build-gpu
arch_lib=x86_64-linux-gnu
t_start=$(date +%s)

names=() results=() times=() notes=()

elapsed() { echo $(($(date +%s) - t_start)); }

# record NAME RESULT SECONDS NOTE
record() {
    names+=("$1"); results+=("$2"); times+=("$3"); notes+=("$4")
    printf '== %-14s %-5s %4ss  %s\n' "$1" "$2" "$3" "$4" | tee -a "$log"
}

# step NAME TIMEOUT COMMAND: runs COMMAND (a bash string) with its output in $work/NAME.log and
# appended to $OUT/check.log; on failure prints the log's tail.  Returns the command's status.
step() {
    local name=$1 limit=$2 cmd=$3
    local left=$((budget - $(elapsed)))
    case "$name" in info | deps | configure | build | build_gpu) ;;
    *)  if [ -n "${CHECK_ONLY:-}" ] && [[ " $CHECK_ONLY " != *" $name "* ]]; then
            record "$name" skip 0 "not in CHECK_ONLY"
            return 98
        fi ;;
    esac
    if [ "$left" -lt 20 ]; then
        record "$name" skip 0 "out of time budget (${budget}s)"
        return 99
    fi
    [ "$limit" -gt "$left" ] && limit=$left
    echo "---- $name: $cmd" >>"$log"
    local t0 rc
    t0=$(date +%s)
    timeout --kill-after=10 "$limit" bash -c "$cmd" >"$work/$name.log" 2>&1
    rc=$?
    cat "$work/$name.log" >>"$log"
    local secs=$(($(date +%s) - t0))
    local note="" result=ok
    if [ "$rc" -ne 0 ]; then
        result=FAIL
        note="exit $rc"
        [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && note="timed out after ${limit}s"
        echo "---- $name failed ($note); last lines:"
        tail -n 40 "$work/$name.log"
    fi
    record "$name" "$result" "$secs" "$note"
    return "$rc"
}

summary() {
    {
        echo
        if [ -s "$work/gpu_tests.log" ]; then
            echo "== parity (max relative differences, cpu vs cuda)"
            grep -E '^(data:|philox|epoch perm|cuda determinism|[a-z0-9_]+ +(ok|FAIL)|ok:|FAIL)' \
                "$work/gpu_tests.log" | head -n 40
        fi
        if [ -s "$work/bench.log" ]; then
            sed -n '/^== summary/,$p' "$work/bench.log"
        fi
        echo
        echo "== check.sh summary ($(elapsed) s of ${budget} s budget; full log: $log)"
        printf '%-14s %-5s %6s  %s\n' step result time note
        local i
        for i in "${!names[@]}"; do
            printf '%-14s %-5s %5ss  %s\n' "${names[$i]}" "${results[$i]}" "${times[$i]}" \
                "${notes[$i]}"
        done
    } | tee "$out/summary.txt"
    local i failed=0
    for i in "${!names[@]}"; do
        [ "${results[$i]}" = FAIL ] && failed=$((failed + 1))
    done
    echo "$failed step(s) failed" | tee -a "$out/summary.txt"
    # $OUT brings back at most 8 files: check.log has every step; these two are the key ones
    for f in gpu_tests bench; do
        [ -s "$work/$f.log" ] && cp "$work/$f.log" "$out/"
    done
    rm -rf "$work"
    return "$failed"
}

# ---- 1. the machine -------------------------------------------------------------------------
info() {
    echo "host $(uname -srm), $(nproc) cores, $(sed -n 's/^PRETTY_NAME=//p' /etc/os-release 2>/dev/null)"
    nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv 2>&1 | head -3
    nvidia-smi -L 2>&1 | head -2
    (nvcc --version 2>&1 || /usr/local/cuda/bin/nvcc --version 2>&1) | tail -2
    compute-sanitizer --version 2>&1 | head -2
    cmake --version | head -1
    python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.is_available())' 2>&1 | tail -1
    echo "system libraries (expected absent): $(ldconfig -p 2>/dev/null | grep -oE 'lib(yaml|hdf5_serial|openblas)[^ ]*' | sort -u | tr '\n' ' ')"
    echo "deps/debs: $(ls deps/debs/*.deb 2>/dev/null | wc -l) packages; data: $(ls "$data" 2>/dev/null | tr '\n' ' ')"
}
step info 60 "$(declare -f info); data='$data'; info"
if [ "$gpu" = 1 ] && ! nvidia-smi -L >/dev/null 2>&1; then
    echo "check.sh: nvidia-smi sees no GPU: the GPU steps will fail"
fi

# ---- 2. dependencies from .debs -------------------------------------------------------------
# dpkg -x each package into deps/root (never into /); python's tarfile when dpkg is missing.
# Then absolute symlinks (libz.so -> /lib/...) are pointed into deps/root.
unpack_debs() {
    set -e
    ls deps/debs/*.deb >/dev/null
    rm -rf "$deps"
    mkdir -p "$deps"
    for f in deps/debs/*.deb; do
        if command -v dpkg-deb >/dev/null; then
            dpkg-deb -x "$f" "$deps"
        else
            python3 - "$deps" "$f" <<'PY'
import io, sys, tarfile
dest, path = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
assert data[:8] == b"!<arch>\n", path
pos = 8
while pos < len(data):
    hdr = data[pos:pos + 60]
    name, size = hdr[:16].strip().decode(), int(hdr[48:58])
    body = data[pos + 60:pos + 60 + size]
    pos += 60 + size + (size & 1)
    if name.startswith("data.tar"):
        t = tarfile.open(fileobj=io.BytesIO(body))
        if hasattr(tarfile, "fully_trusted_filter"):
            t.extractall(dest, filter="fully_trusted")
        else:
            t.extractall(dest)
PY
        fi
    done
    find "$deps" -type l -lname '/*' | while read -r l; do
        t=$(readlink "$l")
        if [ -e "$deps$t" ]; then ln -sfn "$deps$t" "$l"; fi
    done
    for f in usr/include/yaml.h usr/include/hdf5/serial/hdf5.h usr/include/zlib.h \
             usr/include/$arch_lib/openblas-pthread/cblas.h usr/lib/$arch_lib/libyaml.so \
             usr/lib/$arch_lib/libhdf5_serial.so usr/lib/$arch_lib/libz.so \
             usr/lib/$arch_lib/openblas-pthread/libopenblas.so; do
        [ -e "$deps/$f" ] || { echo "missing after unpacking: $f"; exit 1; }
    done
    echo "unpacked $(ls deps/debs/*.deb | wc -l) packages into $deps ($(du -sh "$deps" | cut -f1))"
}
if ! step deps 120 "$(declare -f unpack_debs); deps='$deps'; arch_lib='$arch_lib'; unpack_debs"; then
    echo "check.sh: no dependencies (run tests/gpu/fetch_debs.sh and carry deps/debs): stopping"
    summary
    exit 1
fi

# ---- 3. configure and build -----------------------------------------------------------------
# CMAKE_PREFIX_PATH finds the unpacked headers and libraries first; an RPATH (not RUNPATH:
# --disable-new-dtags, so it also covers the libraries' own dependencies, e.g. HDF5's libsz)
# lets every binary run without LD_LIBRARY_PATH.
libdirs="$deps/usr/lib/$arch_lib;$deps/usr/lib/$arch_lib/openblas-pthread;$deps/lib/$arch_lib"
generator="Unix Makefiles"
command -v ninja >/dev/null && generator=Ninja
step configure 120 "rm -rf '$build' && cmake -S '$root' -B '$build' -G '$generator' \
    -DCMAKE_BUILD_TYPE=Release -DOPTSWEEP_CUDA=ON -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
    -DCMAKE_PREFIX_PATH='$deps/usr' \
    -DCMAKE_BUILD_RPATH='$libdirs' \
    -DCMAKE_EXE_LINKER_FLAGS='-Wl,--disable-new-dtags -Wl,-rpath-link,$deps/usr/lib/$arch_lib:$deps/lib/$arch_lib'"
configured=$?
built=1
if [ "$configured" = 0 ]; then
    step build 360 "cmake --build '$build' -j $jobs" && built=0
    if [ "$built" != 0 ]; then
        # someone else's file may be broken: build what this check needs, if it can
        step build_gpu 240 "cmake --build '$build' -j $jobs --target test_gpu_parity \
            test_gpu_no_device bench_gpu" && built=0
    fi
fi
if [ "$built" != 0 ]; then
    echo "check.sh: the build failed; build log tail:"
    tail -n 60 "$work/build_gpu.log" 2>/dev/null || tail -n 60 "$work/build.log" 2>/dev/null ||
        tail -n 60 "$work/configure.log"
    summary
    exit 1
fi

# ---- 4. the binaries use deps/root, nothing missing -----------------------------------------
linkage() {
    local bad=0
    for b in "$build/optsweep" "$build/test_gpu_parity"; do
        [ -x "$b" ] || continue
        echo "$b:"
        ldd "$b" | grep -E 'yaml|hdf5|openblas|gfortran|libsz|libaec|libcurl|libz\.|cudart|cublas|not found'
        if ldd "$b" | grep -q 'not found'; then bad=1; fi
    done
    # optsweep links all three (test programs only what they use: ld's --as-needed)
    for l in libyaml libhdf5_serial libopenblas; do
        ldd "$build/optsweep" | grep "$l" | grep -q "$deps" ||
            { echo "  optsweep: $l does not come from $deps"; bad=1; }
    done
    grep -h -o -- "-I[^ ]*\(hdf5\|openblas\)[^ ]*" "$build/compile_commands.json" 2>/dev/null | sort -u
    return $bad
}
step linkage 60 "$(declare -f linkage); build='$build'; deps='$deps'; linkage"

# ---- 5. GPU tests ---------------------------------------------------------------------------
gpu_tests() {
    ctest --test-dir "$build" -L gpu --output-on-failure --timeout 400 -V 2>&1 |
        sed -e 's/^[0-9]*: //'
    local rc=${PIPESTATUS[0]}
    if [ "$gpu" = 1 ] && grep -q 'skipped: no CUDA device' "$work/gpu_tests.log"; then
        echo "the parity test was skipped on a machine that should have a GPU"
        return 1
    fi
    return "$rc"
}
step gpu_tests 420 "$(declare -f gpu_tests); build='$build'; gpu=$gpu; work='$work'; data='$data'; gpu_tests"

# ---- 6. compute-sanitizer on a short training -----------------------------------------------
parity=$build/test_gpu_parity
slice=$root/tests/data/mnist-slice
if [ "$gpu" = 1 ]; then
    step memcheck 150 "compute-sanitizer --tool memcheck --error-exitcode 9 --print-limit 20 \
        '$parity' '$slice' --only adam --epochs 1"
    step racecheck 150 "compute-sanitizer --tool racecheck --error-exitcode 9 --print-limit 20 \
        '$parity' '$slice' --only sgd_momentum --epochs 1"
    step synccheck 90 "compute-sanitizer --tool synccheck --error-exitcode 9 --print-limit 20 \
        '$parity' '$slice' --only full_batch --epochs 1"
else
    record memcheck skip 0 "--no-gpu"
    record racecheck skip 0 "--no-gpu"
    record synccheck skip 0 "--no-gpu"
fi

# ---- 7. benchmark -----------------------------------------------------------------------------
if [ "$gpu" = 1 ]; then
    if [ -e "$data/train-images-idx3-ubyte" ] || [ -e "$data/train-images-idx3-ubyte.gz" ]; then
        step bench 360 "PYTHON=python3 EPOCHS=30 PACK=64 PACK_EPOCHS=3 bash '$root/bench/gpu/bench_gpu.sh' '$build' '$data'"
    elif [ -n "${CHECK_ONLY:-}" ] && [[ " $CHECK_ONLY " != *" bench "* ]]; then
        record bench skip 0 "not in CHECK_ONLY"
    else
        record bench FAIL 0 "no MNIST in $data (carry data/mnist)"
    fi
else
    record bench skip 0 "--no-gpu"
fi

# ---- 8. end to end: optsweep run --backend cuda -----------------------------------------------
e2e() {
    local dir=$work/e2e
    mkdir -p "$dir"
    cat >"$dir/gpu-smoke.yaml" <<EOF
name: gpu-smoke
data: {dataset: mnist, dir: $slice, val_from_test: 0.5, split_seed: 0}
model: {hidden: [128, 128, 128], activation: leaky_relu}
train: {epochs: 5, batch_size: 256, seed: 0, validation_freq: 1}
optimizer: {name: sgd, lr: 0.05}
cases:
  - {name: momentum, optimizer: {momentum: 0.9}}
  - {name: adam, optimizer: {name: adam, lr: 0.001}}
EOF
    "$build/optsweep" run "$dir/gpu-smoke.yaml" --backend cuda --results "$dir/results" &&
        "$build/optsweep" status "$dir/results/gpu-smoke"
}
if [ "$gpu" = 1 ]; then
    step e2e 120 "$(declare -f e2e); work='$work'; slice='$slice'; build='$build'; e2e"
else
    record e2e skip 0 "--no-gpu"
fi

# ---- 9. CPU unit tests (no gnuplot, no SLURM, no network there) -------------------------------
# h5dump (tests/store) is the unpacked one: it has no RPATH, hence LD_LIBRARY_PATH here only
step cpu_tests 180 "PATH='$deps/usr/bin':\$PATH LD_LIBRARY_PATH='${libdirs//;/:}' ctest --test-dir '$build' -LE 'gpu|slurm' -E '${CHECK_CTEST_EXCLUDE:-data_fetch_script}' \
    -j $jobs --timeout 170 --output-on-failure"

summary
exit $?
