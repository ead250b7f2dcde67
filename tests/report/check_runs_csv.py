#!/usr/bin/env python3
"""check_runs_csv.py — runs.csv against the run files it was made from: trains a small real
sweep (cases, a grid, seeds, a run that diverges), runs `optsweep report --no-plots`, reads
runs.csv with Python's csv module and every runs/*.h5 with h5py (not optsweep's reader), and
checks that each row holds exactly the file's run id, case, status, every setting (numbers
equal as doubles, booleans 0/1, lists as stored) and results, and that the rows are ranked by
the best validation accuracy.  Then report.select (#15): the sweep file's rule given after the
runs were trained (`run --set report.select=val_loss`, nothing retrained) ranks by the lowest
validation loss, and --select overrides it.

usage: check_runs_csv.py OPTSWEEP WORK_DIR DATA_DIR"""
import csv
import math
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

optsweep, work, data = (os.path.abspath(a) for a in sys.argv[1:4])
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
with open(os.path.join(work, "s.yaml"), "w") as f:
    f.write(f"""name: csvcheck
data: {{dataset: mnist, dir: {data}, val_from_test: 0.5}}
model: {{hidden: [8, 4]}}
train: {{epochs: 3, batch_size: 500, seed: 0, validation_freq: 1, backend: cpu}}
optimizer: {{name: sgd, lr: 0.1}}
grid:
  optimizer.lr: [0.01, 0.3, 1e9]
  train.seed: [0, 1]
cases:
  - {{name: plain}}
  - {{name: nesterov, optimizer: {{momentum: 0.9, nesterov: true}}}}
""")
subprocess.run([optsweep, "run", "s.yaml"], cwd=work, check=True, stdout=subprocess.DEVNULL)
subprocess.run([optsweep, "report", "results/csvcheck", "--no-plots"], cwd=work, check=True,
               stdout=subprocess.DEVNULL)

failures = []


def expect(cond, what):
    if not cond:
        failures.append(what)


with open(os.path.join(work, "results/csvcheck/runs.csv"), newline="") as f:
    rows = list(csv.DictReader(f))
runs_dir = os.path.join(work, "results/csvcheck/runs")
files = sorted(n for n in os.listdir(runs_dir) if n.endswith(".h5") and not n.endswith(".ckpt.h5"))
expect(len(rows) == len(files) == 12, f"{len(rows)} rows, {len(files)} run files, 12 expected")
by_id = {r["run_id"]: r for r in rows}


def number(cell):
    return math.nan if cell == "" else float(cell)


def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


statuses = set()
for name in files:
    with h5py.File(os.path.join(runs_dir, name), "r") as h:
        a = h.attrs
        rid = a["run_id"]
        row = by_id.get(rid)
        expect(row is not None, f"{rid}: no row")
        if row is None:
            continue
        statuses.add(a["status"])
        expect(row["case"] == a["case"] and row["status"] == a["status"]
               and row["status_message"] == a["status_message"], f"{rid}: case/status differ")
        expect(row["status_epoch"] == ("" if a["status_epoch"] < 0 else str(a["status_epoch"])),
               f"{rid}: status_epoch {row['status_epoch']} vs {a['status_epoch']}")
        settings = [k for k in a if "." in k]
        for k in settings:
            v = a[k]
            cell = row.get(k)
            expect(cell is not None, f"{rid}: no column {k}")
            if cell is None:
                continue
            if isinstance(v, str):
                expect(cell == v, f"{rid}: {k} = {cell!r}, file {v!r}")
            elif isinstance(v, np.ndarray):
                want = "[" + ", ".join(str(x) for x in v.tolist()) + "]"
                expect(cell == want, f"{rid}: {k} = {cell!r}, file {want!r}")
            else:
                expect(number(cell) == float(v), f"{rid}: {k} = {cell!r}, file {v!r}")
        for k in by_id[rid]:
            if "." in k and k not in settings:
                expect(row[k] == "", f"{rid}: {k} = {row[k]!r} but the file has no such setting")
        for k in ("test_acc", "test_loss", "best_val_acc", "best_val_loss", "mean_weight",
                  "wall_seconds"):
            expect(same(number(row[k]), float(a[k])), f"{rid}: {k} {row[k]} vs {a[k]!r}")
        for k in ("best_epoch", "best_val_loss_epoch", "n_train", "n_val", "n_test"):
            want = "" if a[k] < 0 else str(a[k])
            expect(row[k] == want, f"{rid}: {k} {row[k]!r} vs {want!r}")
        tl = h["train_loss"][()]
        expect(same(number(row["final_train_loss"]), float(tl[-1]) if len(tl) else math.nan)
               or (not math.isfinite(tl[-1]) and row["final_train_loss"] == ""),
               f"{rid}: final_train_loss {row['final_train_loss']} vs {tl[-1] if len(tl) else None}")
        expect(row["epochs_run"] == str(len(h["epoch"])), f"{rid}: epochs_run")
        es = h["epoch_seconds"][()]
        expect(len(es) == 0 or abs(number(row["mean_epoch_seconds"]) - float(np.mean(es)))
               <= 1e-12 * max(1.0, float(np.mean(es))), f"{rid}: mean_epoch_seconds")

expect("diverged" in statuses and "completed" in statuses,
       f"the sweep should hold completed and diverged runs, has {statuses}")
# ranked: ranks 1..n in file order, runs that ended well by best_val_acc (descending) first
expect([r["rank"] for r in rows] == [str(i + 1) for i in range(len(rows))], "rank column")
good = [r for r in rows if r["status"] == "completed"]
expect(rows[:len(good)] == good, "diverged runs are not after the completed ones")
vals = [number(r["best_val_acc"]) for r in good]
expect(vals == sorted(vals, reverse=True), f"not ranked by best_val_acc: {vals}")



def report_rows(*extra):
    subprocess.run([optsweep, "report", "results/csvcheck", "--no-plots", *extra], cwd=work,
                   check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(work, "results/csvcheck/runs.csv"), newline="") as f:
        ranked = [r for r in csv.DictReader(f) if r["status"] == "completed"]
    with open(os.path.join(work, "results/csvcheck/summary.md")) as f:
        return ranked, f.read()


out = subprocess.run([optsweep, "run", "s.yaml", "--set", "report.select=val_loss"], cwd=work,
                     check=True, capture_output=True, text=True).stdout
expect("0 trained" in out, f"report.select retrained runs: {out.strip()[-200:]}")
ranked, md = report_rows()
losses = [number(r["best_val_loss"]) for r in ranked]
expect(losses == sorted(losses) and losses != sorted(losses, reverse=True),
       f"report.select val_loss: not ranked by best_val_loss: {losses}")
expect("## Runs, ranked by lowest validation loss" in md
       and "Chosen by the sweep's `report.select: val_loss`" in md,
       "report.select val_loss: summary.md does not rank or say so")
ranked, md = report_rows("--select", "val_acc")
vals = [number(r["best_val_acc"]) for r in ranked]
expect(vals == sorted(vals, reverse=True) and "Chosen with `optsweep report --select val_acc`"
       in md, f"--select val_acc did not override report.select: {vals}")

for f in failures:
    print("FAIL", f)
print(f"check_runs_csv: {len(rows)} rows, {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
