#!/usr/bin/python3
"""gen_reference.py — records what PyTorch 1.13 (Debian's python3-torch, CPU, float32, one
thread) computes, for the C tests to reproduce:

  fixtures/optim_steps.txt   a few steps of every optimizer option on random tensors, bit for bit
                             (params and every state buffer after each step)
  fixtures/schedules.txt     the lr after 0..N scheduler.step() calls, every schedule kind, and
                             the momentum / beta1 CyclicLR and OneCycleLR cycle
  fixtures/philox.txt        Philox4x32-10 outputs and permutations (this file's numpy version)
  fixtures/torch_math.txt    torch.exp, torch.log and cross-entropy's log-softmax and logits
                             gradient on float32 inputs, bit for bit (SLEEF's exp/log, lanes)
  fixtures/steps.h5          parameters after each of the first 6 full-batch steps, every
                             optimizer case, several train.seed row orders, with the spread of
                             torch's own runs in other row orders (issue #12's check)
  fixtures/reference.h5      training trajectories of a small MLP on the MNIST slice from a
                             fixed init (/model/layer{k}/weight|bias, optsweep's model.init
                             layout), full-batch and mini-batch, every optimizer option and
                             schedule, with the float32 noise band of each

Run from anywhere:  /usr/bin/python3 tests/reference/gen_reference.py
(plain `python3` here may be a pyenv without torch).  Deterministic: same output every run.
"""
import gzip
import inspect
import math
import os
import re
import struct
import sys
import warnings

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(HERE, "fixtures")

HIDDEN = [16, 12]          # 784-16-12-10: distinct widths catch a transposed layer
N_TRAIN = 512              # training images used (data.train_limit)
FULL_EPOCHS, FULL_BATCH = 30, 512      # full batch: 30 steps
MINI_EPOCHS, MINI_BATCH = 8, 120       # 512 = 4 * 120 + 32: 5 steps per epoch, 40 steps
SEED = 7                   # train.seed: the epoch permutations
SPLIT_SEED = 11            # data.split_seed (val_from_train case)
INIT_SEED = 1234           # torch.manual_seed for nn.Linear's default init, saved as /model

torch.set_num_threads(1)
warnings.filterwarnings("ignore")  # scheduler-order and step(epoch) deprecation warnings


# ---- Philox4x32-10 as src/philox.h (cuRAND's layout), in numpy ------------------------------
MASK = np.uint64(0xFFFFFFFF)


def philox4x32_10(c, k0, k1):
    """c: four uint64 arrays holding 32-bit words (x, y, z, w); key (k0, k1)."""
    x, y, z, w = (np.asarray(v, dtype=np.uint64) for v in c)
    k0, k1 = np.uint64(k0), np.uint64(k1)
    for _ in range(10):
        p0 = np.uint64(0xD2511F53) * x  # 32 x 32 bits: fits in 64
        p1 = np.uint64(0xCD9E8D57) * z
        x, y, z, w = ((p1 >> np.uint64(32)) ^ y ^ k0, p1 & MASK,
                      (p0 >> np.uint64(32)) ^ w ^ k1, p0 & MASK)
        k0 = (k0 + np.uint64(0x9E3779B9)) & MASK
        k1 = (k1 + np.uint64(0xBB67AE85)) & MASK
    return x, y, z, w


def philox_u32(seed, stream, n):
    """The n-th 32-bit output (n: array) of `stream` under `seed`, as curand() after
    curand_init(seed, stream, n): counter (x, y) = n / 4, (z, w) = stream, word n % 4."""
    n = np.asarray(n, dtype=np.uint64)
    block = n >> np.uint64(2)
    c = (block & MASK, block >> np.uint64(32),
         np.full_like(n, stream & 0xFFFFFFFF), np.full_like(n, stream >> 32))
    out = np.stack(philox4x32_10(c, seed & 0xFFFFFFFF, seed >> 32))
    return out[(n & np.uint64(3)).astype(np.int64), np.arange(n.size)].astype(np.uint32)


def philox_permutation(seed, stream, n):
    keys = philox_u32(seed, stream, np.arange(n, dtype=np.uint64))
    return np.argsort(keys, kind="stable")  # ascending keys, ties by index


PHILOX_STREAM_SPLIT, PHILOX_STREAM_EPOCH0 = 1, 2


def check_philox_kat():
    """Random123's known-answer vectors (kat_vectors: philox4x32 10)."""
    kat = [((0, 0, 0, 0), (0, 0), (0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8)),
           ((0xffffffff,) * 4, (0xffffffff,) * 2, (0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd)),
           ((0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344), (0xa4093822, 0x299f31d0),
            (0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1))]
    for ctr, key, want in kat:
        got = tuple(int(v) for v in philox4x32_10([[v] for v in ctr], *key))
        assert got == want, (ctr, key, got, want)


# ---- data ----------------------------------------------------------------------------------
def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_mnist():
    """The committed slice (first 2000 train / 1000 test images); else the full files, cut."""
    for d in (os.path.join(ROOT, "tests", "data", "mnist-slice"), "/work/shared/datasets/mnist"):
        if os.path.exists(os.path.join(d, "train-images-idx3-ubyte.gz")):
            f = lambda name: read_idx(os.path.join(d, name + ".gz"))
            return (f("train-images-idx3-ubyte")[:2000].reshape(-1, 784),
                    f("train-labels-idx1-ubyte")[:2000],
                    f("t10k-images-idx3-ubyte")[:1000].reshape(-1, 784),
                    f("t10k-labels-idx1-ubyte")[:1000])
    sys.exit("gen_reference.py: no MNIST slice (tests/data/mnist-slice) or full MNIST found")


# ---- model ---------------------------------------------------------------------------------
def make_model(dtype):
    sizes = [784] + HIDDEN + [10]
    layers = []
    for k in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[k], sizes[k + 1]))
        if k + 2 < len(sizes):
            layers.append(nn.LeakyReLU(0.01))
    return nn.Sequential(*layers).to(dtype)


def linears(model):
    return [m for m in model if isinstance(m, nn.Linear)]


def flat_params(model):
    """model.h's flat layout: per layer weight (out, in) row-major, then bias."""
    out = []
    for lin in linears(model):
        out += [lin.weight.detach().reshape(-1), lin.bias.detach()]
    return torch.cat(out).double().numpy()


# ---- optimizers and schedules from settings.h-named fields ----------------------------------
OPTIM_DEFAULTS = dict(lr=0.01, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=0,
                      lr_decay=0.0, initial_accumulator_value=0.0, eps=1e-8, alpha=0.99,
                      centered=0, beta1=0.9, beta2=0.999, amsgrad=0, rho=0.9,
                      momentum_decay=4e-3, etaminus=0.5, etaplus=1.2, step_size_min=1e-6,
                      step_size_max=50.0, lambd=1e-4, t0=1e6, evaluate_averaged=0)
