#!/usr/bin/env bash
# bench_cpu.sh — one table: seconds per training epoch on full MNIST (784-128-128-128-10,
# LeakyReLU) at batch 128, 1024 and 4096 for optsweep's CPU backend, the GEMM floor (the same
# cblas_sgemm calls an epoch makes, alone) and PyTorch (Debian's python3-torch, an efficient
# loop, 2 threads, OMP_WAIT_POLICY=PASSIVE), with the ratios.  Each figure is the best epoch
# of --epochs after a warm-up epoch; --rounds repeats everything and keeps the best, which
# helps on a shared machine.  Throughput figures, never pass/fail.
#
# usage: bench/cpu/bench_cpu.sh [--build DIR] [--data DIR] [--epochs N] [--rounds N]
#                               [--optimizer sgd|adam] [BATCH ...]
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build"
data=""
epochs=3
rounds=1
optimizer=sgd
batches=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --optimizer) optimizer=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) batches+=("$1"); shift ;;
  esac
done
[ ${#batches[@]} -gt 0 ] || batches=(128 1024 4096)

if [ -z "$data" ]; then
  for d in "$root/data/mnist" /work/shared/datasets/mnist; do
    if [ -e "$d/train-images-idx3-ubyte" ] || [ -e "$d/train-images-idx3-ubyte.gz" ]; then
      data=$d; break
    fi
  done
fi
[ -n "$data" ] || { echo "bench_cpu.sh: no MNIST found (run ./optsweep fetch mnist, or --data DIR)" >&2; exit 2; }
bin="$build/bench_cpu"
[ -x "$bin" ] || { echo "bench_cpu.sh: $bin missing: cmake --build $build --target bench_cpu" >&2; exit 2; }
python=/usr/bin/python3
have_torch=1
$python -c "import torch" 2>/dev/null || have_torch=0

out=$(mktemp)
trap 'rm -f "$out"' EXIT
for ((r = 1; r <= rounds; r++)); do
  "$bin" --data "$data" --epochs "$epochs" --optimizer "$optimizer" "${batches[@]}" 2>>"$out.log" >>"$out"
  if [ $have_torch = 1 ]; then
    OMP_WAIT_POLICY=PASSIVE $python "$root/bench/cpu/bench_torch.py" "$data" --epochs "$epochs" \
      --optimizer "$optimizer" "${batches[@]}" >>"$out"
  fi
done

device=$(grep '^bench_cpu: device ' "$out.log" | tail -n 1 | sed 's/^bench_cpu: device //')
rm -f "$out.log"
echo "MNIST training set ($data), 784-128-128-128-10 LeakyReLU, $optimizer"
echo "optsweep: $device; host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "seconds per epoch, best of $epochs epochs (after a warm-up) x $rounds round(s)"
awk '
  function keep(a, k, v) { if (!(k in a) || v < a[k]) a[k] = v }
  $1 == "batch" && $3 == "optsweep" {
    if (!($2 in ours)) order[++n] = $2
    keep(ours, $2, $4); keep(flr, $2, $6)
  }
  $1 == "batch" && $3 == "torch" { keep(tor, $2, $4) }
  END {
    printf "%-7s %10s %11s %9s %15s %17s\n", "batch", "optsweep", "GEMM floor", "PyTorch",
           "optsweep/floor", "PyTorch/optsweep"
    for (i = 1; i <= n; i++) {
      b = order[i]
      t = (b in tor) ? sprintf("%9.4f", tor[b]) : sprintf("%9s", "-")
      sp = (b in tor) ? sprintf("%16.2fx", tor[b] / ours[b]) : sprintf("%17s", "-")
      printf "%-7s %10.4f %11.4f %s %14.2fx %s\n", b, ours[b], flr[b], t, ours[b] / flr[b], sp
    }
  }' "$out"
