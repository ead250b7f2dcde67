#!/usr/bin/env bash
# under_kernel.sh — runs a test under one OpenBLAS kernel: `under_kernel.sh PROBE NAME CMD...`
# sets OPENBLAS_CORETYPE=NAME, checks with PROBE (kernel_probe) that the CPU can run it (else
# exits 77: skipped) and that OpenBLAS really does, then runs CMD in that environment.  Where
# the machine itself sets OPENBLAS_CORETYPE (some set it because a kernel computes wrong or
# crashes on their CPU), only that kernel is tested: the others are skipped, as optsweep never
# overrides it either.
set -u
probe=$1 name=$2
shift 2
if [ -n "${OPENBLAS_CORETYPE:-}" ] && [ "${OPENBLAS_CORETYPE,,}" != "${name,,}" ]; then
    echo "skipped: this machine sets OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE (respected, not $name)"
    exit 77
fi
export OPENBLAS_CORETYPE=$name
"$probe" "$name" || exit $?
exec "$@"
