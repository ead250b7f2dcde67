#!/bin/bash
# format_snippet.sh — the Python snippet of docs/FORMAT.md ("Reading a sweep from Python")
# runs, as printed, on a sweep that optsweep just wrote: it must not rot when the format
# changes (it did once: format_version 1).  Needs h5py and numpy; skipped (77) without them.
# Usage: format_snippet.sh OPTSWEEP SOURCE_DIR
set -u
optsweep=$1 src=$2
py=/usr/bin/python3
"$py" -c 'import h5py, numpy' 2>/dev/null || { echo "skipped: no h5py/numpy for $py"; exit 77; }
tmp=$(mktemp -d /tmp/optsweep-snippet.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
"$optsweep" run "$src/configs/quick.yaml" --set "data.dir=$src/tests/data/mnist-slice" \
    --set train.epochs=1 --only 'adam*' --results results --quiet >run.log 2>&1 ||
    { cat run.log; echo "FAIL: the sweep did not run"; exit 1; }
"$py" - "$src/docs/FORMAT.md" >out.txt 2>&1 <<'PY'
import re, sys
text = open(sys.argv[1]).read()
code = re.search(r"With h5py and numpy alone.*?```python\n(.*?)```", text, re.S).group(1)
exec(compile(code, "docs/FORMAT.md", "exec"))
PY
rc=$?
cat out.txt
[ $rc = 0 ] || { echo "FAIL: the snippet failed"; exit 1; }
[ "$(grep -c 'completed *test_acc=0\.[0-9]*' out.txt)" = 2 ] || { echo "FAIL: expected 2 runs"; exit 1; }
echo "1 passed, 0 failed"
