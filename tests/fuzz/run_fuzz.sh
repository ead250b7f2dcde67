#!/bin/bash
# run_fuzz.sh — the fuzzing of issue #11 ("keep it so"), bounded for CI: builds three libFuzzer
# targets with clang under AddressSanitizer and UBSan (fuzz_config: sweep files; fuzz_idx:
# IDX files; fuzz_h5: run files and checkpoints, structure-aware) against optsweep's sources
# (objects cached in BUILD_DIR/fuzz/obj: only what changed is recompiled; ~40 s the first
# time on 2 cores), and runs each for SECONDS (default 5) from a seed corpus.  Any crash,
# leak, undefined behaviour or input slower than 5 s fails the test, with the input kept
# under BUILD_DIR/fuzz/artifacts and the command that reproduces it.  Skipped (exit 77) where clang
# with libFuzzer is missing (it is not a small package: apt-get install clang).
# Longer runs by hand: FUZZ_SECONDS=600 tests/fuzz/run_fuzz.sh . build
# Usage: run_fuzz.sh SOURCE_DIR BUILD_DIR [SECONDS]
set -u
src=$(cd "$1" && pwd) build=$(mkdir -p "$2" && cd "$2" && pwd)
seconds=${3:-${FUZZ_SECONDS:-5}}
clang=${CLANG:-clang}
out=$build/fuzz
mkdir -p "$out/artifacts"
S=$src/src

flags=(-O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -D_POSIX_C_SOURCE=200809L -DOPTSWEEP_VERSION='"fuzz"' -DOPTSWEEP_GIT_REV='"fuzz"'
       "-DOPTSWEEP_SOURCE_DIR=\"$src\"" -I"$S")
hdf5_inc=$(dirname "$(find /usr/include -name hdf5.h -path '*serial*' 2>/dev/null | head -1)" 2>/dev/null)
hdf5_lib=$(dirname "$(find /usr/lib -name 'libhdf5_serial.so' 2>/dev/null | head -1)" 2>/dev/null)

# the toolchain: a trivial target must build, else skip
probe=$out/probe.c
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' >"$probe"
if ! "$clang" "${flags[@]}" "$probe" -o "$out/probe" >"$out/probe.log" 2>&1; then
    echo "skipped: $clang cannot build a libFuzzer target with ASan/UBSan (apt-get install clang): $(head -2 "$out/probe.log")"
    exit 77
fi

# optsweep's sources (all but main.c; the CUDA stub) as instrumented objects, each rebuilt
# only when it or a header is newer, so that a target never misses a new dependency
mkdir -p "$out/obj"
blas_inc=$(dirname "$(find /usr/include -name cblas.h -path '*openblas*' 2>/dev/null | head -1)" 2>/dev/null)
cflags=("${flags[@]/-fsanitize=fuzzer,/-fsanitize=fuzzer-no-link,}" ${hdf5_inc:+-I"$hdf5_inc"} ${blas_inc:+-I"$blas_inc"})
newest_h=$(ls -t "$S"/*.h | head -1)
todo=()
for c in "$S"/*.c; do
    [ "$(basename "$c")" = main.c ] && continue
    o=$out/obj/$(basename "$c" .c).o
    if [ ! -f "$o" ] || [ "$c" -nt "$o" ] || [ "$newest_h" -nt "$o" ]; then todo+=("$c"); fi
done
if [ ${#todo[@]} -gt 0 ]; then
    printf '%s\n' "${todo[@]}" | xargs -P "$(nproc 2>/dev/null || echo 2)" -I{} sh -c \
        '"$0" "$@" -c "{}" -o "$1/obj/$(basename "{}" .c).o" 2>>"$1/obj/build.log" || echo "{}" >>"$1/obj/failed"' \
        "$clang" "$out" "${cflags[@]}"
    if [ -s "$out/obj/failed" ]; then
        echo "FAIL: compiling $(cat "$out/obj/failed"): $(tail -5 "$out/obj/build.log")"
        rm -f "$out/obj/failed"
        exit 1
    fi
fi
libs=(${hdf5_lib:+-L"$hdf5_lib"} -lhdf5_serial -lyaml -lz -lopenblas -lpthread -ldl -lm)
fail_build=0
for t in config idx h5; do
    bin=$out/fuzz_$t
    if [ ! -x "$bin" ] || [ -n "$(find "$out/obj" "$src/tests/fuzz/fuzz_$t.c" -newer "$bin" -name '*.[co]' | head -1)" ]; then
        "$clang" "${flags[@]}" ${hdf5_inc:+-I"$hdf5_inc"} "$src/tests/fuzz/fuzz_$t.c" \
            "$out"/obj/*.o "${libs[@]}" -o "$bin" \
            >"$out/fuzz_$t.build.log" 2>&1 \
            || { echo "FAIL: linking fuzz_$t: $(grep -m5 -E 'error|undefined' "$out/fuzz_$t.build.log")"; fail_build=1; }
    fi
done
[ $fail_build -eq 0 ] || exit 1

# seed corpora, fresh each time (libFuzzer adds what it finds to them)
tmp=$(mktemp -d /tmp/optsweep-fuzz.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/config" "$tmp/idx" "$tmp/h5"
cp "$src"/configs/*.yaml "$src"/tests/config/bad/*.yaml "$tmp/config/"
printf '\x00\x00\x08\x01\x00\x00\x00\x03\x01\x02\x03' >"$tmp/idx/labels"
{ printf '\x00\x00\x08\x03\x00\x00\x00\x01\x00\x00\x00\x1c\x00\x00\x00\x1c'; head -c 784 /dev/zero; } >"$tmp/idx/images"
gzip -c "$tmp/idx/labels" >"$tmp/idx/labels.gz"
printf '\x0b' >"$tmp/h5/skeleton"            # flags: skeleton of 2 epochs, sealed
printf '\x0a\x10\x01\x05' >"$tmp/h5/edited"  # the skeleton, unsealed, one attribute edited
printf '\x00\x00\x00\x01' >"$tmp/h5/bare"

fails=0
for t in config idx h5; do
    "$out/fuzz_$t" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len=8192 \
        -artifact_prefix="$out/artifacts/fuzz_$t-" -print_final_stats=0 "$tmp/$t" \
        >"$out/fuzz_$t.log" 2>&1
    r=$?
    runs=$(grep -o 'Done [0-9]* runs' "$out/fuzz_$t.log" | tail -1)
    if [ $r -ne 0 ]; then
        echo "FAIL: fuzz_$t (exit $r):"
        grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$out/fuzz_$t.log" | head -8
        echo "  reproduce: $out/fuzz_$t $out/artifacts/fuzz_$t-*   (log: $out/fuzz_$t.log)"
        fails=$((fails + 1))
    else
        echo "fuzz_$t: ${runs:-no summary} in ${seconds}s, no finding"
    fi
done
[ $fails -eq 0 ] || exit 1
echo "fuzz ok"