SCHEDULE_DEFAULTS = dict(kind="none", every="epoch", step_size=1, gamma=0.1, milestones=[],
                         T_max=1, eta_min=0.0, start_factor=1.0 / 3, end_factor=1.0,
                         total_iters=5, factor=1.0 / 3, power=1.0, T_0=1, T_mult=1,
                         monitor="val_loss", mode="min", patience=10, threshold=1e-4,
                         threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8,
                         warmup_iters=0, warmup_start_factor=1.0 / 3,
                         base_lr=0.001, max_lr=0.01, step_size_up=2000, step_size_down=0,
                         cycle_momentum=1, base_momentum=0.8, max_momentum=0.9, total_steps=1,
                         pct_start=0.3, anneal_strategy="cos", div_factor=25.0,
                         final_div_factor=10000.0, three_phase=0)
# settings keys holding a pair: the key and its two fields
PAIRS = {"optimizer.betas": ("beta1", "beta2"), "optimizer.etas": ("etaminus", "etaplus"),
         "optimizer.step_sizes": ("step_size_min", "step_size_max")}


def registry_rows(enum_prefix):
    """src/registry.c's rows of one table: [(name, class, [brace groups at depth 2])]."""
    text = open(os.path.join(ROOT, "src", "registry.c")).read()
    rows = []
    for m in re.finditer(r'\[%s_\w+\] = \{' % enum_prefix, text):
        depth, i, groups, start = 1, m.end(), [], None
        while depth:
            c = text[i]
            if c == "{":
                depth += 1
                if depth == 2:
                    start = i
            elif c == "}":
                if depth == 2:
                    groups.append(text[start:i + 1])
                depth -= 1
            i += 1
        head = re.match(r'\s*"(\w+)", "(?:torch\.optim\.)?(\w+)"', text[m.end():])
        rows.append((head.group(1), head.group(2), groups))
    return rows


def _pairs(group):
    unq = lambda v: None if v == "NULL" else v.strip('"')
    return [(unq(x), unq(y)) for x, y in re.findall(r'\{("[^"]*"|NULL), ("[^"]*"|NULL)\}', group)
            if x != "NULL"]


def read_registry():
    """The optimizer rows: name -> (torch class, [(slot, when key)], {key: default}), so that
    this script knows no optimizer by name either."""
    rows = {name: (cls, _pairs(g[0]), dict(_pairs(g[2])))
            for name, cls, g in registry_rows("OPTIM")}
    assert len(rows) >= 11, "registry.c rows not found"
    return rows


def read_schedule_registry():
    """The schedule rows: name -> (lr_scheduler class, {key: default})."""
    return {name: (cls, dict(_pairs(g[1]))) for name, cls, g in registry_rows("SCHEDULE")}


REGISTRY = read_registry()
SCHEDULE_REGISTRY = read_schedule_registry()


def field_of(key):
    return key.split(".", 1)[1]


def optim_full(kind, **kw):
    o = dict(OPTIM_DEFAULTS, kind=kind)
    for key, value in REGISTRY[kind][2].items():
        o[field_of(key)] = float(value)
    o.update(kw)
    return o


def make_optimizer(o, params):
    """The registry's torch class with every keyword it takes from o (PyTorch's names are
    optsweep's; the pairs betas, etas, step_sizes are tuples), foreach=False: the
    single-tensor code the C rules follow."""
    cls = getattr(torch.optim, REGISTRY[o["kind"]][0])
    kwargs = {}
    for name in inspect.signature(cls.__init__).parameters:
        key = "optimizer." + name
        if key in PAIRS:
            kwargs[name] = tuple(o[f] for f in PAIRS[key])
        elif name in ("nesterov", "centered", "amsgrad"):
            kwargs[name] = bool(o[name])
        elif name == "foreach":
            kwargs[name] = False
        elif name in o and name != "maximize":
            kwargs[name] = o[name]
    return cls(params, **kwargs)


def state_slots(o, opt, p):
    """The optimizer state of parameter p as optsweep's slots: the registry row's, in order,
    those whose `when` key is non-zero."""
    st = opt.state[p]
    zeros = torch.zeros_like(p)
    return [st.get(name, zeros) for name, when in REGISTRY[o["kind"]][1]
            if when is None or o[field_of(when)] != 0]


def make_main_scheduler(s, opt):
    """The registry's lr_scheduler class with every keyword it takes from s; "none" is a
    constant factor of 1 (LambdaLR), so that it can sit behind a warm-up."""
    if s["kind"] == "none":
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda e: 1.0)
    cls = getattr(torch.optim.lr_scheduler, SCHEDULE_REGISTRY[s["kind"]][0])
    kwargs = {name: (list(s[name]) if name == "milestones" else s[name])
              for name in inspect.signature(cls.__init__).parameters if name in s}
    for name in ("cycle_momentum", "three_phase"):  # optsweep's 0/1 booleans
        if name in kwargs:
            kwargs[name] = bool(kwargs[name])
    if kwargs.get("step_size_down") == 0:  # optsweep's 0: PyTorch's None (= step_size_up)
        kwargs["step_size_down"] = None
    return cls(opt, **kwargs)


def make_scheduler(s, opt):
    if s["warmup_iters"] > 0:
        warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=s["warmup_start_factor"],
                                                 end_factor=1.0, total_iters=s["warmup_iters"])
        main = make_main_scheduler(s, opt)
        return torch.optim.lr_scheduler.SequentialLR(opt, [warm, main],
                                                     milestones=[s["warmup_iters"]])
    return make_main_scheduler(s, opt)


def schedule_full(kind="none", **kw):
    s = dict(SCHEDULE_DEFAULTS, kind=kind)
    fields = {v: k.split(".", 1)[1] for k, v in SETTING_KEY.items() if k.startswith("schedule.")}
    for key, value in SCHEDULE_REGISTRY[kind][1].items():
        f = fields.get(key, field_of(key))
        s[f] = value if isinstance(SCHEDULE_DEFAULTS[f], str) else float(value)
    s.update(kw)
    return s


def hexwords(t):
    a = np.ascontiguousarray(t.detach().numpy().astype(np.float32)).view(np.uint32)
    return " ".join("%08x" % v for v in a)


def optim_line(o):
    return setting_words(o, "optim.")


