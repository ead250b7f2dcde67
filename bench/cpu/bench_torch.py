#!/usr/bin/python3
"""bench_torch.py — seconds per training epoch of PyTorch on the CPU, full MNIST, the same MLP
(784-128-128-128-10, LeakyReLU 0.01), optimizer and batch sizes as bench_cpu: the efficient
loop (the whole training set in one float tensor, randperm indexing, no DataLoader), 2 threads.
Run with Debian's torch: /usr/bin/python3 bench/cpu/bench_torch.py DATA_DIR [BATCH ...]
Prints one line per batch size: "batch <B> torch <s/epoch>" (best of --epochs epochs)."""
import os

# Without this, this PyTorch build spins its idle OpenMP threads and runs ~4x slower, which
# would flatter us.  It must be set before torch (libgomp) loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import gzip
import time

import numpy as np
import torch
import torch.nn.functional as F


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(data_dir, base):
    for name in (base, base + ".gz"):
        if os.path.exists(os.path.join(data_dir, name)):
            return os.path.join(data_dir, name)
    raise SystemExit(f"bench_torch: {data_dir}/{base}(.gz) missing")


def blas_kernel():
    """The OpenBLAS kernel torch's BLAS runs (this torch's BLAS is the system's libblas.so.3),
    so that the comparison is known to be fair: bench_cpu.sh sets OPENBLAS_CORETYPE to the
    kernel optsweep trains on."""
    import ctypes
    try:
        lib = ctypes.CDLL("libblas.so.3")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode()
    except (OSError, AttributeError):
        return "unknown (not OpenBLAS)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir")
    ap.add_argument("batches", nargs="*", type=int, default=[128, 1024, 4096])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    args = ap.parse_intermixed_args()

    torch.set_num_threads(2)
    images = read_idx(find(args.data_dir, "train-images-idx3-ubyte"))
    labels = read_idx(find(args.data_dir, "train-labels-idx1-ubyte"))
    x = torch.from_numpy(images.reshape(len(images), -1).copy()).float().div(255)
    y = torch.from_numpy(labels.astype(np.int64))
    n = x.shape[0]

    print(f"torch kernel {blas_kernel()}", flush=True)
    for batch in args.batches:
        torch.manual_seed(0)
        model = torch.nn.Sequential(
            torch.nn.Linear(784, 128), torch.nn.LeakyReLU(),
            torch.nn.Linear(128, 128), torch.nn.LeakyReLU(),
            torch.nn.Linear(128, 128), torch.nn.LeakyReLU(),
            torch.nn.Linear(128, 10))
        if args.optimizer == "adam":
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        else:
            opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        best = float("inf")
        for epoch in range(args.epochs + 1):  # epoch 0 warms up
            t0 = time.perf_counter()
            perm = torch.randperm(n)
            running = 0.0
            for first in range(0, n, batch):
                idx = perm[first:first + batch]
                opt.zero_grad()
                loss = F.cross_entropy(model(x[idx]), y[idx])
                loss.backward()
                opt.step()
                running += loss.item()
            t = time.perf_counter() - t0
            if epoch > 0:
                best = min(best, t)
        print(f"batch {batch} torch {best:.4f}", flush=True)


if __name__ == "__main__":
    main()
