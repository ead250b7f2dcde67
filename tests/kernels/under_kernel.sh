#!/usr/bin/env bash
# under_kernel.sh — runs a test under one OpenBLAS kernel: `under_kernel.sh PROBE NAME CMD...`
# sets OPENBLAS_CORETYPE=NAME, checks with PROBE (kernel_probe) that the CPU can run it (else
# exits 77: skipped) and that OpenBLAS really does, then runs CMD in that environment.
set -u
probe=$1 name=$2
shift 2
export OPENBLAS_CORETYPE=$name
"$probe" "$name" || exit $?
exec "$@"