# ---- fixture 1: optimizer steps, bit for bit -------------------------------------------------
def gen_optim_steps(path):
    """Each case: one float32 tensor of 37 elements (torch's AVX2 kernels do 32 vectorised and
    a scalar tail of 5), 4 steps with fresh gradients and a different lr each step (as a
    schedule would), some gradients exactly zero or tiny.  Params and state after each step."""
    cases = [
        ("sgd", optim_full("sgd", lr=0.1)),
        ("sgd_wd", optim_full("sgd", lr=0.1, weight_decay=0.01)),
        ("sgd_momentum", optim_full("sgd", lr=0.05, momentum=0.9)),
        ("sgd_dampening", optim_full("sgd", lr=0.05, momentum=0.9, dampening=0.3)),
        ("sgd_nesterov_wd", optim_full("sgd", lr=0.05, momentum=0.9, nesterov=1,
                                       weight_decay=1e-3)),
        ("adagrad", optim_full("adagrad", lr=0.01)),
        ("adagrad_all", optim_full("adagrad", lr=0.05, lr_decay=0.1,
                                   initial_accumulator_value=0.1, weight_decay=0.01)),
        ("rmsprop", optim_full("rmsprop", lr=0.01)),
        ("rmsprop_centered", optim_full("rmsprop", lr=0.01, centered=1)),
        ("rmsprop_momentum", optim_full("rmsprop", lr=0.01, momentum=0.9)),
        ("rmsprop_all", optim_full("rmsprop", lr=0.003, alpha=0.9, eps=1e-6, momentum=0.5,
                                   centered=1, weight_decay=0.01)),
        ("adam", optim_full("adam", lr=1e-3)),
        ("adam_wd", optim_full("adam", lr=1e-3, weight_decay=0.01, beta1=0.8, beta2=0.99)),
        ("adam_amsgrad", optim_full("adam", lr=2e-3, amsgrad=1)),
        ("adamw", optim_full("adamw", lr=1e-3, weight_decay=1e-2)),
        ("adamw_amsgrad", optim_full("adamw", lr=1e-3, weight_decay=0.1, amsgrad=1, eps=1e-6)),
        ("adadelta", optim_full("adadelta")),
        ("adadelta_all", optim_full("adadelta", lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.01)),
        ("adamax", optim_full("adamax")),
        ("adamax_all", optim_full("adamax", lr=1e-3, beta1=0.8, beta2=0.99, eps=1e-6,
                                  weight_decay=0.01)),
        ("nadam", optim_full("nadam")),
        ("nadam_all", optim_full("nadam", lr=1e-3, beta1=0.8, beta2=0.99, momentum_decay=0.01,
                                 weight_decay=0.01)),
        # rho_t > 5 (the rectified update) from step 6 with beta2 = 0.99: 8 steps
        ("radam", optim_full("radam", beta2=0.99), 8),
        ("radam_all", optim_full("radam", lr=2e-3, beta1=0.8, beta2=0.99, eps=1e-6,
                                 weight_decay=0.01), 8),
        ("rprop", optim_full("rprop"), 8),
        ("rprop_all", optim_full("rprop", lr=0.02, etaminus=0.3, etaplus=1.5,
                                 step_size_min=1e-3, step_size_max=0.03), 8),
        # asgd: the lr stays (its eta follows the previous step's lr); t0 = 2 starts the
        # average at step 4
        ("asgd", optim_full("asgd"), 6, False),
        ("asgd_all", optim_full("asgd", lr=0.05, lambd=0.01, alpha=0.6, t0=2.0,
                                weight_decay=0.01), 6, False),
    ]
    n = 37
    lrs = [1.0, 0.5, 0.25, 0.8]  # multipliers of the case's lr, one per step (cycled)
    rng = np.random.default_rng(2024)
    lines = ["# optim_steps: `case NAME key=value...` (optsweep's setting keys); n; steps;",
             "# p0 = float32 words; per step: lr (repr), g, p after, then one line per state slot"]
    for case in cases:
        name, o = case[0], case[1]
        steps = case[2] if len(case) > 2 else 4
        vary_lr = case[3] if len(case) > 3 else True
        p = torch.from_numpy((rng.standard_normal(n) * 0.5).astype(np.float32))
        p.requires_grad_(True)
        opt = make_optimizer(o, [p])
        lines.append("case %s %s" % (name, optim_line(o)))
        lines.append("n %d steps %d slots %d" % (n, steps, len(state_slots(o, opt, p))))
        lines.append("p0 " + hexwords(p))
        for s in range(steps):
            g = (rng.standard_normal(n) * 0.1).astype(np.float32)
            g[3] = 0.0
            g[7] = 1e-9
            g[11] = -3e-12
            lr = o["lr"] * (lrs[s % len(lrs)] if vary_lr else 1.0)
            opt.param_groups[0]["lr"] = lr
            p.grad = torch.from_numpy(g)
            opt.step()
            lines.append("step %r" % lr)
            lines.append("g " + hexwords(torch.from_numpy(g)))
            lines.append("p " + hexwords(p))
            for j, buf in enumerate(state_slots(o, opt, p)):
                lines.append("s%d %s" % (j, hexwords(buf)))
        lines.append("end")
    write_text(path, lines)
    return len(cases)


# ---- fixture 2: schedules -----------------------------------------------------------------
def schedule_line(s):
    return setting_words(s, "schedule.")


def group_momentum(opt):
    g = opt.param_groups[0]
    return g["momentum"] if "momentum" in g else g["betas"][0]


def lr_sequence(s, base_lr, n_steps, metrics=None, optim="sgd", momentum=None):
    """lr after construction and after each of n_steps scheduler.step() calls (with metrics:
    step(metrics[k]), ReduceLROnPlateau); with a list `momentum`, the group's momentum (or
    beta1) after each too.  The optimizer: the registry's `optim` row (SGD with momentum 0.9)."""
    p = torch.zeros(1, requires_grad=True)
    o = optim_full(optim, lr=base_lr, momentum=0.9 if optim == "sgd" else 0.0)
    opt = make_optimizer(o, [p])
    sched = make_scheduler(s, opt)
    out = [opt.param_groups[0]["lr"]]
    if momentum is not None:
        momentum.append(group_momentum(opt))
    for k in range(n_steps):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[k])
        out.append(opt.param_groups[0]["lr"])
        if momentum is not None:
            momentum.append(group_momentum(opt))
    return out


