#!/usr/bin/env bash
# check_bad.sh OPTSWEEP NAME — the bad-input catalogue: runs `optsweep run` and `optsweep plan`
# on bad/NAME.yaml (plus the arguments in bad/NAME.args, one per line) and checks that
#   - the exit status is 2,
#   - the error lines (those starting with "bad/NAME.yaml:" or "--set ") are exactly
#     bad/NAME.expected, in order,
#   - nothing was written: the --results folder does not exist and no file appeared here.
set -u
bin=$1
name=$2
here=$(cd "$(dirname "$0")" && pwd)
cd "$here" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args=()
if [ -f "bad/$name.args" ]; then mapfile -t args <"bad/$name.args"; fi
listing() { ls -A . bad; }
before=$(listing)
fail=0
for cmd in run plan; do
    extra=()
    if [ "$cmd" = run ]; then extra=(--results "$tmp/results"); fi
    "$bin" "$cmd" "bad/$name.yaml" "${args[@]}" "${extra[@]}" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    grep -E "^(bad/$name\.yaml:|--set )" "$tmp/err" >"$tmp/got"
    if [ "$rc" -ne 2 ]; then
        echo "FAIL: optsweep $cmd bad/$name.yaml: exit status $rc, expected 2"
        fail=1
    fi
    if ! diff -u "bad/$name.expected" "$tmp/got"; then
        echo "FAIL: optsweep $cmd bad/$name.yaml: the error lines differ from bad/$name.expected"
        echo "--- stderr was:"
        cat "$tmp/err"
        fail=1
    fi
    if [ -s "$tmp/out" ]; then
        echo "FAIL: optsweep $cmd bad/$name.yaml printed to stdout:"
        cat "$tmp/out"
        fail=1
    fi
done
if [ -e "$tmp/results" ]; then
    echo "FAIL: optsweep run bad/$name.yaml created its --results folder:"
    find "$tmp/results"
    fail=1
fi
if [ "$(listing)" != "$before" ]; then
    echo "FAIL: optsweep wrote files next to the sweep file"
    fail=1
fi
[ "$fail" -eq 0 ] && echo "ok: bad/$name.yaml -> exit 2, $(wc -l <"bad/$name.expected") error line(s)"
exit "$fail"
