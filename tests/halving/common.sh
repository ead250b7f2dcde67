# common.sh — sourced by the halving test scripts: a private temporary folder (removed on exit)
# as the working directory, `fail` counting failures, `finish` printing the verdict and
# exiting with it.
halving_tmp=$(mktemp -d /tmp/optsweep-halving.XXXXXX) || exit 1
trap 'rm -rf "$halving_tmp"' EXIT
cd "$halving_tmp" || exit 1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
finish() {
    echo "$((fails == 0 ? 1 : 0)) passed, $fails failed"
    [ "$fails" = 0 ]
}
