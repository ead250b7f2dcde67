#!/usr/bin/env bash
# test_schedule.sh OPTSWEEP SOURCE_DIR — `optsweep schedule`:
#   - the notebook's StepLR demonstration (cells 32-33: lr 0.05, step_size 30, gamma 0.1, 100
#     steps) prints and writes exactly the lrs PyTorch 1.13 gives; the expected values were
#     printed by (Debian's python3-torch):
#       o = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.05)
#       s = torch.optim.lr_scheduler.StepLR(o, step_size=30, gamma=0.1); lrs = []
#       for i in range(100): o.step(); lrs.append(o.param_groups[0]["lr"]); s.step()
#     and compared as the 17-significant-digit text of the .dat (exact: no tolerance, the
#     recursion is the same multiplications in the same order);
#   - a sweep file gives one column per distinct schedule, each as long as its training steps
#     (configs/schedules.yaml: 8 schedules, 30 epochs; the one stepped per validation, every
#     5 epochs, takes 6 steps);
#   - --plot draws .png and .svg with gnuplot and leaves .dat and .gp (skipped without gnuplot);
#   - usage and settings errors exit 2 with a message.
set -u
bin=$1
src=$2
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$src" || exit 1
bad() { echo "FAIL: $*"; fail=1; }

demo=(schedule --set optimizer.lr=0.05 --set 'schedule={name: step, step_size: 30, gamma: 0.1}'
      --steps 100)

# --- the StepLR demonstration ------------------------------------------------------------------
"$bin" "${demo[@]}" >"$tmp/out" 2>"$tmp/err" || bad "the StepLR demo exited $?: $(cat "$tmp/err")"
[ "$(wc -l <"$tmp/out")" -eq 101 ] || bad "the demo printed $(wc -l <"$tmp/out") lines, expected 101"
[ "$(head -1 "$tmp/out")" = "$(printf 'step\tStepLR(step_size=30, gamma=0.1), lr 0.05')" ] ||
    bad "the demo's header is '$(head -1 "$tmp/out")'"
# rows are "step<TAB>lr" (%.10g); line k+2 is step k
for pair in 0:0.05 29:0.05 30:0.005 59:0.005 60:0.0005 89:0.0005 90:5e-05 99:5e-05; do
    k=${pair%%:*} want=${pair#*:}
    got=$(sed -n "$((k + 2))p" "$tmp/out")
    [ "$got" = "$(printf '%s\t%s' "$k" "$want")" ] || bad "demo step $k: '$got', expected lr $want"
done

if command -v gnuplot >/dev/null 2>&1; then
    "$bin" "${demo[@]}" --plot "$tmp/plots" --name steplr-demo >/dev/null 2>"$tmp/err" ||
        bad "the demo with --plot exited $?: $(cat "$tmp/err")"
    for ext in png svg dat gp; do
        [ -s "$tmp/plots/steplr-demo.$ext" ] || bad "--plot did not write steplr-demo.$ext"
    done
    head -c 8 "$tmp/plots/steplr-demo.png" | od -An -c | grep -q 'P   N   G' ||
        bad "steplr-demo.png is not a PNG"
    # PyTorch's lrs, bit for bit (17 significant digits); step 100 repeats step 99 (the end of
    # the last step, for gnuplot's `with steps`)
    for pair in "0 0.050000000000000003" "29 0.050000000000000003" "30 0.005000000000000001" \
                "59 0.005000000000000001" "60 0.00050000000000000012" "90 5.0000000000000016e-05" \
                "99 5.0000000000000016e-05" "100 5.0000000000000016e-05"; do
        grep -q "^$pair\( \|$\)" "$tmp/plots/steplr-demo.dat" ||
            bad "steplr-demo.dat lacks '$pair' (PyTorch's lr): $(grep "^${pair%% *} " "$tmp/plots/steplr-demo.dat")"
    done
    grep -q "with steps" "$tmp/plots/steplr-demo.gp" || bad "steplr-demo.gp does not draw steps"
    grep -q "set logscale y" "$tmp/plots/steplr-demo.gp" ||
        bad "steplr-demo.gp: a 1000-fold fall in lr should be on a log axis"
else
    echo "skip: gnuplot is not installed, the figure is not checked"
fi

# --- a sweep file: one column per distinct schedule --------------------------------------------
"$bin" schedule configs/schedules.yaml >"$tmp/sweep" 2>"$tmp/err" ||
    bad "schedule configs/schedules.yaml exited $?: $(cat "$tmp/err")"
[ "$(head -1 "$tmp/sweep")" = "$(printf 'step\tconstant\tstep\tmultistep\texponential\tcosine\tlinear-decay\twarmup-cosine\tstep-at-validation')" ] ||
    bad "schedules.yaml header: '$(head -1 "$tmp/sweep")'"
[ "$(wc -l <"$tmp/sweep")" -eq 31 ] || bad "schedules.yaml: $(wc -l <"$tmp/sweep") lines, expected 31"
# step-at-validation (StepLR(2, 0.1) per validation, lr 0.05): 6 steps, then empty cells
[ "$(awk -F'\t' 'NR == 7 {print $9}' "$tmp/sweep")" = "0.0005" ] ||
    bad "step-at-validation at step 5: '$(awk -F'\t' 'NR == 7 {print $9}' "$tmp/sweep")', expected 0.0005"
[ -z "$(awk -F'\t' 'NR == 8 {print $9}' "$tmp/sweep")" ] ||
    bad "step-at-validation has a value at step 6, past its 6 training steps"
# warmup-cosine starts at lr x start_factor: 0.05 x 0.1
[ "$(awk -F'\t' 'NR == 2 {print $8}' "$tmp/sweep")" = "0.005" ] || bad "warmup-cosine at step 0"

# --- errors --------------------------------------------------------------------------------------
expect_usage() { # PATTERN ARGS...: exit 2 and PATTERN in stderr
    local pattern=$1
    shift
    "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ "$rc" -eq 2 ] || bad "optsweep $*: exit $rc, expected 2"
    grep -qE -- "$pattern" "$tmp/err" || bad "optsweep $*: stderr lacks /$pattern/: $(cat "$tmp/err")"
    [ -s "$tmp/out" ] && bad "optsweep $*: printed to stdout on an error"
}
expect_usage "optimizer.lr must be given" schedule --set 'schedule={name: step, step_size: 3}'
expect_usage "--steps: expected an integer" schedule --set optimizer.lr=0.1 --steps 0
expect_usage "unknown option '--stpes'" schedule --stpes 3
expect_usage "one sweep file at most" schedule configs/quick.yaml configs/schedules.yaml
expect_usage "unknown key 'schedule.step_sise'" schedule --set optimizer.lr=0.1 --set schedule.step_sise=3
"$bin" schedule --help | grep -q "^usage: optsweep schedule" || bad "schedule --help"
"$bin" --help | grep -q "^  schedule " || bad "optsweep --help does not list schedule"

[ "$fail" -eq 0 ] && echo "ok: optsweep schedule"
exit "$fail"
