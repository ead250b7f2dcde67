#!/bin/bash
# shell_safe.sh — issue #11 class 3: what optsweep prints for copy-paste is shell-safe.  The
# `sbatch` commands of `optsweep slurm` and the `optsweep fetch --dir` hint, for folders named
# like commands, are pasted into bash (with sbatch/optsweep as functions that record their
# arguments): nothing runs and each path arrives as one argument, unchanged.  A folder with a
# double quote (which no #SBATCH line can hold) is a usage error: exit 2, nothing written.
# `optsweep fetch` never runs a fetch script found in the working directory.
# Usage: shell_safe.sh OPTSWEEP SOURCE_DIR
set -u
optsweep=$1 src=$2
slice=$src/tests/data/mnist-slice
tmp=$(mktemp -d /tmp/optsweep-shell.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
cat >"$tmp/sweep.yaml" <<YAML
name: shell
data: {dir: "$slice"}
model: {hidden: [16]}
train: {epochs: 1, backend: cpu}
optimizer: {name: sgd, lr: 0.1}
YAML
cd "$tmp"

# pastes the lines of $1 that start with $2 into bash, where $3 is a function that prints each
# argument on its own line into args.txt
paste_lines() {
    grep -E "^ *$2" "$1" | sed -e 's/^ *//' >"$tmp/pasted.sh"
    [ -s "$tmp/pasted.sh" ] || { fail "nothing to paste from $1: $(cat "$1")"; return; }
    (cd "$tmp/paste" && bash -c "$3() { printf '%s\n' \"\$@\" >>'$tmp/args.txt'; }; . '$tmp/pasted.sh'")
}
mkdir "$tmp/paste"

# ---- optsweep slurm: the printed sbatch commands ----------------------------------------------
res='r$(touch PWNED1) `touch PWNED2`; touch PWNED3 '"'"'x'
"$optsweep" slurm sweep.yaml --tasks 1 --results "$res" >"$tmp/1.log" 2>&1
rc=$?
[ $rc -eq 0 ] || fail "slurm into an odd folder: exit $rc: $(cat "$tmp/1.log")"
: >"$tmp/args.txt"
paste_lines "$tmp/1.log" "sbatch --parsable [^-]" sbatch
ls "$tmp/paste" | grep -q PWNED && fail "pasting the sbatch commands ran a command: $(ls "$tmp/paste")"
grep -qxF "$tmp/$res/shell/slurm/array.sbatch" "$tmp/args.txt" \
    || fail "the array script's path did not arrive whole: $(cat "$tmp/args.txt")"
# the report's line is a template (<array job id>); its path is quoted the same way
grep -F -- "--dependency=afterany:<array job id> '$tmp/r\$(touch PWNED1)" "$tmp/1.log" >/dev/null \
    || fail "the report script's path is not quoted: $(grep dependency "$tmp/1.log")"

# ---- a double quote in the results folder: exit 2, nothing written --------------------------
"$optsweep" slurm sweep.yaml --tasks 1 --results 'q"uote' >"$tmp/2.log" 2>&1
rc=$?
[ $rc -eq 2 ] || fail "a double quote in --results: exit $rc, expected 2: $(cat "$tmp/2.log")"
grep -q 'double quote' "$tmp/2.log" || fail "a double quote in --results: message: $(cat "$tmp/2.log")"
[ -e "$tmp/q\"uote" ] && fail "a double quote in --results: something was written: $(find "$tmp/q\"uote")"

# ---- the fetch hint for missing data ---------------------------------------------------------
data='d$(touch PWNED4) `touch PWNED5` '"'"'y'
"$optsweep" run sweep.yaml --set "data.dir=$data" --results "$tmp/r" >"$tmp/3.log" 2>&1
rc=$?
[ $rc -eq 2 ] || fail "missing data: exit $rc, expected 2"
sed -n 's/.*(run `\(optsweep fetch.*\)` or \.\/run_sweep\.sh).*/\1/p' "$tmp/3.log" | head -1 >"$tmp/hint.txt"
[ -s "$tmp/hint.txt" ] || fail "no fetch hint: $(cat "$tmp/3.log")"
: >"$tmp/args.txt"
paste_lines "$tmp/hint.txt" "optsweep fetch" optsweep
ls "$tmp/paste" | grep -q PWNED && fail "pasting the fetch hint ran a command: $(ls "$tmp/paste")"
grep -qxF "$data" "$tmp/args.txt" || fail "the data folder did not arrive whole: $(cat "$tmp/args.txt")"

# ---- optsweep fetch never runs a scripts/fetch_data.sh of the working directory -----------------
# (a binary copied away from its tree, run in a folder from elsewhere: the script comes from
# the source tree it was built from; here it finds no MNIST in the one local source allowed)
mkdir -p "$tmp/away/bin" "$tmp/folder/scripts" "$tmp/empty"
cp "$optsweep" "$tmp/away/bin/optsweep"
printf '#!/bin/bash\ntouch "%s/PWNED6"\n' "$tmp" >"$tmp/folder/scripts/fetch_data.sh"
(cd "$tmp/folder" && OPTSWEEP_FETCH_SOURCES=local OPTSWEEP_MNIST_DIR="$tmp/empty" \
    "$tmp/away/bin/optsweep" fetch mnist --dir "$tmp/folder/data") >"$tmp/4.log" 2>&1
[ -e "$tmp/PWNED6" ] && fail "optsweep fetch ran ./scripts/fetch_data.sh of the working directory"
grep -q "^fetch_data.sh: " "$tmp/4.log" || fail "optsweep fetch did not run the source tree's script: $(cat "$tmp/4.log")"

if [ $fails -eq 0 ]; then echo "shell_safe ok"; exit 0; fi
echo "$fails failure(s)"
exit 1
