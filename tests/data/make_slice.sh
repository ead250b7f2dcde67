#!/bin/sh
# make_slice.sh — makes tests/data/mnist-slice/: the first 2000 training and the first 1000 test
# images and labels of MNIST, as gzipped IDX files with the standard names and headers that
# hold the sliced counts.  Reproducible: `gzip -n` stores no name or time stamp.
# Usage: tests/data/make_slice.sh [MNIST_DIR [OUT_DIR]]
#   MNIST_DIR holds the four full files, raw or .gz (default /work/shared/datasets/mnist)
set -eu
src=${1:-/work/shared/datasets/mnist}
out=${2:-$(dirname "$0")/mnist-slice}
n_train=2000
n_test=1000

# cat_idx NAME: the decompressed bytes of NAME (raw or .gz) on stdout
cat_idx() {
    if [ -f "$src/$1" ]; then cat "$src/$1"
    elif [ -f "$src/$1.gz" ]; then gzip -dc "$src/$1.gz"
    else echo "make_slice.sh: $src/$1(.gz): missing" >&2; exit 1
    fi
}

# count_be32 N: N as 4 big-endian bytes
count_be32() {
    printf "\\$(printf %03o $(($1 >> 24 & 255)))\\$(printf %03o $(($1 >> 16 & 255)))"
    printf "\\$(printf %03o $(($1 >> 8 & 255)))\\$(printf %03o $(($1 & 255)))"
}

# slice NAME N HEADER_BYTES RECORD_BYTES: magic, then count N, then the rest of the header
# (rows, cols for images), then the first N records
slice() {
    name=$1 n=$2 hdr=$3 rec=$4
    tmp=$out/.$name.tmp
    {
        cat_idx "$name" | head -c 4
        count_be32 "$n"
        cat_idx "$name" | head -c "$hdr" | tail -c $((hdr - 8))
        cat_idx "$name" | tail -c +$((hdr + 1)) | head -c $((n * rec))
    } | gzip -n -9 > "$tmp"
    mv "$tmp" "$out/$name.gz"
}

mkdir -p "$out"
slice train-images-idx3-ubyte $n_train 16 784
slice train-labels-idx1-ubyte $n_train 8 1
slice t10k-images-idx3-ubyte $n_test 16 784
slice t10k-labels-idx1-ubyte $n_test 8 1
echo "make_slice.sh: wrote $out (train $n_train, test $n_test)"
