#!/usr/bin/env bash
# test_kernel_choice.sh — OpenBLAS's kernel as optsweep chooses it (src/cpu_kernel.c), through
# the optsweep binary on a tiny sweep over the MNIST slice:
#  - auto, when OpenBLAS has fallen back to Prescott (simulated with the marker optsweep leaves
#    for itself, which says "OpenBLAS picked Prescott and optsweep kept it") on a CPU with a
#    better tested kernel: the run header and the run file's device attribute name the best
#    kernel "chosen by optsweep: OpenBLAS detected Prescott";
#  - OPENBLAS_CORETYPE set by the user is respected, also against train.cpu_kernel (a note);
#  - train.cpu_kernel: a named kernel, openblas, a bad name (exit 2), runs that disagree (exit
#    2, nothing written);
#  - a run resumed under another kernel says so; resumed under the same one it does not;
#  - optsweep --version names the kernel.
# usage: test_kernel_choice.sh OPTSWEEP KERNEL_PROBE DATA_DIR
set -u
optsweep=$(realpath "$1") probe=$(realpath "$2") data=$(realpath "$3")
tmp=$(mktemp -d /tmp/optsweep-kernel.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
if [ -n "${OPENBLAS_CORETYPE:-}" ]; then
    # the machine's own setting (a kernel that is broken on this CPU, say): not to be changed
    echo "skipped: this machine sets OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE"
    exit 77
fi
unset OPTSWEEP_CPU_KERNEL OPTSWEEP_CPU_KERNEL_RESTARTED
export OPENBLAS_NUM_THREADS=1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
device_of() { h5dump -a device "$1" | sed -n 's/^ *(0): "\(.*\)"$/\1/p'; }

cat >k.yaml <<YAML
name: k
data: {dir: "$data"}
train: {epochs: 2, batch_size: 128}
optimizer: {name: sgd, lr: 0.1}
YAML

best=""
for k in Prescott Haswell SkylakeX Cooperlake; do
    "$probe" "$k" >/dev/null 2>&1; [ $? -ne 77 ] && best=$k
done
best_lower=$(tr A-Z a-z <<<"$best")
echo "best tested kernel here: ${best:-none}"
[ -n "$best" ] || { echo "skipped: no tested kernel runs on this CPU"; exit 77; }

# --version
"$optsweep" --version >v.txt || fail "--version exited $?"
grep -q "kernel $best" v.txt || { cat v.txt; fail "--version does not name $best"; }

# auto after OpenBLAS fell back to Prescott
if [ "$best" != Prescott ]; then
    OPENBLAS_CORETYPE=Prescott OPTSWEEP_CPU_KERNEL='Prescott|Prescott|' \
        "$optsweep" run k.yaml --results a >a.log 2>&1 || { cat a.log; fail "auto run exited $?"; }
    want="kernel $best, chosen by optsweep: OpenBLAS detected Prescott"
    grep -q "device: .*$want" a.log || { cat a.log; fail "auto: header lacks '$want'"; }
    d=$(device_of a/k/runs/*.h5)
    [[ "$d" == *"$want"* ]] || fail "auto: device attribute is '$d'"
    [ "$(grep -c '^optsweep .*: sweep k' a.log)" = 1 ] || { cat a.log; fail "auto: header printed twice"; }
fi

# the user's OPENBLAS_CORETYPE wins, also over train.cpu_kernel
OPENBLAS_CORETYPE=Prescott "$optsweep" run k.yaml --results u --set train.cpu_kernel="$best_lower" \
    >u.log 2>&1 || { cat u.log; fail "user run exited $?"; }
d=$(device_of u/k/runs/*.h5)
[[ "$d" == *"kernel Prescott, set by OPENBLAS_CORETYPE"* ]] || fail "user: device is '$d'"
if [ "$best" != Prescott ]; then
    grep -q "train.cpu_kernel $best not applied: OPENBLAS_CORETYPE=Prescott is set" u.log ||
        { cat u.log; fail "user: no note about the ignored train.cpu_kernel"; }
fi

# train.cpu_kernel: a named kernel, openblas
"$optsweep" run k.yaml --results n --set train.cpu_kernel=prescott >n.log 2>&1 ||
    { cat n.log; fail "named run exited $?"; }
d=$(device_of n/k/runs/*.h5)
[[ "$d" == *"kernel Prescott, set by train.cpu_kernel"* ]] || fail "named: device is '$d'"
"$optsweep" run k.yaml --results o --set train.cpu_kernel=openblas >o.log 2>&1 ||
    { cat o.log; fail "openblas run exited $?"; }
d=$(device_of o/k/runs/*.h5)
[[ "$d" == *"OpenBLAS's choice"* ]] || fail "openblas: device is '$d'"

# bad values: exit 2, nothing written
"$optsweep" run k.yaml --results b --set train.cpu_kernel=nehalem >b.log 2>&1
rc=$?
[ $rc = 2 ] || fail "a bad kernel name exited $rc"
grep -q "train.cpu_kernel must be one of: auto, openblas, prescott, haswell, skylakex, cooperlake" b.log ||
    { cat b.log; fail "bad name: message"; }
cat >two.yaml <<YAML
name: two
data: {dir: "$data"}
train: {epochs: 1}
optimizer: {name: sgd, lr: 0.1}
cases:
  - {name: a, train: {cpu_kernel: prescott}}
  - {name: b, train: {cpu_kernel: openblas}, optimizer: {lr: 0.2}}
YAML
"$optsweep" run two.yaml --results b >b.log 2>&1
rc=$?
[ $rc = 2 ] || fail "disagreeing runs exited $rc"
grep -q "OpenBLAS takes one kernel per process" b.log || { cat b.log; fail "disagreeing: message"; }
[ ! -e b ] || fail "a refused sweep wrote $(find b | head -3)"
for k in Haswell SkylakeX Cooperlake; do
    "$probe" "$k" >/dev/null 2>&1
    if [ $? = 77 ]; then # a kernel this CPU cannot run: refused up front
        lower=$(tr A-Z a-z <<<"$k")
        "$optsweep" run k.yaml --results c --set train.cpu_kernel="$lower" >c.log 2>&1
        rc=$?
        [ $rc = 2 ] || fail "unsupported $k exited $rc"
        grep -q "train.cpu_kernel: $k needs" c.log || { cat c.log; fail "unsupported $k: message"; }
        [ ! -e c ] || fail "unsupported $k wrote files"
    fi
done

# resume under another kernel: a note; under the same one: none
cat >long.yaml <<YAML
name: long
data: {dir: "$data"}
train: {epochs: 400, batch_size: 128, checkpoint_every: 1}
optimizer: {name: sgd, lr: 0.01}
YAML
OPENBLAS_CORETYPE=Prescott "$optsweep" run long.yaml --results r >r1.log 2>&1 &
pid=$!
for _ in $(seq 600); do
    ls r/long/runs/*.ckpt.h5 >/dev/null 2>&1 && break
    sleep 0.05
done
kill -TERM $pid
wait $pid
rc=$?
[ $rc = 143 ] || { cat r1.log; fail "the interrupted run exited $rc"; }
other=Prescott
[ "$best" != Prescott ] && other=$best
OPENBLAS_CORETYPE=$other "$optsweep" run long.yaml --results r >r2.log 2>&1 &
pid=$!
for _ in $(seq 600); do grep -q "resumes under\|resum" r2.log && break; sleep 0.05; done
sleep 0.3
kill -TERM $pid
wait $pid
if [ "$other" != Prescott ]; then
    grep "resumes under" r2.log; grep -q "written under OpenBLAS [0-9.]* Prescott, 1 thread and resumes under OpenBLAS [0-9.]* $other, 1 thread" r2.log ||
        { cat r2.log; fail "no note on resuming under another kernel"; }
else
    echo "(one kernel only: the other-kernel note is not testable here)"
fi
OPENBLAS_CORETYPE=$other "$optsweep" run long.yaml --results r >r3.log 2>&1 &
pid=$!
for _ in $(seq 600); do grep -q "epoch" r3.log && break; sleep 0.05; done
kill -TERM $pid
wait $pid
! grep -q "resumes under" r3.log || { cat r3.log; fail "a note on resuming under the same kernel"; }

echo "$((fails == 0 ? 1 : 0)) passed, $fails failed"
[ $fails = 0 ]
