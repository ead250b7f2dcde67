#!/usr/bin/python3
"""notebook_table.py — fills the generated parts of docs/notebook.md from optsweep's HDF5 run
files: the table of the notebook's cells (the notebook's printed value beside optsweep's mean
± std over seeds, seed 0 alone, and the CPU backend's seed 0), the `as_written` runs, backend,
device and wall time, and the loss-curve figures (copied from plots/ into docs/notebook/).

The hand-written text of the page (the explanations of the differences) is kept: only the
blocks between `<!-- notebook_table.py: NAME -->` and `<!-- /notebook_table.py: NAME -->` are
rewritten.  Run it from the repository root after the sweeps and their reports:

    /usr/bin/python3 docs/notebook_table.py [--gpu results/notebook] [--cpu results/notebook-cpu]

Reads only the run files (docs/FORMAT.md); needs h5py and numpy.  A sweep folder that does not
exist yet leaves its rows marked "pending".
"""
import argparse
import glob
import math
import os
import re
import shutil
import subprocess
import sys

import h5py
import numpy as np

# The notebook's cells: case name in configs/notebook.yaml, what the cell does, and what the
# notebook printed, as printed (absent: not printed).  Order = the table.
CELLS = [
    ("cell11-sgd", "11", "SGD", "lr 1e-4", 200,
     {"train_loss": "2.3019", "test_acc": "0.1164"}),
    ("cell14-momentum0.9", "14", "SGD", "lr 1e-4, momentum 0.9", 200,
     {"train_loss": "2.2770", "test_acc": "0.2551"}),
    ("cell17-momentum0.99", "17", "SGD", "lr 1e-4, momentum 0.99", 200,
     {"train_loss": "0.4077", "test_acc": "0.8826"}),
    ("cell21-momentum0.99-4000ep", "21", "SGD", "lr 1e-4, momentum 0.99", 4000,
     {"train_loss": "0.01364", "test_acc": "0.9715", "mean_weight": "0.01190"}),
    ("cell25-momentum0.99-wd1e-3-4000ep", "25", "SGD", "lr 1e-4, momentum 0.99, weight_decay 1e-3",
     4000, {"train_loss": "0.03408", "test_acc": "0.9721", "mean_weight": "0.00965"}),
    ("cell31-momentum0.99-lr0.1-steplr-4000ep", "31", "SGD + StepLR(100, 0.9) per validation",
     "lr 0.1, momentum 0.99", 4000, {}),
    ("cell52-adagrad", "52", "Adagrad", "lr 1e-3", 200, {"train_loss": "0.1687"}),
    ("cell54-rmsprop", "54", "RMSprop", "lr 1e-3", 200, {"train_loss": "0.000171"}),
    ("cell56-adam", "56", "Adam", "lr 1e-3", 200, {"train_loss": "0.000118"}),
]
AS_WRITTEN = [
    ("as_written-cell21-momentum0.99-4000ep-b8192", "cell21-momentum0.99-4000ep", 8192),
    ("as_written-cell25-momentum0.99-wd1e-3-4000ep-b8192", "cell25-momentum0.99-wd1e-3-4000ep",
     8192),
    ("as_written-cell52-adagrad-b1024", "cell52-adagrad", 1024),
    ("as_written-cell54-rmsprop-b1024", "cell54-rmsprop", 1024),
    ("as_written-cell56-adam-b1024", "cell56-adam", 1024),
]
METRICS = [("train_loss", "final train loss"), ("test_acc", "test accuracy"),
           ("mean_weight", "mean weight")]
PENDING = "*pending*"


def read_runs(sweep_dir):
    """{case: [run dict, ...]} of the finished run files of a sweep folder ({} if absent)."""
    runs = {}
    for path in sorted(glob.glob(os.path.join(sweep_dir, "runs", "*.h5"))):
        if path.endswith(".ckpt.h5"):
            continue
        with h5py.File(path, "r") as f:
            if f.attrs.get("format_version") != 2:
                sys.exit(f"{path}: format_version {f.attrs.get('format_version')}, expected 2")
            a = f.attrs
            loss = f["train_loss"][()]
            r = {
                "id": str(a["run_id"]), "case": str(a["case"]), "seed": int(a["seed"]),
                "status": str(a["status"]), "backend": str(a["backend"]),
                "device": str(a["device"]), "git": str(a["git_revision"]),
                "wall": float(a["wall_seconds"]), "epochs": len(loss),
                "batch": int(a["train.batch_size"]),
                "train_loss": float(loss[-1]) if len(loss) else math.nan,
                "first_train_loss": float(loss[0]) if len(loss) else math.nan,
                "test_acc": float(a["test_acc"]), "mean_weight": float(a["mean_weight"]),
                "best_val_acc": float(a["best_val_acc"]),
                "status_epoch": int(a["status_epoch"]),
            }
            runs.setdefault(r["case"], []).append(r)
    for case in runs:
        runs[case].sort(key=lambda r: r["seed"])
    return runs


