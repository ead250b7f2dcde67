#!/usr/bin/env bash
# bench_cpu.sh — one table: seconds per training epoch on full MNIST (784-128-128-128-10,
# LeakyReLU) at batch 128, 1024 and 4096 for optsweep's CPU backend, the GEMM floor (the same
# cblas_sgemm calls an epoch makes, alone) and PyTorch (Debian's python3-torch, an efficient
# loop, 2 threads, OMP_WAIT_POLICY=PASSIVE, its BLAS on the same OpenBLAS kernel), with the
# ratios; then the OpenBLAS kernel in use (train.cpu_kernel: auto, or --kernel), the rate of
# one large sgemm (4096^3) under it and under the best kernel this CPU runs, and optsweep's
# model FLOPs per second (36.3 GFLOP per epoch) against both.  Each figure is the best epoch
# of --epochs after a warm-up epoch; --rounds repeats everything and keeps the best, which
# helps on a shared machine.  Throughput figures, never pass/fail.
#
# usage: bench/cpu/bench_cpu.sh [--build DIR] [--data DIR] [--epochs N] [--rounds N]
#                               [--optimizer sgd|adam] [--kernel K] [BATCH ...]
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build"
data=""
epochs=3
rounds=1
optimizer=sgd
kernel=auto
batches=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --optimizer) optimizer=$2; shift 2 ;;
    --kernel) kernel=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
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
trap 'rm -f "$out" "$out.log"' EXIT
# the kernel optsweep trains on (bench_cpu restarts itself on it, as optsweep run does), and
# the best one this CPU runs
"$bin" --sgemm 4096 --kernel "$kernel" >>"$out"
used=$(awk '$1 == "sgemm" { print $6 }' "$out" | tail -n 1)
best=$(awk '$1 == "sgemm" { print $8 }' "$out" | tail -n 1)
for ((r = 1; r <= rounds; r++)); do
  "$bin" --data "$data" --epochs "$epochs" --optimizer "$optimizer" --kernel "$kernel" \
    "${batches[@]}" 2>>"$out.log" >>"$out"
  if [ $have_torch = 1 ]; then
    OPENBLAS_CORETYPE=$used OMP_WAIT_POLICY=PASSIVE $python "$root/bench/cpu/bench_torch.py" \
      "$data" --epochs "$epochs" --optimizer "$optimizer" "${batches[@]}" >>"$out"
  fi
  "$bin" --sgemm 4096 --kernel "$kernel" | sed 's/^sgemm/sgemm_used/' >>"$out"
  "$bin" --sgemm 4096 --kernel "$best" | sed 's/^sgemm/sgemm_best/' >>"$out"
done

device=$(grep '^bench_cpu: device ' "$out.log" | tail -n 1 | sed 's/^bench_cpu: device //')
torch_kernel=$(awk '$1 == "torch" && $2 == "kernel" { $1 = $2 = ""; print substr($0, 3) }' "$out" | tail -n 1)
echo "MNIST training set ($data), 784-128-128-128-10 LeakyReLU, $optimizer"
echo "optsweep: $device; host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
[ $have_torch = 1 ] && echo "PyTorch: its BLAS on the OpenBLAS kernel ${torch_kernel:-?}"
echo "seconds per epoch, best of $epochs epochs (after a warm-up) x $rounds round(s)"
awk -v used="$used" -v best="$best" '
  function keep(a, k, v) { if (!(k in a) || v < a[k]) a[k] = v }
  function most(a, k, v) { if (!(k in a) || v > a[k]) a[k] = v }
  $1 == "batch" && $3 == "optsweep" {
    if (!($2 in ours)) order[++n] = $2
    keep(ours, $2, $4); keep(flr, $2, $6); gflop[$2] = $8
  }
  $1 == "batch" && $3 == "torch" { keep(tor, $2, $4) }
  $1 == "sgemm_used" { most(rate, "used", $4) }
  $1 == "sgemm_best" { most(rate, "best", $4) }
  END {
    printf "%-7s %10s %11s %9s %15s %17s\n", "batch", "optsweep", "GEMM floor", "PyTorch",
           "optsweep/floor", "PyTorch/optsweep"
    for (i = 1; i <= n; i++) {
      b = order[i]
      t = (b in tor) ? sprintf("%9.4f", tor[b]) : sprintf("%9s", "-")
      sp = (b in tor) ? sprintf("%16.2fx", tor[b] / ours[b]) : sprintf("%17s", "-")
      printf "%-7s %10.4f %11.4f %s %14.2fx %s\n", b, ours[b], flr[b], t, ours[b] / flr[b], sp
    }
    printf "\nlarge sgemm (4096^3, OpenBLAS threads): %.1f GFLOP/s under %s (in use), %.1f under %s (best here)\n",
           rate["used"], used, rate["best"], best
    printf "%-7s %16s %18s %18s %16s\n", "batch", "model GFLOP/s", "% of " used " sgemm",
           "% of " best " sgemm", "PyTorch GFLOP/s"
    for (i = 1; i <= n; i++) {
      b = order[i]
      g = gflop[b] / ours[b]
      tg = (b in tor) ? sprintf("%16.1f", gflop[b] / tor[b]) : sprintf("%16s", "-")
      printf "%-7s %16.1f %17.0f%% %17.0f%% %s\n", b, g, 100 * g / rate["used"],
             100 * g / rate["best"], tg
    }
  }' "$out"