def gen_schedules(path):
    S = schedule_full
    cases = [
        ("none", 0.1, S()),
        ("step_3_half", 0.1, S("step", step_size=3, gamma=0.5)),
        ("step_1", 0.05, S("step", step_size=1, gamma=0.9)),
        ("multistep_repeated", 0.1, S("multistep", milestones=[2, 5, 5, 9], gamma=0.1)),
        ("multistep_triple", 0.3, S("multistep", milestones=[3, 3, 3, 7], gamma=0.5)),
        ("exponential", 0.1, S("exponential", gamma=0.95)),
        ("cosine_10", 0.1, S("cosine", T_max=10)),
        ("cosine_7_eta", 0.05, S("cosine", T_max=7, eta_min=0.001)),
        ("cosine_1", 0.1, S("cosine", T_max=1, eta_min=0.01)),
        ("linear_up", 0.1, S("linear", start_factor=0.25, end_factor=1.0, total_iters=8)),
        ("linear_down", 0.2, S("linear", start_factor=1.0, end_factor=0.1, total_iters=5)),
        ("linear_default", 0.1, S("linear")),
        ("warmup_cosine", 0.1, S("cosine", T_max=20, warmup_iters=5, warmup_start_factor=0.1)),
        ("warmup_step", 0.1, S("step", step_size=2, gamma=0.5, warmup_iters=3,
                               warmup_start_factor=0.5)),
        ("warmup_multistep", 0.1, S("multistep", milestones=[1, 3, 3], gamma=0.5,
                                    warmup_iters=4, warmup_start_factor=0.2)),
        ("warmup_exponential", 0.05, S("exponential", gamma=0.9, warmup_iters=2,
                                       warmup_start_factor=0.3)),
        ("warmup_linear", 0.1, S("linear", start_factor=0.5, end_factor=1.0, total_iters=4,
                                 warmup_iters=3, warmup_start_factor=0.25)),
        ("warmup_none", 0.1, S("none", warmup_iters=5, warmup_start_factor=0.1)),
        ("warmup_1_cosine", 0.1, S("cosine", T_max=3, eta_min=0.002, warmup_iters=1,
                                   warmup_start_factor=0.5)),
        ("constant_default", 0.1, S("constant")),
        ("constant_half_7", 0.05, S("constant", factor=0.5, total_iters=7)),
        ("constant_one", 0.1, S("constant", factor=1.0, total_iters=3)),
        ("polynomial_default", 0.1, S("polynomial")),
        ("polynomial_square_10", 0.2, S("polynomial", total_iters=10, power=2.0)),
        ("polynomial_root_9", 0.1, S("polynomial", total_iters=9, power=0.5)),
        ("warm_restarts_5", 0.1, S("cosine_warm_restarts", T_0=5)),
        ("warm_restarts_3x2_eta", 0.05, S("cosine_warm_restarts", T_0=3, T_mult=2,
                                          eta_min=0.001)),
        ("warm_restarts_1x3", 0.1, S("cosine_warm_restarts", T_0=1, T_mult=3, eta_min=0.01)),
        ("warmup_constant", 0.1, S("constant", factor=0.5, total_iters=4, warmup_iters=3,
                                   warmup_start_factor=0.2)),
        ("warmup_polynomial", 0.1, S("polynomial", total_iters=8, power=1.5, warmup_iters=4,
                                     warmup_start_factor=0.25)),
        ("warmup_warm_restarts", 0.1, S("cosine_warm_restarts", T_0=4, T_mult=2, eta_min=0.001,
                                        warmup_iters=3, warmup_start_factor=0.1)),
    ]
    # per-batch schedulers that cycle the momentum: (name, base lr, schedule, optimizer);
    # the group's momentum (SGD) or beta1 (Adam family) is recorded after every step too
    cycling = [
        ("cyclic_triangular", 0.1, S("cyclic", base_lr=0.001, max_lr=0.1, step_size_up=4), "sgd"),
        ("cyclic_tri2_updown", 0.1, S("cyclic", base_lr=0.01, max_lr=0.05, step_size_up=3,
                                      step_size_down=7, mode="triangular2"), "sgd"),
        ("cyclic_exp_range", 0.1, S("cyclic", base_lr=0.002, max_lr=0.2, step_size_up=5,
                                    mode="exp_range", gamma=0.97, base_momentum=0.7,
                                    max_momentum=0.95), "rmsprop"),
        ("cyclic_no_momentum", 0.1, S("cyclic", base_lr=0.001, max_lr=0.004, step_size_up=2,
                                      step_size_down=1, cycle_momentum=0), "adam"),
        ("one_cycle_cos", 0.1, S("one_cycle", max_lr=0.1, total_steps=45), "sgd"),
        ("one_cycle_linear_adam", 0.1, S("one_cycle", max_lr=0.01, total_steps=50,
                                         pct_start=0.25, anneal_strategy="linear",
                                         div_factor=10.0, final_div_factor=100.0), "adam"),
        ("one_cycle_three_phase", 0.1, S("one_cycle", max_lr=0.05, total_steps=46,
                                         pct_start=0.4, three_phase=1, base_momentum=0.8,
                                         max_momentum=0.9), "radam"),
        ("one_cycle_odd_pct", 0.1, S("one_cycle", max_lr=0.3, total_steps=45, pct_start=0.33,
                                     cycle_momentum=0), "sgd"),
    ]
    rng = np.random.default_rng(45)
    # a noisy falling loss that flattens: every branch of ReduceLROnPlateau gets taken
    falling = [float(v) for v in 2.0 * np.exp(-np.arange(45) / 8.0) + 0.3 +
               rng.standard_normal(45) * 0.02]
    rising = [float(v) for v in 0.9 - 0.5 * np.exp(-np.arange(45) / 6.0) +
              rng.standard_normal(45) * 0.01]
    plateau_cases = [
        ("plateau_default", 0.1, S("reduce_on_plateau", patience=3), falling),
        ("plateau_abs_cooldown", 0.1, S("reduce_on_plateau", factor=0.5, patience=2,
                                        threshold=0.01, threshold_mode="abs", cooldown=3,
                                        min_lr=0.002), falling),
        ("plateau_max_rel", 0.05, S("reduce_on_plateau", mode="max", factor=0.3, patience=1,
                                    threshold=0.002, monitor="val_acc"), rising),
        ("plateau_max_abs_eps", 0.01, S("reduce_on_plateau", mode="max", factor=0.9,
                                        patience=0, threshold=0.001, threshold_mode="abs",
                                        eps=1e-3, monitor="val_acc"), rising),
    ]
    n_steps = 45
    lines = ["# schedules: `sched NAME BASE_LR key=value...` (optsweep's setting keys); then "
             "`lr N v_0 .. v_N` (lr after k steps)"]
    for name, base, s in cases:
        lrs = lr_sequence(s, base, n_steps)
        lines.append("sched %s %r %s" % (name, base, schedule_line(s)))
        lines.append("lr %d %s" % (n_steps, " ".join(repr(v) for v in lrs)))
    for name, base, s, optim in cycling:
        moms = []
        lrs = lr_sequence(s, base, n_steps, optim=optim, momentum=moms)
        lines.append("sched %s %r %s" % (name, base, schedule_line(s)))
        lines.append("lr %d %s" % (n_steps, " ".join(repr(v) for v in lrs)))
        if s["cycle_momentum"]:
            lines.append("momentum %d %s" % (n_steps, " ".join(repr(v) for v in moms)))
    for name, base, s, metrics in plateau_cases:
        lrs = lr_sequence(s, base, n_steps, metrics)
        lines.append("sched %s %r %s" % (name, base, schedule_line(s)))
        lines.append("metrics %d %s" % (n_steps, " ".join(repr(v) for v in metrics)))
        lines.append("lr %d %s" % (n_steps, " ".join(repr(v) for v in lrs)))
    write_text(path, lines)
    return len(cases) + len(cycling) + len(plateau_cases)


