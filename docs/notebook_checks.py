#!/usr/bin/python3
"""notebook_checks.py — the numbers behind the explanations in docs/notebook.md of where optsweep
and the notebook differ: what PyTorch's own initialization gives for torch.manual_seed(0..4)
(the notebook's models start there); what optsweep's near-initial models of cells 11 and 14
predict; how the models of cells 17, 21 and 25 score on the two halves of the test set; and
what the "mean weight" of cells 21 and 25 is made of.  optsweep's models are their final
weights, read from the run files and applied to the 10,000 test images here.

Writes the block between `<!-- notebook_checks.py: checks -->` and
`<!-- /notebook_checks.py: checks -->` of the page.  With --retrain it also trains cells 11 and
14 in PyTorch from torch.manual_seed(0) (our reconstruction of the notebook's loop: 200 epochs,
DataLoader(batch_size=4096, shuffle=True), SGD; about 5 minutes each on one core) and writes the
`torch_cells` block.  Run from the repository root:

    /usr/bin/python3 docs/notebook_checks.py [--runs results/notebook] [--data data/mnist] [--retrain]

Needs torch (Debian's python3-torch), h5py and numpy.
"""
import argparse
import glob
import gzip
import os
import re
import sys

import h5py
import numpy as np


def idx(path):
    """An IDX file (raw or .gz) as a numpy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        d = f.read()
    nd = d[3]
    dims = [int.from_bytes(d[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(d, np.uint8, offset=4 + 4 * nd).reshape(dims)


def load(data, name):
    for ext in (".gz", ""):
        p = os.path.join(data, name + ext)
        if os.path.exists(p):
            return idx(p)
    sys.exit(f"{data}/{name}[.gz] is missing")


def histogram(pred):
    counts = np.bincount(pred, minlength=10)
    top = [f"{d}: {counts[d]}" for d in np.argsort(-counts) if counts[d] > 0][:3]
    return ", ".join(top)


def torch_init(xtr, ytr, xte, yte, seeds):
    """nn.Linear's default init after torch.manual_seed(s), as the notebook builds its model."""
    import torch
    import torch.nn as nn
    torch.set_num_threads(1)
    rows = []
    xtr_t, ytr_t = torch.from_numpy(xtr), torch.from_numpy(ytr)
    xte_t = torch.from_numpy(xte)
    for s in seeds:
        torch.manual_seed(s)
        m = nn.Sequential(nn.Linear(784, 128), nn.LeakyReLU(), nn.Linear(128, 128), nn.LeakyReLU(),
                          nn.Linear(128, 128), nn.LeakyReLU(), nn.Linear(128, 10))
        with torch.no_grad():
            loss = nn.functional.cross_entropy(m(xtr_t), ytr_t).item()
            pred = m(xte_t).argmax(1).numpy()
            means = [p.mean().item() for p in m.parameters()]
            mw = abs(np.mean(means))
            last = (means[-2] + means[-1]) / len(means)  # the output layer's part
        rows.append((s, loss, float((pred == yte).mean()), histogram(pred), mw, last))
    return rows


def torch_retrain(xtr, ytr, xte, yte, cell, seed=0, epochs=200):
    """Cell 11 (SGD lr 1e-4) or 14 (momentum 0.9) in PyTorch: manual_seed, the model, then
    epochs of DataLoader(batch 4096, shuffle=True) batches.  Returns (epoch-0 loss, final
    loss, test accuracy on all 10,000, predicted digits)."""
    import torch
    import torch.nn as nn
    from torch.utils.data import DataLoader, TensorDataset
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    m = nn.Sequential(nn.Linear(784, 128), nn.LeakyReLU(), nn.Linear(128, 128), nn.LeakyReLU(),
                      nn.Linear(128, 128), nn.LeakyReLU(), nn.Linear(128, 10))
    opt = torch.optim.SGD(m.parameters(), lr=1e-4, momentum={"11": 0.0, "14": 0.9}[cell])
    train = DataLoader(TensorDataset(torch.from_numpy(xtr), torch.from_numpy(ytr)),
                       batch_size=4096, shuffle=True)
    first = last = float("nan")
    for epoch in range(epochs):
        total, n = 0.0, 0
        for x, y in train:
            opt.zero_grad()
            loss = nn.functional.cross_entropy(m(x), y)
            loss.backward()
            opt.step()
            total += loss.item()
            n += 1
        last = total / n
        if epoch == 0:
            first = last
    with torch.no_grad():
        pred = m(torch.from_numpy(xte)).argmax(1).numpy()
    return first, last, float((pred == yte).mean()), histogram(pred)


