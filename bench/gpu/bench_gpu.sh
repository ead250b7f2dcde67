#!/usr/bin/env bash
# bench_gpu.sh — epochs per second on full MNIST for one run of optsweep's CUDA backend
# (bench_gpu) and, on the same GPU in the same call, PyTorch: a well-written loop and the
# notebook's own loop (torch_loops.py); then the ratios, the card, and the time of the
# notebook's 200 epochs at batch 4096; then packs: PACK runs (default 64) trained together at
# batch 128, 1024 and 4096, in model-epochs per second and device memory per run, beside
# PyTorch's pack peer (stacked parameters, batched matmuls).  Figures only: goals are
# printed, never asserted.
# usage: bench/gpu/bench_gpu.sh [BUILD_DIR] [DATA_DIR]
#   BUILD_DIR default build; DATA_DIR default data/mnist, else /work/shared/datasets/mnist.
#   PYTHON (default python3) runs torch_loops.py; EPOCHS (default 30) timed epochs per figure;
#   PACK (default 64; 0: no pack figures) runs per pack, PACK_EPOCHS (default 3) timed epochs.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
data=${2:-}
if [ -z "$data" ]; then
    for d in "$root/data/mnist" /work/shared/datasets/mnist; do
        if [ -e "$d/train-images-idx3-ubyte" ] || [ -e "$d/train-images-idx3-ubyte.gz" ]; then
            data=$d
            break
        fi
    done
fi
if [ -z "$data" ]; then
    echo "bench_gpu.sh: no MNIST (data/mnist): run 'optsweep fetch mnist' first" >&2
    exit 2
fi
python=${PYTHON:-python3}
epochs=${EPOCHS:-30}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== optsweep (CUDA backend): $build/bench_gpu $data"
"$build/bench_gpu" "$data" --epochs "$epochs" --batches 1024,4096 | tee "$out/ours"
ours_rc=${PIPESTATUS[0]}
echo "== PyTorch: $python $here/torch_loops.py"
PYTHONUNBUFFERED=1 "$python" "$here/torch_loops.py" "$data" --epochs "$epochs" \
    --batches 1024,4096 --notebook-epochs 3 | tee "$out/torch"
torch_rc=${PIPESTATUS[0]}

# value of key=... on the line starting with `kind` and containing `batch=B`
field() { # file kind batch key
    awk -v k="$2" -v b="batch=$3" -v key="$4" '$1 == k && index($0, b " ") {
        for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == key) print kv[2] } }' "$1"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "n/a" }'; }

card=$(sed -n 's/.*card="\([^"]*\)".*/\1/p' "$out/torch")
[ -n "$card" ] || card=$(sed -n 's/.*device="\([^"]*\)".*/\1/p' "$out/ours")
echo
echo "== summary on ${card:-unknown card} (epochs per second, one run, full MNIST)"
printf '%-8s %12s %12s %12s %10s %14s\n' batch optsweep torch_loop notebook vs_torch vs_notebook
for b in 1024 4096; do
    o=$(field "$out/ours" optsweep "$b" epochs_per_s)
    t=$(field "$out/torch" torch_loop "$b" epochs_per_s)
    n=""
    [ "$b" = 4096 ] && n=$(field "$out/torch" notebook_loop 4096 epochs_per_s)
    printf '%-8s %12s %12s %12s %10s %14s\n' "$b" "${o:-n/a}" "${t:-n/a}" "${n:--}" \
        "$(ratio "${o:-0}" "${t:-0}")x" "$( [ -n "$n" ] && echo "$(ratio "${o:-0}" "$n")x" || echo -)"
done
nb=$(awk '$1 == "notebook" { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "seconds") print kv[2] } }' "$out/ours")
o4=$(field "$out/ours" optsweep 4096 epochs_per_s)
t4=$(field "$out/torch" torch_loop 4096 epochs_per_s)
n4=$(field "$out/torch" notebook_loop 4096 epochs_per_s)
echo "notebook run (200 epochs, batch 4096, validation every 5, test): ${nb:-n/a} s with optsweep" \
     "(goal < 2 s on an H100)"
if [ -n "$t4" ]; then
    echo "the same 200 epochs would take $(awk -v e="$t4" 'BEGIN { printf "%.1f", 200 / e }') s" \
         "with the PyTorch loop, $(awk -v e="${n4:-0}" 'BEGIN { if (e > 0) printf "%.1f", 200 / e; else print "n/a" }') s" \
         "with the notebook's loop (training only)"
fi
echo "optsweep / PyTorch loop at batch 4096: $(ratio "${o4:-0}" "${t4:-0}")x (goal >= 3x)"
pack=${PACK:-64}
pack_rc=0
if [ "$pack" -gt 0 ]; then
    pe=${PACK_EPOCHS:-3}
    echo
    echo "== packs of $pack runs: $build/bench_gpu --pack $pack, and PyTorch's pack peer"
    "$build/bench_gpu" "$data" --pack "$pack" --epochs "$pe" --batches 128,1024,4096 | tee "$out/pack"
    pack_rc=${PIPESTATUS[0]}
    PYTHONUNBUFFERED=1 "$python" "$here/torch_loops.py" "$data" --pack "$pack" --epochs "$pe" \
        --batches 128,1024,4096 --notebook-epochs 0 | tee "$out/torch_pack"
    printf '%-8s %16s %16s %10s %12s %8s\n' batch optsweep_pack torch_pack vs_torch MB_per_run goal
    for b in 128 1024 4096; do
        o=$(field "$out/pack" optsweep_pack "$b" model_epochs_per_s)
        t=$(field "$out/torch_pack" torch_pack "$b" model_epochs_per_s)
        mb=$(field "$out/pack" optsweep_pack "$b" mem_per_run_mb)
        goal=$(case $b in 128) echo 600 ;; 1024) echo 1000 ;; *) echo 1200 ;; esac)
        printf '%-8s %16s %16s %10s %12s %8s\n' "$b" "${o:-n/a}" "${t:-n/a}" \
            "$(ratio "${o:-0}" "${t:-0}")x" "${mb:-n/a}" ">= $goal"
    done
    echo "(goals: model-epochs/s as shown, and >= 5x the PyTorch pack peer; 256 runs in 80 GB)"
fi
[ "$ours_rc" = 0 ] && [ "$torch_rc" = 0 ] && [ "$pack_rc" = 0 ]