# ---- fixture 3: philox ---------------------------------------------------------------------
def gen_philox(path):
    lines = ["# philox: `u32 seed stream n value` and `perm seed stream n first...` (numpy "
             "version of src/philox.h, checked against Random123's KAT vectors)"]
    for seed, stream, n in [(0, 0, 0), (7, 2, 1), (7, 2, 2), (7, 2, 3), (7, 2, 4),
                            (123456789, 5, 1000003), (0xFFFFFFFFFFFF, 0x100000002, 77),
                            (1 << 40, 3, (1 << 35) + 6)]:
        v = int(philox_u32(seed, stream, [n])[0])
        lines.append("u32 %d %d %d %d" % (seed, stream, n, v))
    for seed, stream, n in [(SEED, PHILOX_STREAM_EPOCH0, N_TRAIN),
                            (SEED, PHILOX_STREAM_EPOCH0 + 5, 37),
                            (SPLIT_SEED, PHILOX_STREAM_SPLIT, N_TRAIN)]:
        perm = philox_permutation(seed, stream, n)
        lines.append("perm %d %d %d %s" % (seed, stream, n, " ".join(str(int(i)) for i in perm)))
    write_text(path, lines)


def write_text(path, lines):
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


# ---- fixture 4: training trajectories ------------------------------------------------------
def trajectory_cases():
    O, S = optim_full, schedule_full
    sgdm = dict(lr=0.1, momentum=0.9)
    # (name, optimizer, schedule for the full-batch run, schedule for the mini-batch run, extra)
    return [
        ("sgd", O("sgd", lr=0.3), S(), S(), {}),
        ("sgd_momentum", O("sgd", **sgdm), S(), S(), {}),
        ("sgd_dampening", O("sgd", lr=0.1, momentum=0.9, dampening=0.5), S(), S(), {}),
        ("sgd_nesterov", O("sgd", lr=0.1, momentum=0.9, nesterov=1), S(), S(), {}),
        ("sgd_weight_decay", O("sgd", lr=0.3, momentum=0.5, weight_decay=0.01), S(), S(), {}),
        ("sgd_nesterov_high_lr", O("sgd", lr=0.5, momentum=0.9, nesterov=1), S(), S(), {}),
        ("adagrad", O("adagrad", lr=0.05), S(), S(), {}),
        ("adagrad_decay_iav_wd", O("adagrad", lr=0.1, lr_decay=0.01,
                                   initial_accumulator_value=0.1, weight_decay=1e-3),
         S(), S(), {}),
        ("rmsprop", O("rmsprop", lr=1e-3), S(), S(), {}),
        ("rmsprop_centered", O("rmsprop", lr=1e-3, centered=1), S(), S(), {}),
        ("rmsprop_momentum", O("rmsprop", lr=5e-4, momentum=0.9), S(), S(), {}),
        ("rmsprop_weight_decay", O("rmsprop", lr=1e-3, weight_decay=1e-2), S(), S(), {}),
        ("rmsprop_all", O("rmsprop", lr=1e-3, alpha=0.9, eps=1e-6, momentum=0.5, centered=1,
                          weight_decay=1e-3), S(), S(), {}),
        ("adam", O("adam", lr=3e-3), S(), S(), {}),
        ("adam_weight_decay", O("adam", lr=3e-3, weight_decay=1e-2, beta1=0.8, beta2=0.99),
         S(), S(), {}),
        ("adam_amsgrad", O("adam", lr=3e-3, amsgrad=1), S(), S(), {}),
        ("adamw", O("adamw", lr=3e-3, weight_decay=0.1), S(), S(), {}),
        ("adamw_amsgrad", O("adamw", lr=3e-3, weight_decay=0.05, amsgrad=1, eps=1e-6),
         S(), S(), {}),
        ("adadelta", O("adadelta"), S(), S(), {}),
        ("adadelta_rho_eps_wd", O("adadelta", lr=0.5, rho=0.8, eps=1e-5, weight_decay=1e-3),
         S(), S(), {}),
        ("adamax", O("adamax", lr=3e-3), S(), S(), {}),
        ("adamax_betas_wd", O("adamax", lr=3e-3, beta1=0.8, beta2=0.99, weight_decay=1e-2),
         S(), S(), {}),
        ("nadam", O("nadam", lr=3e-3), S(), S(), {}),
        ("nadam_md_wd", O("nadam", lr=3e-3, momentum_decay=0.01, weight_decay=1e-2), S(), S(),
         {}),
        ("radam", O("radam", lr=3e-3), S(), S(), {}),
        ("radam_betas_wd", O("radam", lr=3e-3, beta2=0.99, weight_decay=1e-2), S(), S(), {}),
        ("rprop", O("rprop", lr=1e-3), S(), S(), {}),
        ("rprop_etas_step_sizes", O("rprop", lr=1e-3, etaminus=0.4, etaplus=1.3,
                                    step_size_min=1e-5, step_size_max=0.01), S(), S(), {}),
        ("asgd", O("asgd", lr=0.1), S(), S(), {}),
        # t0 = 10: the average starts after step 11; validated and tested with it
        ("asgd_averaged", O("asgd", lr=0.1, lambd=1e-3, t0=10.0, weight_decay=1e-3,
                            evaluate_averaged=1), S(), S(),
         dict(validation_freq=2, val_from_train=100)),
        ("sched_step", O("sgd", **sgdm), S("step", step_size=5, gamma=0.5),
         S("step", step_size=2, gamma=0.5), {}),
        ("sched_multistep", O("sgd", **sgdm), S("multistep", milestones=[3, 8, 8, 15], gamma=0.5),
         S("multistep", milestones=[2, 4, 4], gamma=0.5), {}),
        ("sched_exponential", O("sgd", **sgdm), S("exponential", gamma=0.9),
         S("exponential", gamma=0.8), {}),
        ("sched_cosine", O("sgd", **sgdm), S("cosine", T_max=10, eta_min=0.001),
         S("cosine", T_max=3, eta_min=0.001), {}),
        ("sched_linear", O("sgd", **sgdm), S("linear", start_factor=0.25, total_iters=8),
         S("linear", start_factor=0.25, total_iters=4), {}),
        ("sched_constant", O("sgd", **sgdm), S("constant", factor=0.5, total_iters=10),
         S("constant", factor=0.5, total_iters=3), {}),
        ("sched_polynomial", O("sgd", **sgdm), S("polynomial", total_iters=20, power=2.0),
         S("polynomial", total_iters=6, power=2.0), {}),
        ("sched_cosine_warm_restarts", O("sgd", **sgdm),
         S("cosine_warm_restarts", T_0=4, T_mult=2, eta_min=0.001),
         S("cosine_warm_restarts", T_0=2, T_mult=2, eta_min=0.001), {}),
        ("sched_plateau_val_loss", O("sgd", **sgdm),
         S("reduce_on_plateau", patience=1, factor=0.5, threshold=0.03),
         S("reduce_on_plateau", patience=0, factor=0.5, threshold=0.03),
         dict(validation_freq=1, val_from_train=100)),
        ("sched_plateau_val_acc", O("adam", lr=3e-3),
         S("reduce_on_plateau", monitor="val_acc", mode="max", patience=1, factor=0.3,
           threshold=0.01, threshold_mode="abs", cooldown=1),
         S("reduce_on_plateau", monitor="val_acc", mode="max", patience=0, factor=0.3,
           threshold=0.01, threshold_mode="abs"),
         dict(validation_freq=1, val_from_train=100)),
        ("sched_warmup_cosine", O("adam", lr=3e-3),
         S("cosine", T_max=20, warmup_iters=5, warmup_start_factor=0.1),
         S("cosine", T_max=4, warmup_iters=2, warmup_start_factor=0.1), {}),
        ("sched_warmup_step_validation", O("sgd", **sgdm),
         S("step", step_size=2, gamma=0.5, every="validation", warmup_iters=3,
           warmup_start_factor=0.2),
         S("step", step_size=1, gamma=0.5, every="validation", warmup_iters=2,
           warmup_start_factor=0.2),
         dict(validation_freq=2, val_from_train=100)),
        # per-batch schedulers (step_every: batch, their registry default), momentum cycled
        ("sched_cyclic_sgd", O("sgd", **sgdm),
         S("cyclic", base_lr=0.01, max_lr=0.2, step_size_up=5, mode="triangular2"),
         S("cyclic", base_lr=0.01, max_lr=0.2, step_size_up=3, step_size_down=5), {}),
        ("sched_cyclic_rmsprop_exp", O("rmsprop", lr=1e-3, momentum=0.5),
         S("cyclic", base_lr=1e-4, max_lr=2e-3, step_size_up=4, mode="exp_range", gamma=0.98),
         S("cyclic", base_lr=1e-4, max_lr=2e-3, step_size_up=6, mode="exp_range", gamma=0.98),
         {}),
        ("sched_cyclic_sgd_epoch", O("sgd", **sgdm),
         S("cyclic", base_lr=0.02, max_lr=0.1, step_size_up=3, every="epoch"),
         S("cyclic", base_lr=0.02, max_lr=0.1, step_size_up=2, step_size_down=3,
           every="epoch"), {}),
        ("sched_one_cycle_sgd", O("sgd", **sgdm), S("one_cycle", max_lr=0.2, total_steps=30),
         S("one_cycle", max_lr=0.2, total_steps=40, three_phase=1), {}),
        ("sched_one_cycle_adam", O("adam", lr=3e-3),
         S("one_cycle", max_lr=5e-3, total_steps=30, anneal_strategy="linear"),
         S("one_cycle", max_lr=5e-3, total_steps=45, pct_start=0.25), {}),
    ]