def replace_block(page, name, text):
    pat = re.compile(r"(<!-- notebook_checks\.py: %s -->\n).*?(<!-- /notebook_checks\.py: %s -->)"
                     % (name, name), re.S)
    if not pat.search(page):
        sys.exit(f"the page has no <!-- notebook_checks.py: {name} --> block")
    return pat.sub(lambda m: m.group(1) + text + "\n" + m.group(2), page)


NOTEBOOK_MEAN_WEIGHT = {"cell21-momentum0.99-4000ep": 0.01190,
                        "cell25-momentum0.99-wd1e-3-4000ep": 0.00965}


def tensor_means(f):
    """The 8 tensor means of a run's final weights, model.parameters() order."""
    n = int(f["model"].attrs["n_layers"])
    return np.array([f[f"model/layer{k}/{t}"][()].astype(np.float64).mean()
                     for k in range(1, n + 1) for t in ("weight", "bias")])


def halves_and_mean_weight(runs, xte, yte):
    """Cells 17, 21, 25: accuracy on all 10,000 test images and on each half; cells 21 and
    25: the mean weight split into its hidden-layer part and its last-layer part."""
    acc_rows, mw_rows = [], {}
    for p in runs:
        with h5py.File(p, "r") as f:
            case = str(f.attrs["case"])
            if case not in ("cell17-momentum0.99",) + tuple(NOTEBOOK_MEAN_WEIGHT) or \
                    str(f.attrs["status"]) != "completed":
                continue
            seed = int(f.attrs["seed"])
            acc_all = float((forward(f, xte.astype(np.float64)).argmax(1) == yte).mean())
            test = float(f.attrs["test_acc"])
            # the two halves hold 5000 images each: all = (validation + test) / 2
            acc_rows.append((case, seed, acc_all, test, 2 * acc_all - test))
            if case in NOTEBOOK_MEAN_WEIGHT:
                m = tensor_means(f)
                mw_rows.setdefault(case, []).append(
                    (seed, m[:-2].sum() / len(m), m[-2:].sum() / len(m), float(f.attrs["mean_weight"])))
    out = []
    if acc_rows:
        out += ["Test accuracy of optsweep's final models on the two halves of the test set "
                "(all seeds share the split, `data.split_seed: 0`; the validation half's "
                "accuracy is 2 × all − test half):", "",
                "| case | seed | all 10,000 | optsweep's test half | the other (validation) half |",
                "|---|--:|--:|--:|--:|"]
        out += [f"| {c} | {s} | {a:.4f} | {t:.4f} | {v:.4f} |" for c, s, a, t, v in sorted(acc_rows)]
        out.append("")
    if len(mw_rows) == 2:
        out += ["The mean weight of cells 21 and 25 = |hidden part + last-layer part|: the hidden "
                "part is the sum of the 6 hidden-layer tensor means / 8, the last-layer part "
                "(mean of the output layer's weight + mean of its bias) / 8:", "",
                "| case | seed | hidden part | last-layer part | mean weight |", "|---|--:|--:|--:|--:|"]
        for case in NOTEBOOK_MEAN_WEIGHT:
            for seed, h, l, mw in sorted(mw_rows[case]):
                out.append(f"| {case} | {seed} | {h:+.5f} | {l:+.5f} | {mw:.5f} |")
        c21, c25 = NOTEBOOK_MEAN_WEIGHT
        h21 = np.mean([r[1] for r in mw_rows[c21]])
        h25 = np.mean([r[1] for r in mw_rows[c25]])
        by21 = {r[0]: r[2] for r in mw_rows[c21]}
        ratio = np.mean([r[2] / by21[r[0]] for r in mw_rows[c25] if r[0] in by21])
        implied = NOTEBOOK_MEAN_WEIGHT[c21] - h21
        out += ["", f"With optsweep's mean hidden part of cell 21 ({h21:+.5f}), the notebook's "
                f"{NOTEBOOK_MEAN_WEIGHT[c21]:.5f} needs a last-layer part of {implied:+.5f}. "
                f"Weight decay shrinks the last-layer part by {ratio:.3f} over cell 25's 4000 "
                f"epochs (optsweep's seeds, each against its cell-21 run), so that same "
                f"initialization predicts a cell-25 mean weight of |{h25:+.5f} + {ratio:.3f} × "
                f"{implied:+.5f}| = {abs(h25 + ratio * implied):.5f}; the notebook printed "
                f"{NOTEBOOK_MEAN_WEIGHT[c25]:.5f}.", ""]
    return out


