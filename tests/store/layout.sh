#!/bin/bash
# layout.sh — checks a run file's layout as h5dump (HDF5's own tool, not our reader) sees it,
# against docs/FORMAT.md: every metadata attribute with its HDF5 type, typed settings, the log
# datasets and the /model weights with their shapes and a few values.
# Usage: layout.sh path/to/test_store
set -u
test_store=$1
command -v h5dump >/dev/null || { echo "h5dump not found (apt-get install hdf5-tools)"; exit 1; }
dir=$(mktemp -d /tmp/optsweep-layout.XXXXXX)
trap 'rm -rf "$dir"' EXIT
"$test_store" --write-sample "$dir" || { echo "FAIL: writing the sample"; exit 1; }
f=$dir/sample-run.h5
[ -f "$f" ] || { echo "FAIL: $f missing"; exit 1; }
[ -e "$f.part" ] && { echo "FAIL: .part left behind"; exit 1; }

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# "name TYPE SPACE" for every root attribute (h5dump -A -H lists them before any group)
root_attrs=$(h5dump -H -A "$f" | awk '
    /^   ATTRIBUTE/ { name = $2; gsub(/"/, "", name) }
    /^      DATATYPE/ { type = $2 }
    /^      DATASPACE/ { if (name != "") print name, type, $2; name = "" }')

expect_attr() { # name type space
    grep -qx "$1 $2 $3" <<<"$root_attrs" || fail "root attribute $1: expected $2 $3, got: $(grep "^$1 " <<<"$root_attrs")"
}
expect_attr format_version H5T_STD_I32LE SCALAR
for a in checksum run_id sweep case backend device optsweep_version git_revision host start_time \
         end_time status status_message settings_yaml; do
    expect_attr $a H5T_STRING SCALAR
done
expect_attr run_index H5T_STD_I64LE SCALAR
expect_attr seed H5T_STD_U64LE SCALAR
for a in wall_seconds train_seconds test_loss test_acc best_val_acc mean_weight; do
    expect_attr $a H5T_IEEE_F64LE SCALAR
done
expect_attr attempts H5T_STD_I32LE SCALAR
expect_attr status_epoch H5T_STD_I32LE SCALAR
expect_attr n_params H5T_STD_I64LE SCALAR
# settings: typed by their kind (real, integer, bool, choice, list)
expect_attr optimizer.lr H5T_IEEE_F64LE SCALAR
expect_attr optimizer.momentum H5T_IEEE_F64LE SCALAR
expect_attr optimizer.name H5T_STRING SCALAR
expect_attr optimizer.nesterov H5T_STD_I8LE SCALAR
expect_attr train.epochs H5T_STD_I64LE SCALAR
expect_attr train.batch_size H5T_STD_I64LE SCALAR
expect_attr train.seed H5T_STD_U64LE SCALAR   # the sample's seed is above 2^63
expect_attr model.hidden H5T_STD_I64LE SIMPLE
expect_attr schedule.name H5T_STRING SCALAR
# a key that does not apply (adam's betas under sgd) is absent
grep -q "^optimizer.betas " <<<"$root_attrs" && fail "optimizer.betas present for an sgd run"
# every dotted attribute is a setting and every setting has a dot: no stray names
n_dotted=$(grep -c '\.' <<<"$root_attrs")
[ "$n_dotted" -ge 20 ] || fail "only $n_dotted settings attributes"

# values
val() { h5dump -a "$1" "$f" | awk '/\(0\)/ { $1 = ""; sub(/^ /, ""); print; exit }'; }
[ "$(val format_version)" = "2" ] || fail "format_version = $(val format_version)"
[ "$(val status)" = '"completed"' ] || fail "status = $(val status)"
[ "$(val run_id)" = '"sample-run"' ] || fail "run_id = $(val run_id)"
[ "$(val optimizer.lr)" = "0.1" ] || fail "optimizer.lr = $(val optimizer.lr)"
h5dump -a model.hidden "$f" | grep -q "(0): 16, 8" || fail "model.hidden is not [16, 8]"
[ "$(val status_epoch)" = "-1" ] || fail "status_epoch = $(val status_epoch)"
grep -Eq '^"2025-01-31T12:00:00Z"$' <<<"$(val start_time)" || fail "start_time = $(val start_time)"

# datasets: name, type, shape
expect_dset() { # path type dims
    local got
    got=$(h5dump -H -d "$1" "$f" 2>&1 | awk '/DATATYPE/ { t = $2 } /DATASPACE/ { sub(/.*\( /, ""); sub(/ \).*/, ""); print t, $0 }')
    [ "$got" = "$2 $3" ] || fail "dataset $1: expected '$2 $3', got '$got'"
}
expect_dset /epoch H5T_STD_I32LE 5
expect_dset /train_loss H5T_IEEE_F64LE 5
expect_dset /lr H5T_IEEE_F64LE 5
expect_dset /epoch_seconds H5T_IEEE_F64LE 5
expect_dset /val_epoch H5T_STD_I32LE 2
expect_dset /val_loss H5T_IEEE_F64LE 2
expect_dset /val_acc H5T_IEEE_F64LE 2
expect_dset /model/layer1/weight H5T_IEEE_F32LE "16, 784"
expect_dset /model/layer1/bias H5T_IEEE_F32LE 16
expect_dset /model/layer2/weight H5T_IEEE_F32LE "8, 16"
expect_dset /model/layer2/bias H5T_IEEE_F32LE 8
expect_dset /model/layer3/weight H5T_IEEE_F32LE "10, 8"
expect_dset /model/layer3/bias H5T_IEEE_F32LE 10
h5dump -d /model/layer4 "$f" >/dev/null 2>&1 && fail "/model/layer4 exists"
h5dump -d /epoch "$f" | grep -q "(0): 0, 1, 2, 3, 4" || fail "epoch is not 0..4"
h5dump -d /val_epoch "$f" | grep -q "(0): 1, 3" || fail "val_epoch is not 1, 3"
# row-major (out, in): element (0, 0) of layer 1 and bias[0] of layer 2 as the writer set them
h5dump -d /model/layer1/weight -s "0,0" -c "1,1" "$f" | grep -q "(0,0): 0.5" \
    || fail "layer1 weight (0,0) is not 0.5"
h5dump -d /model/layer2/bias -s 0 -c 1 "$f" | grep -q "(0): -0.25" \
    || fail "layer2 bias[0] is not -0.25"
h5dump -a /model/sizes "$f" | grep -q "(0): 784, 16, 8, 10" || fail "/model sizes"

# what h5py users get: str for strings, numbers as numbers, arrays for weights
if /usr/bin/python3 -c "import h5py" 2>/dev/null; then
    /usr/bin/python3 - "$f" >"$dir/h5py.out" 2>&1 <<'PY' || fail "h5py view: $(cat "$dir/h5py.out")"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    a = f.attrs
    assert a["format_version"] == 2
    assert isinstance(a["run_id"], str) and a["run_id"] == "sample-run", a["run_id"]
    assert isinstance(a["optimizer.name"], str) and a["optimizer.name"] == "sgd"
    assert float(a["optimizer.lr"]) == 0.1
    assert int(a["train.seed"]) == 18446744073709551557
    assert list(a["model.hidden"]) == [16, 8]
    assert f["model/layer1/weight"].shape == (16, 784)
    assert f["model/layer1/weight"][0, 0] == 0.5
    assert list(f["epoch"][()]) == [0, 1, 2, 3, 4]
    assert "epochs: 5" in a["settings_yaml"]
PY
fi

# the checksum as docs/FORMAT.md defines it, recomputed in Python (h5py, low-level API)
if /usr/bin/python3 -c "import h5py, numpy" 2>/dev/null; then
    /usr/bin/python3 - "$f" >"$dir/sum.out" 2>&1 <<'PY' || fail "checksum in Python: $(cat "$dir/sum.out")"
import sys, struct, h5py, numpy as np
h = 14695981039346656037
def feed(b):
    global h
    for c in b:
        h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
def space(shape):
    feed(struct.pack("<Q", len(shape)))
    for d in shape: feed(struct.pack("<Q", d))
with h5py.File(sys.argv[1], "r") as f:
    names = ["."]
    f.visit(names.append)       # the same order as H5Ovisit by name (depth first)
    for name in names:
        obj = f if name == "." else f[name]
        feed(name.encode() + b"\0")
        for an in sorted(obj.attrs.keys(), key=lambda s: s.encode()):
            if name == "." and an == "checksum": continue
            feed(an.encode() + b"\0")
            v = obj.attrs.get_id(an)
            space(v.shape)
            if isinstance(obj.attrs[an], str):
                feed(obj.attrs[an].encode() + b"\0")
            else:
                buf = np.empty(v.shape, dtype=v.dtype.newbyteorder("<"))
                v.read(buf)
                feed(buf.tobytes())
        if isinstance(obj, h5py.Dataset):
            space(obj.shape)
            feed(np.asarray(obj[()], dtype=obj.dtype.newbyteorder("<")).tobytes())
    want = f.attrs["checksum"]
got = "fnv1a64:%016x" % h
assert got == want, (got, want)
PY
fi

# the Python reading example of docs/FORMAT.md works as written (when pandas is there)
if /usr/bin/python3 -c "import h5py, pandas" 2>/dev/null; then
    doc=$(dirname "$0")/../../docs/FORMAT.md
    mkdir -p "$dir/results/quick/runs" && cp "$f" "$dir/results/quick/runs/"
    script=$(awk '/^```python/ { on = 1; next } /^```/ { on = 0 } on' "$doc")
    (cd "$dir" && /usr/bin/python3 -c "$script") >"$dir/py.out" 2>&1 \
        || fail "FORMAT.md's Python example: $(cat "$dir/py.out")"
    grep -q "sample-run" "$dir/py.out" || fail "FORMAT.md's Python example printed: $(cat "$dir/py.out")"
else
    echo "(pandas not installed: FORMAT.md's Python example not run)"
fi

if [ $fails -eq 0 ]; then echo "layout ok"; exit 0; fi
echo "$fails layout check(s) failed"
exit 1
