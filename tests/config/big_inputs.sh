#!/bin/bash
# big_inputs.sh — issue #11 class 5: input handling stays near-linear.  A 100,000-value
# logspace (--set and in a file), an 88,000-value list in a ~1 MB file and a description
# nested 100,000 levels deep are each accepted or refused at once (before: 66 s, 104 s and
# over a minute); the deep one with file:line:col.  ctest's TIMEOUT (20 s for all of them,
# each took over a minute before) is the bound: no timing is asserted here.
# Usage: big_inputs.sh OPTSWEEP
set -u
optsweep=$1
tmp=$(mktemp -d /tmp/optsweep-big.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
printf 'name: big\noptimizer: {name: sgd, lr: 0.1}\n' >"$tmp/base.yaml"

"$optsweep" plan "$tmp/base.yaml" --set 'optimizer.lr={logspace: [1e-5, 1e-1, 100000]}' \
    >"$tmp/1.log" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "expands to 100000 runs, more than 10000" "$tmp/1.log" \
    || fail "100,000-value logspace: exit $rc: $(head -c 600 "$tmp/1.log")"

awk 'BEGIN { printf "name: list\noptimizer: {name: sgd, lr: 0.1}\ngrid:\n  optimizer.lr: [";
             for (i = 1; i <= 88000; i++) printf("%s%.6g", (i > 1 ? ", " : ""), i * 1e-6);
             print "]" }' >"$tmp/list.yaml"
"$optsweep" plan "$tmp/list.yaml" >"$tmp/2.log" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "expands to 88000 runs" "$tmp/2.log" \
    || fail "88,000-value list: exit $rc: $(head -c 600 "$tmp/2.log")"
# one duplicate far down the list is still found, with both places
sed -i 's/, 0.088\]/, 0.088, 1e-06]/' "$tmp/list.yaml"
"$optsweep" plan "$tmp/list.yaml" >"$tmp/3.log" 2>&1
grep -q "duplicate value 1e-06 (first at 4:18)" "$tmp/3.log" || fail "duplicate in a long list: $(head -c 600 "$tmp/3.log")"

awk 'BEGIN { printf "name: deep\ndescription: "; for (i = 0; i < 100000; i++) printf "[";
             for (i = 0; i < 100000; i++) printf "]"; print "" }' >"$tmp/deep.yaml"
# (the root mapping is level 1: the 64th bracket, column 77, is level 65)
"$optsweep" plan "$tmp/deep.yaml" >"$tmp/4.log" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "deep.yaml:2:77: nested more than 64 levels deep" "$tmp/4.log" \
    || fail "100,000 levels deep: exit $rc: $(head -c 600 "$tmp/4.log")"
deep=$(awk 'BEGIN { for (i = 0; i < 50000; i++) printf "["; for (i = 0; i < 50000; i++) printf "]" }')
"$optsweep" plan "$tmp/base.yaml" --set "model.hidden=$deep" >"$tmp/5.log" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "nested more than 64 levels deep" "$tmp/5.log" \
    || fail "--set 50,000 levels deep: exit $rc: $(head -c 600 "$tmp/5.log")"
# 64 levels are fine as far as nesting goes (the value is then refused for its type)
ok=$(awk 'BEGIN { for (i = 0; i < 63; i++) printf "["; for (i = 0; i < 63; i++) printf "]" }')
"$optsweep" plan "$tmp/base.yaml" --set "data.dir={a: $ok}" >"$tmp/6.log" 2>&1
grep -q "nested more than" "$tmp/6.log" && fail "64 levels refused: $(head -c 600 "$tmp/6.log")"

if [ $fails -eq 0 ]; then echo "big_inputs ok"; exit 0; fi
echo "$fails failure(s)"
exit 1