def forward(f, x):
    """optsweep's final model of a run file (docs/FORMAT.md /model) applied to x."""
    n = int(f["model"].attrs["n_layers"])
    h = x
    for k in range(1, n + 1):
        w = f[f"model/layer{k}/weight"][()].astype(np.float64)
        b = f[f"model/layer{k}/bias"][()].astype(np.float64)
        h = h @ w.T + b
        if k < n:
            h = np.where(h > 0, h, 0.01 * h)  # LeakyReLU, slope 0.01
    return h


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", default="results/notebook",
                    help="the sweep of configs/notebook.yaml (default: results/notebook)")
    ap.add_argument("--data", default="data/mnist")
    ap.add_argument("--page", default="docs/notebook.md")
    ap.add_argument("--retrain", action="store_true",
                    help="also train cells 11 and 14 in PyTorch (about 10 minutes)")
    a = ap.parse_args()
    xtr = load(a.data, "train-images-idx3-ubyte").reshape(-1, 784).astype(np.float32) / 255
    ytr = load(a.data, "train-labels-idx1-ubyte").astype(np.int64)
    xte = load(a.data, "t10k-images-idx3-ubyte").reshape(-1, 784).astype(np.float32) / 255
    yte = load(a.data, "t10k-labels-idx1-ubyte").astype(np.int64)

    out = ["PyTorch's initialization, `torch.manual_seed(s)` then the notebook's model "
           "(computed here, no training):", "",
           "| seed | train loss at init | test accuracy at init (10,000 images) | "
           "most predicted digits (count) | mean weight at init | its output-layer part |",
           "|--:|--:|--:|---|--:|--:|"]
    for s, loss, acc, hist, mw, last in torch_init(xtr, ytr, xte, yte, range(5)):
        out.append(f"| {s} | {loss:.4f} | {acc:.4f} | {hist} | {mw:.5f} | {last:+.5f} |")
    shares = np.bincount(yte, minlength=10) / len(yte)
    out += ["", "Share of each digit in the 10,000 test images: " +
            ", ".join(f"{d}: {shares[d]:.4f}" for d in range(10)) + ".", ""]

    files = sorted(glob.glob(os.path.join(a.runs, "runs", "*.h5")))
    rows = []
    for p in files:
        if p.endswith(".ckpt.h5"):
            continue
        with h5py.File(p, "r") as f:
            case = str(f.attrs["case"])
            if case not in ("cell11-sgd", "cell14-momentum0.9") or "model" not in f:
                continue
            pred = forward(f, xte.astype(np.float64)).argmax(1)
            loss = f["train_loss"][()]
            rows.append((case, int(f.attrs["seed"]), float(loss[0]), float(loss[-1]),
                         float(f.attrs["test_acc"]), histogram(pred),
                         float(f.attrs["mean_weight"])))
    out += halves_and_mean_weight([p for p in files if not p.endswith(".ckpt.h5")], xte, yte)
    if rows:
        out += [f"optsweep's runs of cells 11 and 14 (`{a.runs}`): the first and last epoch's "
                "train loss, and what the final model predicts for the 10,000 test images:", "",
                "| case | seed | epoch-0 train loss | final train loss | test accuracy (its test half) | "
                "most predicted digits (count) | mean weight |",
                "|---|--:|--:|--:|--:|---|--:|"]
        for case, seed, l0, l1, acc, hist, mw in sorted(rows):
            out.append(f"| {case} | {seed} | {l0:.4f} | {l1:.4f} | {acc:.4f} | {hist} | "
                       f"{mw:.5f} |")
    else:
        out += [f"*optsweep's runs of cells 11 and 14: pending (no run files in `{a.runs}`).*"]

    with open(a.page, encoding="utf-8") as f:
        page = f.read()
    text = "\n".join(out)
    page = replace_block(page, "checks", text)
    if a.retrain:
        t = ["Cells 11 and 14 trained in PyTorch 1.13 (CPU) from `torch.manual_seed(0)` by "
             "`docs/notebook_checks.py --retrain`, our reconstruction of the notebook's loop:", "",
             "| cell | epoch-0 train loss | final train loss | test accuracy (10,000 images) | "
             "most predicted digits (count) |", "|---|--:|--:|--:|---|"]
        for cell in ("11", "14"):
            l0, l1, acc, hist = torch_retrain(xtr, ytr, xte, yte, cell)
            t.append(f"| {cell} | {l0:.4f} | {l1:.4f} | {acc:.4f} | {hist} |")
        page = replace_block(page, "torch_cells", "\n".join(t))
        text += "\n\n" + "\n".join(t)
    with open(a.page + ".tmp", "w", encoding="utf-8") as f:
        f.write(page)
    os.replace(a.page + ".tmp", a.page)
    print(text)


if __name__ == "__main__":
    main()
