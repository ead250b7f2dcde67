#!/usr/bin/env python3
"""torch_loops.py - the PyTorch side of bench/gpu/bench_gpu.sh: the same model
(784-128-128-128-10, LeakyReLU, cross-entropy, SGD lr 1e-4 momentum 0.9) on full MNIST, on
the same GPU, trained two ways:

  torch_loop     a well-written loop: the training set on the GPU as one float tensor,
                 torch.randperm indexing per batch, zero_grad(set_to_none=True), the batch
                 losses summed on the GPU and read once per epoch, FP32 matmuls (no TF32);
  notebook_loop  the notebook's own loop: DataLoader(TensorDataset(...), batch_size=4096,
                 shuffle=True) on the CPU, .to(device) per batch, loss.item() per batch.

Prints key=value lines (epochs per second after warm-up epochs) that bench_gpu.sh reads.
usage: torch_loops.py DATA_DIR [--epochs N] [--notebook-epochs N] [--batches 1024,4096]
                      [--device cuda|cpu]
"""
import argparse
import gzip
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    """An IDX file of unsigned bytes (raw, or .gz beside it) as a numpy array."""
    opener, name = (open, path) if os.path.exists(path) else (gzip.open, path + ".gz")
    with opener(name, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def model():
    return nn.Sequential(
        nn.Linear(784, 128), nn.LeakyReLU(),
        nn.Linear(128, 128), nn.LeakyReLU(),
        nn.Linear(128, 128), nn.LeakyReLU(),
        nn.Linear(128, 10))


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def torch_loop(x_gpu, y_gpu, batch, epochs, device):
    torch.manual_seed(0)
    net = model().to(device)
    opt = torch.optim.SGD(net.parameters(), lr=1e-4, momentum=0.9)
    n = x_gpu.shape[0]
    n_batches = (n + batch - 1) // batch

    def epoch():
        perm = torch.randperm(n, device=device)
        total = torch.zeros((), device=device)
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(net(x_gpu[idx]), y_gpu[idx])
            loss.backward()
            opt.step()
            total += loss.detach()
        return total.item() / n_batches

    for _ in range(2):
        epoch()
    sync(device)
    t0 = time.perf_counter()
    for _ in range(epochs):
        loss = epoch()
    sync(device)
    secs = time.perf_counter() - t0
    print(f"torch_loop batch={batch} epochs={epochs} seconds={secs:.4f} "
          f"epochs_per_s={epochs / secs:.2f} ms_per_epoch={1e3 * secs / epochs:.3f} "
          f"loss={loss:.6f}", flush=True)


def notebook_loop(x_cpu, y_cpu, epochs, device):
    torch.manual_seed(0)
    net = model().to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=1e-4, momentum=0.9)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x_cpu, y_cpu),
                                         batch_size=4096, shuffle=True)

    def epoch():
        running_loss = 0.0
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            out = net(x)
            loss = criterion(out, y)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
        return running_loss / len(loader)

    epoch()
    sync(device)
    t0 = time.perf_counter()
    for _ in range(epochs):
        loss = epoch()
    sync(device)
    secs = time.perf_counter() - t0
    print(f"notebook_loop batch=4096 epochs={epochs} seconds={secs:.4f} "
          f"epochs_per_s={epochs / secs:.2f} ms_per_epoch={1e3 * secs / epochs:.3f} "
          f"loss={loss:.6f}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--notebook-epochs", type=int, default=3)
    ap.add_argument("--batches", default="1024,4096")
    ap.add_argument("--device", default="cuda")
    a = ap.parse_args()

    if a.device == "cuda" and not torch.cuda.is_available():
        print("skipped: torch sees no CUDA device", flush=True)
        return 77
    device = torch.device(a.device)
    # FP32 matmuls, as optsweep's default precision: no TF32 anywhere
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    card = torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu"
    print(f'torch version={torch.__version__} card="{card}"', flush=True)

    images = read_idx(os.path.join(a.data_dir, "train-images-idx3-ubyte"))
    labels = read_idx(os.path.join(a.data_dir, "train-labels-idx1-ubyte"))
    x_cpu = torch.from_numpy(images.reshape(len(images), 784).copy()).float().div_(255)
    y_cpu = torch.from_numpy(labels.astype(np.int64))
    x_gpu, y_gpu = x_cpu.to(device), y_cpu.to(device)

    for b in (int(v) for v in a.batches.split(",")):
        torch_loop(x_gpu, y_gpu, b, a.epochs, device)
    if a.notebook_epochs > 0:
        notebook_loop(x_cpu, y_cpu, a.notebook_epochs, device)
    return 0


if __name__ == "__main__":
    sys.exit(main())