class Data:
    def __init__(self, tr_x, tr_y, te_x, te_y, val_from_train):
        x, y = tr_x[:N_TRAIN], tr_y[:N_TRAIN]
        if val_from_train > 0:
            # data.h: the n smallest keys of philox_permutation(split_seed, SPLIT, n_train)
            # are validation, the rest training, each in ascending index order
            perm = philox_permutation(SPLIT_SEED, PHILOX_STREAM_SPLIT, len(x))
            val_idx = np.sort(perm[:val_from_train])
            tr_idx = np.sort(perm[val_from_train:])
            self.val = (x[val_idx], y[val_idx])
            x, y = x[tr_idx], y[tr_idx]
        else:
            self.val = None
        self.train = (x, y)
        self.test = (te_x, te_y)


def to_input(pixels, dtype):
    # torchvision's ToTensor: x.float().div(255) (float32 division; double for float64)
    return torch.from_numpy(pixels.copy()).to(dtype).div(255)


def averaged(model, opt, o):
    """For optimizer.evaluate_averaged: a copy of the model holding ASGD's averaged parameters
    (state 'ax'), as optsweep evaluates then."""
    if not o.get("evaluate_averaged"):
        return model
    import copy
    avg = copy.deepcopy(model)
    with torch.no_grad():
        for p_avg, p in zip(avg.parameters(), model.parameters()):
            p_avg.copy_(opt.state[p]["ax"])
    return avg


def evaluate(model, split, batch, dtype):
    x_all, y_all = split
    losses, correct = [], 0
    with torch.no_grad():
        for first in range(0, len(y_all), batch):
            x = to_input(x_all[first:first + batch], dtype)
            y = torch.from_numpy(y_all[first:first + batch].astype(np.int64))
            out = model(x)
            losses.append(F.cross_entropy(out, y).item())
            correct += int((out.argmax(dim=1) == y).sum())
    return sum(losses) / len(losses), correct / len(y_all)


def train(init_state, o, s, epochs, batch, data, validation_freq, dtype, row_rng=None):
    """One run exactly as optsweep's train_run + backend train_epoch define it.  row_rng:
    permute the rows inside every batch (same batch, different summation order)."""
    model = make_model(dtype)
    model.load_state_dict({k: v.to(dtype) for k, v in init_state.items()})
    opt = make_optimizer(o, model.parameters())
    sched = make_scheduler(s, opt)
    x_tr, y_tr = data.train
    n = len(y_tr)
    rec = dict(loss=[], lr=[], val_epoch=[], val_loss=[], val_acc=[])
    for epoch in range(epochs):
        lr = opt.param_groups[0]["lr"]
        perm = philox_permutation(SEED, PHILOX_STREAM_EPOCH0 + epoch, n)
        losses = []
        for first in range(0, n, batch):
            rows = perm[first:first + batch]
            if row_rng is not None:
                rows = rows[row_rng.permutation(len(rows))]
            x = to_input(x_tr[rows], dtype)
            y = torch.from_numpy(y_tr[rows].astype(np.int64))
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            if s["every"] == "batch":  # CyclicLR / OneCycleLR: after every optimizer step
                sched.step()
            losses.append(loss.item())
        rec["loss"].append(sum(losses) / len(losses))  # the notebook's running_loss / batches
        rec["lr"].append(lr)
        if validation_freq > 0 and epoch % validation_freq == 0 and data.val is not None:
            vl, va = evaluate(averaged(model, opt, o), data.val, batch, dtype)
            rec["val_epoch"].append(epoch)
            rec["val_loss"].append(vl)
            rec["val_acc"].append(va)
            if s["kind"] == "reduce_on_plateau":  # steps on each validation's metric
                sched.step(vl if s["monitor"] == "val_loss" else va)
            elif s["every"] == "validation":
                sched.step()
        if s["every"] == "epoch" and s["kind"] != "reduce_on_plateau":
            sched.step()
    rec["test_loss"], rec["test_acc"] = evaluate(averaged(model, opt, o), data.test, batch, dtype)
    rec["params"] = flat_params(model)
    return rec


