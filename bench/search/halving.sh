#!/usr/bin/env bash
# halving.sh — issue #13's figures for successive halving: runs configs/halving-search.yaml
# (82 runs, 27 epochs, eta 3 from 1 epoch) with search.halving, then the same sweep without
# it (the same runs and ids in the same results folder: promoted runs are done, pruned ones
# train on from their rung checkpoints), and prints the model-epochs each trained and the
# best test accuracy of each.  Prints figures; asserts nothing.
# usage: bench/search/halving.sh OPTSWEEP RESULTS_DIR [optsweep run options, e.g. --jobs 2,
#        or a smaller check: --set train.epochs=9 --set data.train_limit=5000
#        --set search.samples=5]
set -eu
bin=$(realpath "$1")
results=$2
shift 2
here=$(cd "$(dirname "$0")/../.." && pwd)
py=${PYTHON:-/usr/bin/python3} # with h5py (Debian's python3-h5py)
sweep=$here/configs/halving-search.yaml
full=$(mktemp /tmp/halving-full.XXXXXX.yaml)
trap 'rm -f "$full"' EXIT
# the same file without search.halving (name, runs and ids unchanged)
sed '/^  halving:/d' "$sweep" >"$full"

"$bin" plan "$sweep" "$@" | grep -E "^(halving|total)"
"$bin" run "$sweep" --results "$results" --quiet "$@"
measure() { # label: model-epochs trained and the best test accuracy of the completed runs
    "$py" - "$results/halving-search/runs" "$1" "$results/halving-measure.tsv" <<'PY'
import glob, math, os, sys
import h5py
runs, label, out = sys.argv[1], sys.argv[2], sys.argv[3]
epochs, best, best_id, n = 0, -1.0, "", 0
for path in sorted(glob.glob(os.path.join(runs, "*.h5"))):
    if path.endswith(".ckpt.h5"):
        continue
    with h5py.File(path, "r") as f:
        n += 1
        epochs += len(f["train_loss"])
        status = f.attrs["status"]
        status = status.decode() if isinstance(status, bytes) else status
        acc = float(f.attrs["test_acc"])
        if status in ("completed", "stopped_early") and not math.isnan(acc) and acc > best:
            best, best_id = acc, str(f.attrs["run_id"])
print(f"{label}: {n} runs, {epochs} model-epochs trained, best test accuracy "
      f"{100 * best:.2f} % ({best_id})")
with open(out, "a") as f:
    print(f"{label}\t{epochs}\t{best:.6f}", file=f)
PY
}
rm -f "$results/halving-measure.tsv"
measure halving
"$bin" run "$full" --results "$results" --quiet "$@"
measure "every run to the end"
"$py" - "$results/halving-measure.tsv" <<'PY'
import sys
(l1, e1, a1), (l2, e2, a2) = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
print(f"halving used {100 * int(e1) / int(e2):.1f} % of the model-epochs of training every run "
      f"to the end; its best test accuracy is {100 * (float(a2) - float(a1)):.2f} points below "
      f"the full sweep's best")
PY
