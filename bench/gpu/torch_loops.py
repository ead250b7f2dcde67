#!/usr/bin/env python3
"""torch_loops.py - the PyTorch side of bench/gpu/bench_gpu.sh: the same model
(784-128-128-128-10, LeakyReLU, cross-entropy, SGD lr 1e-4 momentum 0.9) on full MNIST, on
the same GPU, trained two ways:

  torch_loop     a well-written loop: the training set on the GPU as one float tensor,
                 torch.randperm indexing per batch, zero_grad(set_to_none=True), the batch
                 losses summed on the GPU and read once per epoch, FP32 matmuls (no TF32);
  notebook_loop  the notebook's own loop: DataLoader(TensorDataset(...), batch_size=4096,
                 shuffle=True) on the CPU, .to(device) per batch, loss.item() per batch;
  torch_pack     (--pack M) the pack peer: M models' parameters stacked along a leading
                 dimension, trained in one loop on the same batches with batched matmuls
                 (torch.baddbmm), the M mean losses summed for one backward, one SGD step
                 over the stacked tensors (per element the same as M separate SGDs).

Prints key=value lines (epochs per second after warm-up epochs) that bench_gpu.sh reads.
usage: torch_loops.py DATA_DIR [--epochs N] [--notebook-epochs N] [--batches 1024,4096]
                      [--device cuda|cpu] [--pack M]
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


def timed(epoch, epochs, device, warmups=2):
    """Seconds for `epochs` calls of epoch() after `warmups` untimed ones, and the last loss."""
    for _ in range(warmups):
        epoch()
    sync(device)
    t0 = time.perf_counter()
    for _ in range(epochs):
        loss = epoch()
    sync(device)
    return time.perf_counter() - t0, loss


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

    secs, loss = timed(epoch, epochs, device)
    print(f"torch_loop batch={batch} epochs={epochs} seconds={secs:.4f} "
          f"epochs_per_s={epochs / secs:.2f} ms_per_epoch={1e3 * secs / epochs:.3f} "
          f"loss={loss:.6f}", flush=True)


def torch_pack(x_gpu, y_gpu, batch, epochs, device, m):
    """M runs at once: each layer's weights as one (M, out, in) tensor."""
    torch.manual_seed(0)
    sizes = [784, 128, 128, 128, 10]
    params = []
    for k in range(4):
        bound = 1.0 / sizes[k] ** 0.5
        w = torch.empty(m, sizes[k + 1], sizes[k], device=device).uniform_(-bound, bound)
        b = torch.empty(m, 1, sizes[k + 1], device=device).uniform_(-bound, bound)
        params += [w.requires_grad_(), b.requires_grad_()]
    opt = torch.optim.SGD(params, lr=1e-4, momentum=0.9)
    n = x_gpu.shape[0]
    n_batches = (n + batch - 1) // batch

    def forward(x):
        h = x.unsqueeze(0).expand(m, -1, -1)  # one batch for every run: (M, B, 784)
        for k in range(4):
            h = torch.baddbmm(params[2 * k + 1], h, params[2 * k].transpose(1, 2))
            if k < 3:
                h = F.leaky_relu(h, 0.01)
        return h  # (M, B, 10)

    def epoch():
        perm = torch.randperm(n, device=device)
        total = torch.zeros((), device=device)
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            opt.zero_grad(set_to_none=True)
            logits = forward(x_gpu[idx])
            y = y_gpu[idx].repeat(m)
            # the sum of the M runs' mean losses: each run's gradient is its own
            loss = F.cross_entropy(logits.reshape(-1, 10), y, reduction="sum") / idx.shape[0]
            loss.backward()
            opt.step()
            total += loss.detach()
        return total.item() / n_batches / m

    secs, loss = timed(epoch, epochs, device)
    mem = torch.cuda.max_memory_allocated() / m / 2**20 if device.type == "cuda" else 0.0
    print(f"torch_pack batch={batch} runs={m} epochs={epochs} seconds={secs:.4f} "
          f"model_epochs_per_s={m * epochs / secs:.2f} mem_per_run_mb={mem:.1f} "
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

    secs, loss = timed(epoch, epochs, device, warmups=1)
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
    ap.add_argument("--pack", type=int, default=0)
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
        if a.pack > 0:
            torch_pack(x_gpu, y_gpu, b, a.epochs, device, a.pack)
        else:
            torch_loop(x_gpu, y_gpu, b, a.epochs, device)
    if a.notebook_epochs > 0:
        notebook_loop(x_cpu, y_cpu, a.notebook_epochs, device)
    return 0


if __name__ == "__main__":
    sys.exit(main())