# gen_reference's field names -> optsweep's setting keys (settings.c): fixtures name every
# value by its key, so the C tests read them by walking the key table (fixture_settings.h)
SETTING_KEY = {"optim.kind": "optimizer.name", "schedule.kind": "schedule.name",
               "schedule.every": "schedule.step_every",
               "schedule.warmup_iters": "schedule.warmup.total_iters",
               "schedule.warmup_start_factor": "schedule.warmup.start_factor"}


def setting_items(d, prefix):
    """(setting key, value) of a gen_reference dict: betas as a pair, enums as their YAML
    names, booleans 0/1; no warm-up keys without a warm-up, no empty lists."""
    out = []
    for k, v in d.items():
        key = SETTING_KEY.get(prefix + k, ("optimizer." if prefix == "optim." else
                                           prefix) + k)
        pair = [pk for pk, fields in PAIRS.items() if k in fields] if prefix == "optim." else []
        if pair and k == PAIRS[pair[0]][1]:
            continue
        if pair:
            out.append((pair[0], [d[f] for f in PAIRS[pair[0]]]))
        elif k in ("warmup_iters", "warmup_start_factor") and d.get("warmup_iters", 0) == 0:
            continue  # no warm-up: schedule.warmup stays off
        elif isinstance(v, (list, tuple)) and not v:
            continue
        else:
            out.append((key, v))
    return out


def put_setting_attrs(g, d, prefix):
    """Attributes named by setting keys (fixture_settings.h reads them by key)."""
    for key, v in setting_items(d, prefix):
        if isinstance(v, str):
            g.attrs[key] = np.bytes_(v)
        elif isinstance(v, (list, tuple)):
            g.attrs[key] = np.array(v, dtype=np.float64 if key in PAIRS else np.int64)
        elif isinstance(v, float):
            g.attrs[key] = np.float64(v)
        else:
            g.attrs[key] = np.int64(v)


def setting_words(d, prefix):
    """The same as `key=value` words (lists comma-separated; fixture_text.h reads them)."""
    text = lambda v: repr(float(v)) if isinstance(v, float) else str(v)
    return " ".join("%s=%s" % (key, ",".join(text(x) for x in v) if isinstance(v, (list, tuple))
                               else text(v)) for key, v in setting_items(d, prefix))


def gen_trajectories(path, mnist):
    tr_x, tr_y, te_x, te_y = mnist
    torch.manual_seed(INIT_SEED)
    init_model = make_model(torch.float32)
    init_state = {k: v.detach().clone() for k, v in init_model.state_dict().items()}
    summary = []
    with h5py.File(path + ".tmp", "w") as f:
        f.attrs["generator"] = np.bytes_("tests/reference/gen_reference.py, torch " +
                                         torch.__version__)
        f.attrs["hidden"] = np.array(HIDDEN, dtype=np.int64)
        f.attrs["activation"] = np.bytes_("leaky_relu")
        f.attrs["train_limit"] = np.int64(N_TRAIN)
        f.attrs["seed"] = np.int64(SEED)
        f.attrs["split_seed"] = np.int64(SPLIT_SEED)
        for k, lin in enumerate(linears(init_model), 1):
            f[f"model/layer{k}/weight"] = lin.weight.detach().numpy()
            f[f"model/layer{k}/bias"] = lin.bias.detach().numpy()
        for name, o, s_full, s_mini, extra in trajectory_cases():
            for mode, epochs, batch, s in (("full", FULL_EPOCHS, FULL_BATCH, s_full),
                                           ("mini", MINI_EPOCHS, MINI_BATCH, s_mini)):
                vft = extra.get("val_from_train", 0)
                # validation_freq >= 1 as config requires; without a validation split
                # nothing is validated (train.c skips an empty split)
                freq = extra.get("validation_freq", 1)
                data = Data(tr_x, tr_y, te_x, te_y, vft)
                ref = train(init_state, o, s, epochs, batch, data, freq, torch.float32)
                others = [train(init_state, o, s, epochs, batch, data, freq, torch.float64)]
                for rs in (1, 2):
                    others.append(train(init_state, o, s, epochs, batch, data, freq,
                                        torch.float32, np.random.default_rng(rs)))
                dev = lambda key: np.max([np.abs(np.array(r[key]) - np.array(ref[key]))
                                          for r in others], axis=0)
                g = f.create_group(f"cases/{name}_{mode}")
                put_setting_attrs(g, o, "optim.")
                put_setting_attrs(g, s, "schedule.")
                g.attrs["epochs"] = np.int64(epochs)
                g.attrs["batch_size"] = np.int64(batch)
                g.attrs["validation_freq"] = np.int64(freq)
                g.attrs["val_from_train"] = np.int64(vft)
                g["train_loss"] = np.array(ref["loss"])
                g["lr"] = np.array(ref["lr"])
                g["band_train_loss"] = dev("loss")
                g["train_loss_f64"] = np.array(others[0]["loss"])
                g["val_epoch"] = np.array(ref["val_epoch"], dtype=np.int64)
                g["val_loss"] = np.array(ref["val_loss"])
                g["val_acc"] = np.array(ref["val_acc"])
                g["band_val_loss"] = dev("val_loss") if ref["val_loss"] else np.zeros(0)
                g.attrs["test_loss"] = ref["test_loss"]
                g.attrs["test_acc"] = ref["test_acc"]
                g.attrs["band_test_loss"] = float(dev("test_loss"))
                g.attrs["band_test_acc"] = float(dev("test_acc"))
                g.create_dataset("final_params", data=ref["params"].astype(np.float32),
                                 compression="gzip", shuffle=True)
                g.attrs["band_params"] = float(np.max(dev("params")))
                band = np.array(g["band_train_loss"]) / np.abs(np.array(ref["loss"]))
                summary.append((f"{name}_{mode}", ref["loss"][0], ref["loss"][-1],
                                band[0], band.max(), g.attrs["band_params"],
                                ref["test_acc"], g.attrs["band_test_acc"]))
    os.replace(path + ".tmp", path)
    return summary