def fmt(metric, v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if metric == "test_acc":
        return f"{v:.4f}"
    return f"{v:#.5g}" if metric == "train_loss" else f"{v:#.4g}"


def fmt_std(metric, v):
    return f"{v:.4f}" if metric == "test_acc" else f"{v:.2g}"


def completed(rs):
    return [r for r in rs if r["status"] == "completed"]


def stat_cell(metric, rs):
    """'mean ± std (n)' over the completed runs; diverged runs are counted apart."""
    if not rs:
        return PENDING
    ok = completed(rs)
    vals = np.array([r[metric] for r in ok], dtype=float)
    vals = vals[np.isfinite(vals)]
    bad = len(rs) - len(ok)
    note = f", {bad} diverged" if bad else ""
    if len(vals) == 0:
        return f"— ({len(rs)} runs{note})"
    if len(vals) == 1:
        return f"{fmt(metric, vals[0])} (1 run{note})"
    return (f"{fmt(metric, vals.mean())} ± {fmt_std(metric, vals.std(ddof=1))} "
            f"({len(vals)} seeds{note})")


def seed0_cell(metric, rs):
    r = next((r for r in rs if r["seed"] == 0), None)
    if r is None:
        return PENDING
    if r["status"] != "completed":
        return f"{r['status']} at epoch {r['status_epoch']}"
    return fmt(metric, r[metric])


def spread_cell(metric, nb, rs):
    """Where the notebook's value falls against the seeds: inside their range, or how many
    sample standard deviations from their mean."""
    if nb is None:
        return ""
    nb = float(nb)
    vals = np.array([r[metric] for r in completed(rs)], dtype=float)
    vals = vals[np.isfinite(vals)]
    if len(vals) < 2:
        return PENDING if not rs else "—"
    lo, hi, mean, sd = vals.min(), vals.max(), vals.mean(), vals.std(ddof=1)
    if lo <= nb <= hi:
        return "inside the seeds' range"
    z = (nb - mean) / sd if sd > 0 else math.inf
    return f"outside: {z:+.1f} σ"


def duration(s):
    if s is None or math.isnan(s):
        return "—"
    if s < 10:
        return f"{s:.1f} s"
    if s < 60:
        return f"{s:.0f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60):02d} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60):02d} min"


def wall_cell(rs):
    if not rs:
        return PENDING
    w = np.array([r["wall"] for r in rs])
    if len(w) == 1:
        return duration(w[0])
    return f"{duration(w.mean())} per run ({duration(w.sum())} for {len(w)})"


def backend_cell(rs):
    if not rs:
        return PENDING
    devs = sorted({r["device"] if r["device"].startswith(r["backend"])
                   else f"{r['backend']} ({r['device']})" for r in rs})
    return "; ".join(devs)


def main_table(gpu, cpu):
    out = ["| cell | optimizer | settings | epochs | value | notebook printed | "
           "optsweep, seeds 0–4: mean ± std | optsweep, seed 0 | notebook vs seeds | "
           "CPU backend, seed 0 |",
           "|---|---|---|--:|---|--:|--:|--:|---|--:|"]
    for case, cell, optim, settings, epochs, printed in CELLS:
        g, c = gpu.get(case, []), cpu.get(case, [])
        # the notebook prints the mean weight of the 4000-epoch cells
        metrics = METRICS if epochs == 4000 else METRICS[:2]
        for k, (m, label) in enumerate(metrics):
            head = [f"**{cell}**", optim, settings, str(epochs)] if k == 0 else ["", "", "", ""]
            nb = printed.get(m)
            cpu_cell = seed0_cell(m, c) if c else ("—" if epochs == 4000 else PENDING)
            out.append("| " + " | ".join(head + [
                label, nb if nb is not None else "—", stat_cell(m, g),
                seed0_cell(m, g), spread_cell(m, nb, g), cpu_cell]) + " |")
    return "\n".join(out)


def as_written_table(gpu, cpu):
    out = ["| case | batch size | epochs | final train loss | test accuracy | mean weight | "
           "same cell as executed (batch 4096), seed 0: train loss / test accuracy | "
           "backend | wall time |",
           "|---|--:|--:|--:|--:|--:|---|---|--:|"]
    for case, executed, batch in AS_WRITTEN:
        rs = gpu.get(case, [])
        r = rs[0] if rs else None
        ex = next((x for x in gpu.get(executed, []) if x["seed"] == 0), None)
        exs = f"{fmt('train_loss', ex['train_loss'])} / {fmt('test_acc', ex['test_acc'])}" \
            if ex else PENDING
        if r is None:
            out.append(f"| `{case}` | {batch} | | {PENDING} | {PENDING} | {PENDING} | {exs} | "
                       f"{PENDING} | {PENDING} |")
            continue
        out.append(f"| `{case}` | {batch} | {r['epochs']} | {seed0_cell('train_loss', rs)} | "
                   f"{seed0_cell('test_acc', rs)} | {seed0_cell('mean_weight', rs)} | {exs} | "
                   f"{r['backend']} | {duration(r['wall'])} |")
    return "\n".join(out)


def runs_table(gpu, cpu, gpu_dir, cpu_dir):
    out = ["| cell | runs in `%s` | backend, device | wall time | runs in `%s` | CPU wall time |"
           % (gpu_dir, cpu_dir),
           "|---|--:|---|--:|--:|--:|"]
    for case, cell, *_ in CELLS:
        g, c = gpu.get(case, []), cpu.get(case, [])
        out.append(f"| {cell} (`{case}`) | {len(g) if g else PENDING} | {backend_cell(g)} | "
                   f"{wall_cell(g)} | {len(c) if c else '—'} | {wall_cell(c) if c else '—'} |")
    for case, _, _ in AS_WRITTEN:
        g = gpu.get(case, [])
        out.append(f"| `{case}` | {len(g) if g else PENDING} | {backend_cell(g)} | "
                   f"{wall_cell(g)} | — | — |")
    revs = sorted({r["git"] for rs in list(gpu.values()) + list(cpu.values()) for r in rs})
    out.append("")
    out.append("optsweep git revision of the runs: " +
               (", ".join(f"`{v}`" for v in revs) if revs else PENDING) + ".")
    return "\n".join(out)


def figure_runs(runs, case):
    """Seed 0's run, and when it did not complete (diverged), the first seed that did."""
    rs = runs.get(case, [])
    r0 = next((x for x in rs if x["seed"] == 0), None)
    if r0 is None:
        return []
    if r0["status"] == "completed":
        return [r0]
    ok = next((x for x in rs if x["status"] == "completed"), None)
    return [r0] + ([ok] if ok else [])


def draw_run_alone(sweep_dir, run_id, plots_dir):
    """A sweep of more than 40 runs has loss figures for its best runs only (README, "At
    sweep scale"): draws this run's with `optsweep report --only` into plots_dir (beside the
    sweep's figures, which stay as they are); returns the PNG's path."""
    optsweep = os.environ.get("OPTSWEEP", "build/optsweep")
    os.makedirs(plots_dir, exist_ok=True)
    subprocess.run([optsweep, "report", sweep_dir, "--only", run_id, "--plots-dir", plots_dir,
                    "--out", os.path.join(plots_dir, f"{run_id}.md")],
                   check=True, stdout=subprocess.DEVNULL)
    return os.path.join(plots_dir, f"loss_{run_id}.png")


def figures(gpu, cpu, gpu_dir, cpu_dir, plots, fig_dir):
    """Copies each cell's seed-0 loss curves (from the GPU sweep when there, else the CPU's;
    plus the first completed seed when seed 0 diverged) and the StepLR demonstration into
    fig_dir; returns the Markdown that shows them."""
    os.makedirs(fig_dir, exist_ok=True)
    out = []
    for case, cell, optim, settings, epochs, printed in CELLS:
        shown = []
        for runs, sweep_dir in ((gpu, gpu_dir), (cpu, cpu_dir)):
            shown = [(r, sweep_dir) for r in figure_runs(runs, case)]
            if shown:
                break
        if not shown:
            out.append(f"**Cell {cell}** — {optim}, {settings}, {epochs} epochs (`{case}`): "
                       f"*pending*\n")
            continue
        for r, sweep_dir in shown:
            name = os.path.basename(os.path.normpath(sweep_dir))
            png = os.path.join(plots, name, f"loss_{r['id']}.png")
            if not os.path.exists(png):
                png = draw_run_alone(sweep_dir, r["id"],
                                     os.path.join(plots, name + "-runs", r["id"]))
            if not os.path.exists(png):
                sys.exit(f"{png} is missing: run `optsweep report {sweep_dir}` first")
            suffix = "" if r["seed"] == 0 else f"-seed{r['seed']}"
            dst = os.path.join(fig_dir, f"{case}{suffix}.png")
            shutil.copyfile(png, dst)
            rel = os.path.relpath(dst, os.path.dirname(fig_dir.rstrip("/")))
            status = "" if r["status"] == "completed" else f", {r['status']}"
            out.append(f"**Cell {cell}** — {optim}, {settings}, {epochs} epochs (`{case}`, "
                       f"seed {r['seed']}{status}, {r['backend']} backend):\n")
            out.append(f"![loss curves of {case}, seed {r['seed']}]({rel})\n")
    return "\n".join(out)


def replace_block(page, name, text):
    pat = re.compile(r"(<!-- notebook_table\.py: %s -->\n).*?(<!-- /notebook_table\.py: %s -->)"
                     % (re.escape(name), re.escape(name)), re.S)
    if not pat.search(page):
        sys.exit(f"the page has no block '{name}' (<!-- notebook_table.py: {name} --> ... "
                 f"<!-- /notebook_table.py: {name} -->)")
    return pat.sub(lambda m: m.group(1) + text.rstrip("\n") + "\n" + m.group(2), page)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gpu", default="results/notebook",
                    help="the sweep of configs/notebook.yaml (default: results/notebook)")
    ap.add_argument("--cpu", default="results/notebook-cpu",
                    help="the CPU runs of configs/notebook-cpu.yaml (default: results/notebook-cpu)")
    ap.add_argument("--plots", default="plots", help="where optsweep report drew (default: plots)")
    ap.add_argument("--page", default="docs/notebook.md")
    ap.add_argument("--figures", default="docs/notebook",
                    help="where the page's figures are copied (default: docs/notebook)")
    a = ap.parse_args()
    gpu, cpu = read_runs(a.gpu), read_runs(a.cpu)
    # the same case must be the same settings in both sweeps: the seed-0 run ids agree
    for case in set(gpu) & set(cpu):
        g0 = {r["id"] for r in gpu[case] if r["seed"] == 0}
        c0 = {r["id"] for r in cpu[case] if r["seed"] == 0}
        if g0 and c0 and g0 != c0:
            sys.exit(f"case {case}: seed-0 run ids differ ({g0} vs {c0}): the configs drifted")
    with open(a.page, encoding="utf-8") as f:
        page = f.read()
    page = replace_block(page, "table", main_table(gpu, cpu))
    page = replace_block(page, "as_written", as_written_table(gpu, cpu))
    page = replace_block(page, "runs", runs_table(gpu, cpu, a.gpu, a.cpu))
    page = replace_block(page, "figures", figures(gpu, cpu, a.gpu, a.cpu, a.plots, a.figures))
    demo = os.path.join(a.plots, "notebook", "steplr-demo.png")
    if os.path.exists(demo):
        shutil.copyfile(demo, os.path.join(a.figures, "steplr-demo.png"))
    else:
        print(f"note: {demo} is missing (see the page for the command that draws it)",
              file=sys.stderr)
    with open(a.page + ".tmp", "w", encoding="utf-8") as f:
        f.write(page)
    os.replace(a.page + ".tmp", a.page)
    n_gpu = sum(len(v) for v in gpu.values())
    n_cpu = sum(len(v) for v in cpu.values())
    print(f"{a.page}: filled from {n_gpu} runs in {a.gpu} and {n_cpu} in {a.cpu}")


if __name__ == "__main__":
    main()
