#!/bin/bash
# run_fuzz.sh — the fuzzing of issue #11 ("keep it so"), bounded for CI: builds three libFuzzer
# targets with clang under AddressSanitizer and UBSan (fuzz_config: sweep files; fuzz_idx:
# IDX files; fuzz_h5: run files and checkpoints, structure-aware) from the sources they need,
# and runs each for SECONDS (default 6) from a seed corpus.  Any crash, leak, undefined
# behaviour or input slower than 5 s fails the test, with the input kept under
# BUILD_DIR/fuzz/artifacts and the command that reproduces it.  Skipped (exit 77) where clang
# with libFuzzer is missing (it is not a small package: apt-get install clang).
# Longer runs by hand: FUZZ_SECONDS=600 tests/fuzz/run_fuzz.sh . build
# Usage: run_fuzz.sh SOURCE_DIR BUILD_DIR [SECONDS]
set -u
src=$(cd "$1" && pwd) build=$(mkdir -p "$2" && cd "$2" && pwd)
seconds=${3:-${FUZZ_SECONDS:-6}}
clang=${CLANG:-clang}
out=$build/fuzz
mkdir -p "$out/artifacts"
S=$src/src

flags=(-O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -D_POSIX_C_SOURCE=200809L -DOPTSWEEP_VERSION='"fuzz"' -DOPTSWEEP_GIT_REV='"fuzz"' -I"$S")
hdf5_inc=$(dirname "$(find /usr/include -name hdf5.h -path '*serial*' 2>/dev/null | head -1)" 2>/dev/null)
hdf5_lib=$(dirname "$(find /usr/lib -name 'libhdf5_serial.so' 2>/dev/null | head -1)" 2>/dev/null)

# the toolchain: a trivial target must build, else skip
probe=$out/probe.c
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' >"$probe"
if ! "$clang" "${flags[@]}" "$probe" -o "$out/probe" >"$out/probe.log" 2>&1; then
    echo "skipped: $clang cannot build a libFuzzer target with ASan/UBSan (apt-get install clang): $(head -2 "$out/probe.log")"
    exit 77
fi

# target name, then its sources and libraries; rebuilt only when a source is newer
build_target() {
    local name=$1
    shift
    local bin=$out/$name srcs=() libs=()
    for a in "$@"; do case $a in -*) libs+=("$a") ;; *) srcs+=("$a") ;; esac; done
    if [ -x "$bin" ] && [ -z "$(find "${srcs[@]}" "$S"/*.h -newer "$bin" 2>/dev/null | head -1)" ]; then
        return 0
    fi
    "$clang" "${flags[@]}" ${hdf5_inc:+-I"$hdf5_inc"} "${srcs[@]}" ${hdf5_lib:+-L"$hdf5_lib"} \
        "${libs[@]}" -o "$bin" >"$out/$name.build.log" 2>&1 \
        || { echo "FAIL: building $name: $(tail -5 "$out/$name.build.log")"; return 1; }
}
here=$src/tests/fuzz
build_target fuzz_config "$here/fuzz_config.c" "$S"/config*.c "$S"/settings*.c "$S/check.c" \
    "$S/quote.c" -lyaml -lm &
p1=$!
build_target fuzz_idx "$here/fuzz_idx.c" "$S/idx.c" "$S/check.c" -lz &
p2=$!
build_target fuzz_h5 "$here/fuzz_h5.c" "$S"/store_*.c "$S/check.c" "$S/model.c" "$S"/settings*.c \
    "$S/quote.c" "$S/signals.c" "$S/train.c" "$S/schedule.c" -lhdf5_serial -lyaml -lm
rc=$?
wait $p1 || rc=1
wait $p2 || rc=1
[ $rc -eq 0 ] || exit 1

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