# ---- fixture 5: torch's exp, log and log-softmax, bit for bit --------------------------------
def gen_torch_math(path):
    """Values a 10-class cross-entropy meets: exp of (z - max) in [-90, 0] and beyond, log of
    sums in [1, 10] and beyond, and whole rows of logits (log_softmax and the logits' gradient
    of the mean loss over the batch).  torch applies Vec256 SLEEF exp/log to tensors of 8 or
    more floats, so every tensor here is long."""
    rng = np.random.default_rng(12)
    xe = np.concatenate([-rng.random(3000) * 90, rng.standard_normal(1000) * 3,
                         np.array([0.0, -0.0, -103.9, -104.5, 88.0, 100.5, 1e-8, -1e-30])])
    xe = torch.from_numpy(xe.astype(np.float32))
    xl = np.concatenate([1 + rng.random(3000) * 9, rng.random(500) * 1e-3,
                         np.exp(rng.standard_normal(500) * 20), np.array([1.0, 2.0, 1e-40])])
    xl = torch.from_numpy(xl.astype(np.float32))
    lines = ["# torch_math: `exp n` / `log n`, then `x` and `y` lines (y = f(x)); `ce m classes`,"
             " then `labels`, `z` (logits), `logp` (log_softmax), `grad` (d(mean loss)/dz);"
             " floats as float32 hex words"]
    lines += ["exp %d" % len(xe), "x " + hexwords(xe), "y " + hexwords(xe.exp())]
    lines += ["log %d" % len(xl), "x " + hexwords(xl), "y " + hexwords(xl.log())]
    for m, scale in ((64, 3.0), (100, 10.0), (37, 0.3)):
        z = torch.from_numpy((rng.standard_normal((m, 10)) * scale).astype(np.float32))
        z.requires_grad_(True)
        y = torch.from_numpy(rng.integers(0, 10, m).astype(np.int64))
        F.cross_entropy(z, y).backward()
        lines += ["ce %d 10" % m, "labels " + " ".join(str(int(v)) for v in y),
                  "z " + hexwords(z.reshape(-1)),
                  "logp " + hexwords(F.log_softmax(z.detach(), 1).reshape(-1)),
                  "grad " + hexwords(z.grad.reshape(-1))]
    write_text(path, lines)


# ---- fixture 6: the first steps, parameter by parameter -------------------------------------
STEPS_HIDDEN = [32, 16]    # small enough to store, wide enough for near-zero pre-activations
STEPS_N = 1000             # one full batch of the first 1000 slice images
STEPS = 6
STEPS_SEEDS = [0, 1, 2]    # train.seed: each its own row order
STEPS_ORDERS = 4           # torch runs in other row orders per seed: the spread
STEPS_STRIDE = 11          # elements stored: every 11th (a jump moves tens of elements at once)


def steps_cases():
    """The first trajectory case of every optimizer (its plain form)."""
    seen, out = set(), []
    for name, o, _, _, _ in trajectory_cases():
        if o["kind"] not in seen:
            seen.add(o["kind"])
            out.append((name, o))
    return out


def gen_steps(path, mnist):
    """Per case and train.seed: torch's parameters after steps 1..6 in that seed's row order
    (every STEPS_STRIDE-th element), and per step the largest deviation, over all elements,
    of STEPS_ORDERS runs with the rows of each batch permuted: the float32 spread a jump must
    stand out from."""
    tr_x, tr_y = mnist[0][:STEPS_N], mnist[1][:STEPS_N]
    torch.manual_seed(INIT_SEED)
    sizes = [784] + STEPS_HIDDEN + [10]
    layers = []
    for k in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[k], sizes[k + 1]))
        if k + 2 < len(sizes):
            layers.append(nn.LeakyReLU(0.01))
    init_model = nn.Sequential(*layers)
    init_state = {k: v.detach().clone() for k, v in init_model.state_dict().items()}

    def run(o, seed, row_rng):
        model = nn.Sequential(*[type(m)(m.in_features, m.out_features) if isinstance(m, nn.Linear)
                                else nn.LeakyReLU(0.01) for m in layers])
        model.load_state_dict(init_state)
        opt = make_optimizer(o, model.parameters())
        out = []
        for step in range(STEPS):
            rows = philox_permutation(seed, PHILOX_STREAM_EPOCH0 + step, STEPS_N)
            if row_rng is not None:
                rows = rows[row_rng.permutation(len(rows))]
            x = to_input(tr_x[rows], torch.float32)
            y = torch.from_numpy(tr_y[rows].astype(np.int64))
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
            out.append(flat_params(model).astype(np.float32))
        return out

    with h5py.File(path + ".tmp", "w") as f:
        f.attrs["hidden"] = np.array(STEPS_HIDDEN, dtype=np.int64)
        f.attrs["train_limit"] = np.int64(STEPS_N)
        f.attrs["steps"] = np.int64(STEPS)
        f.attrs["stride"] = np.int64(STEPS_STRIDE)
        f.attrs["seeds"] = np.array(STEPS_SEEDS, dtype=np.int64)
        for k, lin in enumerate(linears(init_model), 1):
            f[f"model/layer{k}/weight"] = lin.weight.detach().numpy()
            f[f"model/layer{k}/bias"] = lin.bias.detach().numpy()
        for name, o in steps_cases():
            g = f.create_group(f"cases/{name}")
            put_setting_attrs(g, o, "optim.")
            for seed in STEPS_SEEDS:
                ref = run(o, seed, None)
                others = [run(o, seed, np.random.default_rng(100 + r)) for r in range(STEPS_ORDERS)]
                spread = np.array([[np.abs(other[k] - ref[k]).max() for other in others]
                                   for k in range(STEPS)])  # (steps, orders)
                sg = g.create_group(f"seed{seed}")
                sg.attrs["seed"] = np.int64(seed)
                sg.create_dataset("params", data=np.stack([r[::STEPS_STRIDE] for r in ref]),
                                  compression="gzip", shuffle=True)
                sg["spread"] = spread
    os.replace(path + ".tmp", path)
    return len(steps_cases())


def main():
    check_philox_kat()
    os.makedirs(FIXTURES, exist_ok=True)
    n = gen_optim_steps(os.path.join(FIXTURES, "optim_steps.txt"))
    print(f"optim_steps.txt: {n} optimizer cases")
    n = gen_schedules(os.path.join(FIXTURES, "schedules.txt"))
    print(f"schedules.txt: {n} schedules")
    gen_philox(os.path.join(FIXTURES, "philox.txt"))
    print("philox.txt")
    gen_torch_math(os.path.join(FIXTURES, "torch_math.txt"))
    print("torch_math.txt")
    n = gen_steps(os.path.join(FIXTURES, "steps.h5"), load_mnist())
    print(f"steps.h5: {n} optimizer cases x {len(STEPS_SEEDS)} seeds x {STEPS} steps")
    summary = gen_trajectories(os.path.join(FIXTURES, "reference.h5"), load_mnist())
    print("reference.h5: %d cases" % len(summary))
    print("%-36s %10s %10s %9s %9s %9s %7s %7s" % ("case", "loss[0]", "loss[-1]", "band0rel",
                                                   "bandmax", "band_w", "acc", "band_a"))
    for row in summary:
        print("%-36s %10.6f %10.6f %9.2e %9.2e %9.2e %7.4f %7.4f" % row)


if __name__ == "__main__":
    main()
