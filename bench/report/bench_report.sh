#!/usr/bin/env bash
# bench_report.sh — seconds `optsweep report` takes on a 1,000-run sweep of real runs (the
# goal of #13: at most 10 s on 2 cores, figures rendered by gnuplot included), and what it
# writes: files in plots/, figures, summary.md's size.  The sweep (20 lr x 5 momentum x 5
# seeds x 2 cases, a 784-8-10 model on tests/data/mnist-slice, 2 epochs) is trained once with
# --jobs 2 (about a minute) and kept in BUILD/bench_report/; later calls only report.  Each
# figure is the best of --rounds reports, with the slowest beside it (the machine is shared).
# Also times --no-plots (reading the 1,000 run files, runs.csv, summary.md).  A figure, never
# pass/fail.
#
# usage: bench/report/bench_report.sh [--build DIR] [--rounds N]
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build"
rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "bench_report.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
bin="$build/optsweep"
[ -x "$bin" ] || { echo "bench_report.sh: $bin not built" >&2; exit 2; }
work="$build/bench_report"
mkdir -p "$work"
cd "$work"
cat >sweep.yaml <<YAML
name: report1000
data: {dataset: mnist, dir: $root/tests/data/mnist-slice, val_from_test: 0.5}
model: {hidden: [8]}
train: {epochs: 2, batch_size: 1000, seed: 0, validation_freq: 1, backend: cpu}
optimizer: {name: sgd, lr: 0.1}
grid:
  optimizer.lr: {logspace: [1e-4, 1, 20]}
  optimizer.momentum: [0.0, 0.5, 0.8, 0.9, 0.95]
  train.seed: [0, 1, 2, 3, 4]
cases:
  - {name: plain}
  - {name: decay, optimizer: {weight_decay: 1e-4}}
YAML
count_runs() { ls results/report1000/runs 2>/dev/null | grep -c '[^t]\.h5$' || true; }
if [ "$(count_runs)" -lt 1000 ]; then
  echo "training the 1,000 runs (once; kept in $work) ..."
  t0=$(date +%s.%N)
  "$bin" run sweep.yaml --jobs 2 >train.log 2>&1 || { tail -5 train.log; exit 1; }
  t1=$(date +%s.%N)
  printf 'trained in %.0f s\n' "$(echo "$t1 - $t0" | bc)"
fi

# best and slowest of $rounds runs of "$@"
time_it() {
  local best="" worst=""
  for _ in $(seq "$rounds"); do
    local t0 t1 s
    t0=$(date +%s.%N)
    "$@" >last.log 2>&1 || { cat last.log; exit 1; }
    t1=$(date +%s.%N)
    s=$(echo "$t1 - $t0" | bc)
    if [ -z "$best" ] || [ "$(echo "$s < $best" | bc)" = 1 ]; then best=$s; fi
    if [ -z "$worst" ] || [ "$(echo "$s > $worst" | bc)" = 1 ]; then worst=$s; fi
  done
  printf '%.2f s (slowest of %d: %.2f s)' "$best" "$rounds" "$worst"
}

echo "optsweep report of $(count_runs) runs on $(nproc) cores:"
printf '  with figures (gnuplot):  %s\n' "$(time_it "$bin" report results/report1000)"
tail -1 last.log | sed 's/^/    /'
printf '  --no-plots:              %s\n' "$(time_it "$bin" report results/report1000 --no-plots --out results/report1000/summary-noplots.md)"
echo "  written: $(find plots/report1000 -type f | wc -l) files in plots/report1000/," \
     "$(grep -c '](' results/report1000/summary.md) images in summary.md" \
     "($(wc -c <results/report1000/summary.md) bytes), runs.csv $(($(wc -l <results/report1000/runs.csv) - 1)) rows"
