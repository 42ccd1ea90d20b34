"""Random training loops against PyTorch 2.13 (thirty-first round).

The other fuzzers check ops (test_fuzz*.py), layers (test_torch_moduleinfo.py) and
optimizers (test_torch_optiminfo.py) each alone; a user runs them together. `draw_loop`
draws, from a fixed seed, a whole training program: a small model (Linear, or Conv1d of any
padding mode, dilation and groups, then Flatten, over sequences; or an Embedding of tokens,
with or without padding_idx, then an RNN, LSTM or GRU of one or two layers, bidirectional
or not, at its last step; activations; LayerNorm, GroupNorm, BatchNorm1d with or without
running statistics; Dropout, p > 0 in a loop run in eval mode only; sometimes a layer
inside a residual `x + layer(x)` written as a Module subclass; sometimes a second head used
on even steps only, its weight sometimes the first head's), a loss (mse, l1, huber,
smooth_l1, cross_entropy with class indices, ignore_index, label smoothing, class weights
or probabilities, nll_loss and kl_div of a log_softmax, binary_cross_entropy of a sigmoid,
binary_cross_entropy_with_logits with pos_weight; each reduction; as the function or the
layer), an optimizer of random settings (OPTIMIZERS: all of tg.optim's but LBFGS),
sometimes two parameter groups with their own lr and weight decay, a frozen parameter, an
lr scheduler (SCHEDULERS, ReduceLROnPlateau given the loss, SequentialLR and
ChainedScheduler of two), clip_grad_norm_ (norm 2, 1 or inf) or clip_grad_value_,
zero_grad(set_to_none=True or False) of the optimizer or of the model, one or two micro-
batches added up before each step, sometimes a checkpoint saved and resumed between two
steps (model, optimizer and scheduler state_dicts through m.save and m.load into new ones);
in float64, or (a third of them) in float32.

`run_loop` runs the same program in either library (`m` is tinygrad_gd or torch: their
names are the same), from torch's initial weights loaded into ours by state_dict and the
same data, torch with one thread and float64 its default dtype. After every step these must
agree: the dtypes of the loss, of each parameter and of its gradient; the loss, every
gradient (None where torch's is None), the norm clip_grad_norm_ returned, every group's lr
and every parameter, to RTOL of the largest entry (1e-9 in float64, where a difference is a
wrong rule, not rounding); at the end every buffer (running statistics) and a forward in
eval mode. A float32 loop (three steps, no Rprop, which steps by each entry's sign) is
compared to 1e-4, or where rounding has compounded, ours must be no further from torch's
float64 run of it than torch's float32 run is (twice its distance, `_no_further`). Where a
gradient is exactly 0 in exact arithmetic, rounding noise of either library is blown up by
Adam, RMSprop or Rprop to a whole step of random sign, so the draw avoids it: no bias (or
norm's affine) before a norm that centers each feature over the batch, an odd batch and one
micro-batch for l1_loss. CELU's alpha is exact in float32: torch's CELU backward reads
alpha as a float32 (its gradient is off by 1e-8 for 1.3).
`test_planted_*` show the fuzzer catching bugs put in on purpose.

The second fuzzer, `run_program`, mixes dtypes across a program, where test_torch_dtypes.py
takes each op alone: a float32 leaf meets float32 and float64 leaves of broadcasting
shapes, Python floats and ints, float32 and float64 0-d tensors and constants, int64 and
bool tensors, through arithmetic, where, atan2, cat, type_as, in-place += and mul_, sums
and means with dtype=float64, casts, softmax, clamp and powers; each result's dtype, the
leaves' gradients' dtypes, and the values to float32 tolerance must be torch's (run with
float64 its default dtype, as the api-guide's dtype rule reads).

Examples per run: LOOPS training loops (environment variable TINYGRAD_GD_LOOP_EXAMPLES,
default 150) and PROGRAMS mixed programs (TINYGRAD_GD_MIXED_EXAMPLES, default 300); the
file takes about 25 s on one core.
"""
from __future__ import annotations

import contextlib
import dataclasses
import io
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import tinygrad_gd as tg

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.torch

LOOPS = int(os.environ.get("TINYGRAD_GD_LOOP_EXAMPLES", "150"))
PROGRAMS = int(os.environ.get("TINYGRAD_GD_MIXED_EXAMPLES", "300"))
# the first seed: 0, or where tests/conftest.py's explore profile or TINYGRAD_GD_FUZZ_SEED puts it
FIRST_SEED = int(os.environ.get("TINYGRAD_GD_FUZZ_SEED", "0"))
RTOL = {"float64": 1e-9, "float32": 1e-4}
# (an odd batch: see draw_loop's l1_loss)
BATCH, FEATURES, CHANNELS, LENGTH, VOCABULARY, EMBEDDING = 5, 5, 3, 7, 7, 4

ACTIVATIONS = [("ReLU", {}), ("Tanh", {}), ("GELU", {}), ("GELU", {"approximate": "tanh"}),
               ("SiLU", {}), ("ELU", {"alpha": 0.7}), ("LeakyReLU", {"negative_slope": 0.1}),
               ("Softplus", {"beta": 2.0}), ("Sigmoid", {}), ("Mish", {}), ("Hardtanh", {}),
               ("CELU", {"alpha": 1.25}),  # (exact in float32: see above)
               ("SELU", {})]
LOSSES = ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "cross_entropy",
          "cross_entropy_probabilities", "nll_loss", "binary_cross_entropy_with_logits",
          "binary_cross_entropy", "kl_div"]
LOSS_LAYERS = {"mse_loss": "MSELoss", "l1_loss": "L1Loss", "huber_loss": "HuberLoss",
               "smooth_l1_loss": "SmoothL1Loss", "cross_entropy": "CrossEntropyLoss",
               "cross_entropy_probabilities": "CrossEntropyLoss", "nll_loss": "NLLLoss",
               "binary_cross_entropy_with_logits": "BCEWithLogitsLoss",
               "binary_cross_entropy": "BCELoss", "kl_div": "KLDivLoss"}
SCHEDULERS = ["StepLR", "ExponentialLR", "MultiStepLR", "CosineAnnealingLR", "LinearLR",
              "ConstantLR", "PolynomialLR", "OneCycleLR", "CyclicLR", "LambdaLR",
              "CosineAnnealingWarmRestarts", "MultiplicativeLR", "ReduceLROnPlateau",
              "SequentialLR", "ChainedScheduler"]
NORMS = ("BatchNorm1d", "GroupNorm", "LayerNorm")
PASSING = ("Dropout", "ReLU", "LeakyReLU", "Hardtanh")  # (linear over a whole batch, maybe)
OPTIMIZERS = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax", "NAdam", "RAdam",
              "Adadelta", "Rprop", "ASGD", "Adafactor"]


@dataclass
class Loop:
    """One drawn training program: everything both libraries need to run it alike."""
    seed: int
    sequences: bool                   # Conv1d over (batch, channels, length), else Linear
    recurrent: tuple | None           # tokens: (RNN, LSTM or GRU, its options, padding_idx)
    training: bool                    # the loop runs in train mode, else in eval mode
    dtype: str                        # of the parameters, the data and the loss's tensors
    layers: list[tuple[str, dict]]    # the trunk, as (layer class name, its arguments)
    residual: int | None              # index of the trunk layer wrapped as x + layer(x)
    outputs: int
    spare_head: bool                  # a second head, used on even steps only
    loss: str
    loss_options: dict
    loss_as_layer: bool
    optimizer: str
    options: dict
    groups: dict | None               # the head's own group's settings
    frozen: str | None                # a parameter with requires_grad False
    scheduler: tuple[str, dict] | None
    clip: tuple[str, dict] | None
    set_to_none: bool
    model_zero_grad: bool             # model.zero_grad(...), else optimizer.zero_grad(...)
    micro_batches: int
    steps: int
    resume_at: int | None             # the step before which a checkpoint is saved and loaded
    tied: bool                        # the spare head's weight is the head's (weight tying)
    notes: list[str] = field(default_factory=list)


def _optimizer(rng) -> tuple[str, dict]:
    name = str(rng.choice(OPTIMIZERS))
    coin = lambda p=0.5: bool(rng.random() < p)  # noqa: E731
    decay = float(rng.choice([0.0, 0.01, 0.1])) if coin() else None
    options: dict[str, Any] = {"lr": float(rng.choice([0.003, 0.01, 0.05, 0.1]))}
    if name == "SGD":
        momentum = float(rng.choice([0.0, 0.5, 0.9]))
        options.update(momentum=momentum)
        if momentum and coin():
            options["nesterov"] = True
        elif momentum and coin():
            options["dampening"] = float(rng.choice([0.1, 0.5]))
    elif name in ("Adam", "AdamW"):
        options["amsgrad"] = coin()
        if coin():
            options["betas"] = (float(rng.choice([0.8, 0.9])), float(rng.choice([0.99, 0.999])))
    elif name == "RMSprop":
        options.update(alpha=float(rng.choice([0.9, 0.99])), centered=coin(),
                       momentum=float(rng.choice([0.0, 0.5])))
    elif name == "Adagrad":
        options.update(lr_decay=float(rng.choice([0.0, 0.01])),
                       initial_accumulator_value=float(rng.choice([0.0, 0.1])))
    elif name == "NAdam":
        options["decoupled_weight_decay"] = coin()
    elif name == "RAdam":
        options["decoupled_weight_decay"] = coin()
    elif name == "Adadelta":
        options["lr"] = float(rng.choice([0.5, 1.0]))
        options["rho"] = float(rng.choice([0.8, 0.9]))
    elif name == "Rprop":
        options["etas"] = (float(rng.choice([0.4, 0.5])), float(rng.choice([1.1, 1.2])))
    elif name == "ASGD":
        options.update(lambd=float(rng.choice([1e-4, 1e-2])), t0=float(rng.choice([2.0, 1e6])))
    elif name == "Adafactor":
        options.update(beta2_decay=float(rng.choice([-0.8, -0.5])), d=float(rng.choice([1.0,
                                                                                      2.0])))
    if decay is not None and name != "Rprop":
        options["weight_decay"] = decay
    if name not in ("Rprop",) and coin(0.25):
        options["maximize"] = True
    return name, options


def _scheduler(rng, steps: int) -> tuple[str, dict]:
    name = str(rng.choice(SCHEDULERS))
    options = {"StepLR": {"step_size": 2, "gamma": 0.5},
               "ExponentialLR": {"gamma": 0.8},
               "MultiStepLR": {"milestones": [1, 3], "gamma": 0.3},
               "CosineAnnealingLR": {"T_max": 3, "eta_min": 0.001},
               "LinearLR": {"start_factor": 0.25, "total_iters": 3},
               "ConstantLR": {"factor": 0.5, "total_iters": 2},
               "PolynomialLR": {"total_iters": steps, "power": 2.0},
               "OneCycleLR": {"max_lr": 0.05, "total_steps": steps + 1},
               "CyclicLR": {"base_lr": 0.001, "max_lr": 0.05, "step_size_up": 2},
               "LambdaLR": {},
               "CosineAnnealingWarmRestarts": {"T_0": 2, "T_mult": 2},
               "MultiplicativeLR": {},
               "ReduceLROnPlateau": {"factor": 0.5, "patience": 0, "threshold": 0.5},
               "SequentialLR": {"milestones": [2]},
               "ChainedScheduler": {}}[name]
    return name, dict(options)


def draw_loop(seed: int) -> Loop:
    rng = np.random.default_rng(seed)
    coin = lambda p=0.5: bool(rng.random() < p)  # noqa: E731
    sequences = coin(0.3)
    training = coin(0.8)
    dtype = "float32" if coin(0.3) else "float64"
    layers: list[tuple[str, dict]] = []
    width = CHANNELS if sequences else FEATURES
    recurrent = None
    if not sequences and coin(0.25):  # tokens, an Embedding, a recurrent layer's last step
        name = str(rng.choice(["RNN", "LSTM", "GRU"]))
        options = {"input_size": EMBEDDING, "hidden_size": FEATURES, "batch_first": True,
                   "num_layers": int(rng.choice([1, 2])), "bidirectional": coin(),
                   "bias": coin(0.8)}
        if name == "RNN":
            options["nonlinearity"] = str(rng.choice(["tanh", "relu"]))
        recurrent = (name, options, 0 if coin() else None)
        width = FEATURES * (2 if options["bidirectional"] else 1)
    for _ in range(int(rng.integers(1, 4))):
        kind = rng.choice(["layer", "activation", "norm", "dropout"], p=[0.4, 0.35, 0.15, 0.1])
        if kind == "layer":
            if sequences:
                dilation = int(rng.choice([1, 2]))
                layers.append(("Conv1d", {"in_channels": width, "out_channels": width,
                                          "kernel_size": 3, "padding": dilation,
                                          "dilation": dilation, "groups": int(rng.choice(
                                              [1, width])), "bias": coin(0.8),
                                          "padding_mode": str(rng.choice(
                                              ["zeros", "reflect", "replicate", "circular"]))}))
            else:
                layers.append(("Linear", {"in_features": width, "out_features": width,
                                          "bias": coin(0.8)}))
        elif kind == "activation":
            name, options = ACTIVATIONS[int(rng.integers(len(ACTIVATIONS)))]
            layers.append((name, dict(options)))
        elif kind == "norm":
            norm = str(rng.choice(["BatchNorm1d", "GroupNorm"] if sequences
                                  else ["BatchNorm1d", "LayerNorm"]))
            if norm == "BatchNorm1d":
                layers.append((norm, {"num_features": width,
                                      "momentum": float(rng.choice([0.1, 0.5])),
                                      "affine": coin(0.8), "track_running_stats": coin(0.8)}))
            elif norm == "GroupNorm":
                layers.append((norm, {"num_groups": int(rng.choice([1, width])),
                                      "num_channels": width, "affine": coin(0.8)}))
            else:
                layers.append((norm, {"normalized_shape": width, "elementwise_affine": coin(0.8),
                                      "bias": coin(0.8)}))
        else:  # (random draws differ between the libraries: p > 0 in eval mode only)
            layers.append(("Dropout", {"p": 0.0 if training else 0.3}))
    residual = int(rng.integers(len(layers))) if coin(0.4) else None
    for i, (name, options) in enumerate(layers):
        # A norm that takes each feature's mean over the batch (and length) takes away the
        # bias added before it by linear layers (through activations that may be linear
        # over the batch), and a norm's scale too: their
        # gradient is rounding noise, which Adam, RMSprop and Rprop blow up to steps of
        # random sign. So those layers have no bias, or no affine, as users write them.
        if i != residual and (name == "BatchNorm1d" or name == "GroupNorm"
                              and options["num_groups"] == width):
            for earlier, earlier_options in reversed(layers[:i]):
                if earlier not in ("Linear", "Conv1d", *PASSING, *NORMS):
                    break
                if earlier in NORMS:
                    earlier_options["elementwise_affine" if earlier == "LayerNorm"
                                    else "affine"] = False
                    break
                if earlier not in PASSING:
                    earlier_options["bias"] = False
    loss = str(rng.choice(LOSSES))
    outputs = 3
    loss_options: dict[str, Any] = {"reduction": str(rng.choice(["mean", "sum"]))}
    if loss == "huber_loss" and coin():
        loss_options["delta"] = float(rng.choice([0.5, 2.0]))
    if loss == "smooth_l1_loss" and coin():
        loss_options["beta"] = float(rng.choice([0.5, 2.0]))
    if loss.startswith("cross_entropy") and coin():
        loss_options["label_smoothing"] = float(rng.choice([0.1, 0.3]))
    if loss in ("cross_entropy", "nll_loss") and coin(0.3):
        loss_options["weight"] = [0.5, 1.0, 2.0]
    if loss in ("cross_entropy", "nll_loss") and coin(0.3):
        loss_options["ignore_index"] = int(rng.choice([-100, 1]))
    if loss == "binary_cross_entropy" and coin(0.3):
        loss_options["weight"] = [0.5, 1.0, 2.0]
    if loss == "kl_div":
        loss_options = {"reduction": str(rng.choice(["mean", "sum", "batchmean"])),
                        "log_target": coin()}
    if loss == "binary_cross_entropy_with_logits" and coin():
        loss_options["pos_weight"] = [0.5, 1.0, 3.0]
    optimizer, options = _optimizer(rng)
    while dtype == "float32" and optimizer == "Rprop":  # (steps by each entry's sign: one
        optimizer, options = _optimizer(rng)           # near 0 flips with float32 rounding)
    # l1_loss's gradient is a sum of +-1/n: over an odd batch never 0, but two micro-batches
    # may cancel to rounding noise, which Adam or Rprop blows up to a step of random sign
    micro_batches = 1 if loss == "l1_loss" else int(rng.choice([1, 2]))
    groups = None
    if coin(0.4):
        groups = {"lr": options["lr"] * float(rng.choice([0.1, 3.0]))}
        if coin() and optimizer != "Rprop":
            groups["weight_decay"] = 0.05
    steps = int(rng.integers(3, 7))
    if dtype == "float32":  # (rounding compounds: float64 loops check the long runs)
        steps = 3
    clip = None
    if coin(0.4):
        clip = (("clip_grad_norm_", {"max_norm": float(rng.choice([0.1, 0.5, 5.0])),
                                     "norm_type": float(rng.choice([2.0, 1.0, math.inf]))})
                if coin() else ("clip_grad_value_", {"clip_value": float(rng.choice([0.05,
                                                                                      0.5]))}))
    return Loop(seed=seed, sequences=sequences, recurrent=recurrent, training=training,
                dtype=dtype, layers=layers, residual=residual, outputs=outputs,
                spare_head=coin(0.25) and recurrent is None,
                loss=loss, loss_options=loss_options, loss_as_layer=coin(),
                optimizer=optimizer, options=options, groups=groups,
                frozen=str(rng.choice(["trunk", "head.bias"])) if coin(0.3) else None,
                scheduler=_scheduler(rng, steps) if coin(0.5) else None, clip=clip,
                set_to_none=coin(), model_zero_grad=coin(0.3), micro_batches=micro_batches,
                steps=steps, resume_at=int(rng.integers(1, steps)) if coin(0.3) else None,
                tied=coin())


def _residual_class(m):
    class Residual(m.nn.Module):
        """x + inner(x), as a user writes a skip connection."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return x + self.inner(x)
    return Residual


def _last_step_class(m):
    class LastStep(m.nn.Module):
        """A recurrent layer's output at the last time step (its state left out)."""

        def forward(self, result):
            return result[0][:, -1]
    return LastStep


def _model_class(m):
    class Model(m.nn.Module):
        """A trunk, then a head; a spare head added to the output on even steps."""

        def __init__(self, trunk, head, spare):
            super().__init__()
            self.trunk, self.head, self.spare = trunk, head, spare

        def forward(self, x, use_spare=False):
            out = self.head(self.trunk(x))
            if self.spare is not None and use_spare:
                out = out + self.spare(x.reshape(x.shape[0], -1))
            return out
    return Model


def build(m, loop: Loop):
    """The model of `loop` in library m (tg or torch), its weights m's own defaults."""
    trunk = []
    width = CHANNELS * LENGTH if loop.sequences else FEATURES
    if loop.recurrent is not None:
        name, options, padding_idx = loop.recurrent
        trunk += [m.nn.Embedding(VOCABULARY, EMBEDDING, padding_idx=padding_idx),
                  getattr(m.nn, name)(**options), _last_step_class(m)()]
        width = FEATURES * (2 if options["bidirectional"] else 1)
    for i, (name, options) in enumerate(loop.layers):
        layer = getattr(m.nn, name)(**options)
        trunk.append(_residual_class(m)(layer) if i == loop.residual else layer)
    if loop.sequences:
        trunk.append(m.nn.Flatten())
    head = m.nn.Linear(width, loop.outputs)
    spare = m.nn.Linear(width, loop.outputs, bias=False) if loop.spare_head else None
    if spare is not None and loop.tied:
        spare.weight = head.weight
    return _model_class(m)(m.nn.Sequential(*trunk), head, spare)


def data(loop: Loop) -> list[tuple[np.ndarray, np.ndarray]]:
    """One (inputs, targets) pair per step and micro-batch."""
    rng = np.random.default_rng(loop.seed + 10_000)
    shape = (BATCH, CHANNELS, LENGTH) if loop.sequences else (BATCH, FEATURES)
    pairs = []
    for _ in range(loop.steps * loop.micro_batches):
        x = (rng.standard_normal(shape) if loop.recurrent is None
             else rng.integers(0, VOCABULARY, (BATCH, LENGTH)))
        if loop.loss in ("cross_entropy", "nll_loss"):
            y = rng.integers(0, loop.outputs, BATCH)
            if loop.loss_options.get("ignore_index") == -100:
                y[rng.random(BATCH) < 0.3] = -100
        elif loop.loss == "cross_entropy_probabilities":
            y = rng.dirichlet(np.ones(loop.outputs), BATCH)
        elif loop.loss == "kl_div":
            y = rng.dirichlet(np.ones(loop.outputs), BATCH)
            y = np.log(y) if loop.loss_options["log_target"] else y
        elif loop.loss.startswith("binary_cross_entropy"):
            y = rng.random((BATCH, loop.outputs))
        else:
            y = rng.standard_normal((BATCH, loop.outputs))
        pairs.append((x, y))
    return pairs


def _inputs(m, x: np.ndarray, dtype):
    return m.tensor(x) if x.dtype.kind == "i" else m.tensor(x, dtype=dtype)


def _loss(m, loop: Loop, out, target):
    options = dict(loop.loss_options)
    for key in ("weight", "pos_weight"):
        if key in options:
            options[key] = m.tensor(options[key], dtype=getattr(m, loop.dtype))
    name = "cross_entropy" if loop.loss == "cross_entropy_probabilities" else loop.loss
    if name in ("nll_loss", "kl_div"):
        out = m.nn.functional.log_softmax(out, dim=1)
    if name == "binary_cross_entropy":
        out = m.sigmoid(out)
    warns = (pytest.warns(UserWarning, match="batchmean")  # (torch's: 'mean' to change)
             if m.__name__ == "torch" and name == "kl_div" and options.get("reduction") == "mean"
             else contextlib.nullcontext())
    with warns:
        if loop.loss_as_layer:
            return getattr(m.nn, LOSS_LAYERS[loop.loss])(**options)(out, target)
        return getattr(m.nn.functional, name)(out, target, **options)


def _scheduler_of(m, loop: Loop, optimizer):
    name, options = loop.scheduler
    if name == "LambdaLR":
        options = {"lr_lambda": lambda epoch: 1.0 / (1.0 + 0.5 * epoch)}
    if name == "MultiplicativeLR":
        options = {"lr_lambda": lambda epoch: 0.9}
    if name == "CyclicLR" and "momentum" not in loop.options:
        options = dict(options, cycle_momentum=False)
    if name == "OneCycleLR" and loop.optimizer not in ("SGD", "Adam", "AdamW", "RMSprop",
                                                       "NAdam", "RAdam", "Adamax"):
        options = dict(options, cycle_momentum=False)
    lr_scheduler = m.optim.lr_scheduler
    if name == "SequentialLR":
        options = dict(options, schedulers=[lr_scheduler.LinearLR(optimizer, 0.5, 1.0, 2),
                                            lr_scheduler.ExponentialLR(optimizer, 0.7)])
    if name == "ChainedScheduler":
        options = {"schedulers": [lr_scheduler.StepLR(optimizer, 2, 0.5),
                                  lr_scheduler.ExponentialLR(optimizer, 0.9)]}
    if name == "ChainedScheduler":
        return lr_scheduler.ChainedScheduler(**options)
    return getattr(lr_scheduler, name)(optimizer, **options)


def _made(m, loop: Loop, state: dict[str, Any] | None):
    """The model (with `state` loaded, else its own initial weights), optimizer and
    scheduler of `loop` in library m, and the model's state as arrays."""
    model = build(m, loop).to(getattr(m, loop.dtype))
    model.train(loop.training)
    if state is None:
        state = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    else:
        model.load_state_dict({k: (torch.tensor(v) if m is torch else v.copy())
                               if isinstance(v, np.ndarray) else v for k, v in state.items()})
    if loop.frozen == "trunk":
        trunk_params = list(model.trunk.parameters())
        if trunk_params:
            trunk_params[0].requires_grad_(False)
    elif loop.frozen == "head.bias":
        model.head.bias.requires_grad_(False)
    if loop.groups is None:
        params = list(model.parameters())
    else:
        head = {id(p) for p in model.head.parameters()}
        params = [{"params": [p for p in model.parameters() if id(p) not in head]},
                  dict(loop.groups, params=list(model.head.parameters()))]
    optimizer = getattr(m.optim, loop.optimizer)(params, **loop.options)
    scheduler = None if loop.scheduler is None else _scheduler_of(m, loop, optimizer)
    return model, optimizer, scheduler, state


def _resumed(m, loop: Loop, model, optimizer, scheduler):
    """A checkpoint as users write one: the three state_dicts saved to a file (m.save) and
    loaded into a new model, optimizer and scheduler (made before either is loaded, as
    PyTorch's docs order it)."""
    file = io.BytesIO()
    m.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "scheduler": None if scheduler is None else scheduler.state_dict()}, file)
    file.seek(0)
    saved = m.load(file)
    model, optimizer, scheduler, _ = _made(m, loop, saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(saved["scheduler"])
    return model, optimizer, scheduler


def run_loop(m, loop: Loop, state: dict[str, np.ndarray] | None = None) -> dict[str, Any]:
    """Runs `loop` in library m from `state` (torch's initial weights, loaded into ours);
    gives what a user reads after each step, as arrays and numbers."""
    if m is torch:
        torch.manual_seed(loop.seed)
    dtype = getattr(m, loop.dtype)
    model, optimizer, scheduler, state = _made(m, loop, state)
    pairs = data(loop)
    log: dict[str, Any] = {"state": state, "losses": [], "norms": [], "lrs": [], "params": [],
                            "grads": [], "dtypes": []}
    for step in range(loop.steps):
        if step == loop.resume_at:
            model, optimizer, scheduler = _resumed(m, loop, model, optimizer, scheduler)
        (model if loop.model_zero_grad else optimizer).zero_grad(set_to_none=loop.set_to_none)
        total = 0.0
        for k in range(loop.micro_batches):
            x, y = pairs[step * loop.micro_batches + k]
            target = m.tensor(y) if y.dtype.kind == "i" else m.tensor(y, dtype=dtype)
            out = model(_inputs(m, x, dtype), use_spare=step % 2 == 0)
            loss = _loss(m, loop, out, target) / loop.micro_batches
            loss.backward()
            total += float(loss.item())
        log["losses"].append(total)
        log["dtypes"].append([_dtype(loss)] + [_dtype(t) for _, p in model.named_parameters()
                                               for t in (p, p.grad) if t is not None])
        log["grads"].append({name: None if p.grad is None else p.grad.numpy().copy()
                             for name, p in model.named_parameters()})
        if loop.clip is not None:
            name, options = loop.clip
            norm = getattr(m.nn.utils, name)(model.parameters(), **options)
            if norm is not None:
                log["norms"].append(float(norm))
        optimizer.step()
        if loop.scheduler is not None and loop.scheduler[0] == "ReduceLROnPlateau":
            scheduler.step(total)
        elif scheduler is not None:
            scheduler.step()
        log["lrs"].append([float(group["lr"]) for group in optimizer.param_groups])
        log["params"].append({name: p.detach().numpy().copy()
                              for name, p in model.named_parameters()})
    log["buffers"] = {name: np.asarray(b.detach().numpy()).copy()
                      for name, b in model.named_buffers()}
    model.eval()
    x, _ = pairs[0]
    log["eval"] = model(_inputs(m, x, dtype)).detach().numpy().copy()
    return log


def describe(loop: Loop) -> str:
    return "\n".join(f"  {k} = {v!r}" for k, v in vars(loop).items() if k != "notes")


def _dtype(t) -> str:
    return str(t.dtype).replace("torch.", "")


def _close(rtol: float, a, b) -> bool:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return False
    scale = max(1.0, float(np.max(np.abs(b), initial=0.0)))
    return bool(np.allclose(a, b, rtol=rtol, atol=rtol * scale, equal_nan=True))


def _no_further(rtol: float, a, b, exact) -> bool:
    """float32 `a` no further from the float64 result `exact` than torch's float32 `b` is
    (twice its distance as a whole, plus rtol of the largest entry): ours may be the more
    accurate, and where rounding compounds, an entry of either may be the further one."""
    a, b, exact = (np.asarray(v, dtype=np.float64) for v in (a, b, exact))
    if not a.shape == b.shape == exact.shape:
        return False
    scale = max(1.0, float(np.max(np.abs(exact), initial=0.0)))
    return bool(np.linalg.norm(a - exact) <= 2 * np.linalg.norm(b - exact) + rtol * scale)


def compare(loop: Loop, ours: dict, theirs: dict, exact: dict | None = None) -> list[str]:
    """The differences between two logs, the first of each kind, by step. A float32 loop
    compounds rounding from step to step; `exact`, torch's run of it in float64, accepts
    ours where it is no further from it than torch's float32 run."""
    found = []

    def close(rtol, a, b, path=None):
        return (_close(rtol, a, b) or exact is not None and path is not None
                and path(exact) is not None and _no_further(rtol, a, b, path(exact)))
    rtol = RTOL[loop.dtype]
    for step in range(loop.steps):
        if ours["dtypes"][step] != theirs["dtypes"][step]:
            found.append(f"step {step}: dtypes (loss, each parameter and gradient) "
                         f"{ours['dtypes'][step]} vs {theirs['dtypes'][step]}")
            break
        if not close(rtol, ours["losses"][step], theirs["losses"][step],
                     lambda e: e["losses"][step]):
            found.append(f"step {step}: loss {ours['losses'][step]!r} vs "
                         f"{theirs['losses'][step]!r}")
            break
        grads = theirs["grads"][step]
        wrong = [name for name, value in grads.items()
                 if (value is None) != (ours["grads"][step].get(name) is None)
                 or value is not None and not close(rtol, ours["grads"][step][name], value,
                                                    lambda e: e["grads"][step][name])]
        if wrong:
            found.append(f"step {step}: gradients of {wrong} differ")
            break
        if ours["norms"] and not close(rtol, ours["norms"][step], theirs["norms"][step],
                                       lambda e: e["norms"][step]):
            found.append(f"step {step}: clip norm {ours['norms'][step]!r} vs "
                         f"{theirs['norms'][step]!r}")
            break
        if not close(rtol, ours["lrs"][step], theirs["lrs"][step]):
            found.append(f"step {step}: lr {ours['lrs'][step]} vs {theirs['lrs'][step]}")
            break
        wrong = [name for name, value in theirs["params"][step].items()
                 if not close(rtol, ours["params"][step].get(name, np.nan), value,
                              lambda e: e["params"][step][name])]
        if wrong or set(ours["params"][step]) != set(theirs["params"][step]):
            found.append(f"step {step}: parameters {wrong or 'names'} differ")
            break
    if not found:
        for name, value in theirs["buffers"].items():
            if not close(rtol, ours["buffers"].get(name, np.nan), value,
                         lambda e: e["buffers"][name]):
                found.append(f"buffer {name} differs")
        if not close(rtol, ours["eval"], theirs["eval"], lambda e: e["eval"]):
            found.append("eval-mode output differs")
    return found


@contextlib.contextmanager
def torch_float64():
    """torch's default dtype float64, for the scalars its optimizers keep as tensors (NAdam's
    and ASGD's in float32 would differ from ours by 1e-9); and one thread, as
    test_torch_moduleinfo.py runs it (its recurrent layers' threads crawl on a busy machine)."""
    default, threads = torch.get_default_dtype(), torch.get_num_threads()
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_default_dtype(default)
        torch.set_num_threads(threads)


def check(seed: int) -> None:
    loop = draw_loop(seed)
    with torch_float64():
        theirs = run_loop(torch, loop)
        exact = (None if loop.dtype == "float64" else
                 run_loop(torch, dataclasses.replace(loop, dtype="float64"), theirs["state"]))
    ours = run_loop(tg, loop, theirs["state"])
    found = compare(loop, ours, theirs, exact)
    assert not found, f"seed {seed}:\n{describe(loop)}\n" + "\n".join(found)


@pytest.mark.parametrize("seed", range(FIRST_SEED, FIRST_SEED + LOOPS))
def test_random_training_loops_match_pytorch(seed):
    check(seed)


def _caught(seeds, planted_in) -> int | None:
    """The first of `seeds` whose loop differs from torch's with a bug planted in ours."""
    with planted_in():
        for seed in seeds:
            try:
                check(seed)
            except AssertionError:
                return seed
    return None


def test_planted_clipping_by_the_wrong_norm_is_caught(monkeypatch):
    """clip_grad_norm_ that always takes the 2-norm: the loops clipping by norm 1 or inf
    catch it."""
    honest = tg.nn.utils.clip_grad_norm_

    @contextlib.contextmanager
    def planted():
        with monkeypatch.context() as patch:
            patch.setattr(tg.nn.utils, "clip_grad_norm_", lambda params, max_norm, norm_type=2.0:
                          honest(params, max_norm))
            yield
    seeds = [s for s in range(400) if (lambda c: c is not None and c[0] == "clip_grad_norm_"
                                       and c[1]["norm_type"] != 2.0)(draw_loop(s).clip)]
    assert _caught(seeds[:10], planted) is not None


def test_planted_zero_grad_that_always_sets_none_is_caught(monkeypatch):
    """optimizer.zero_grad(set_to_none=False) that sets None: a parameter with a zeroed
    gradient is stepped by torch's momentum or weight decay (the spare head, off on odd
    steps), skipped by ours."""
    honest = tg.optim.Optimizer.zero_grad

    @contextlib.contextmanager
    def planted():
        with monkeypatch.context() as patch:
            patch.setattr(tg.optim.Optimizer, "zero_grad",
                          lambda self, set_to_none=True: honest(self, True))
            yield
    seeds = [s for s in range(400) for loop in [draw_loop(s)]
             if loop.spare_head and not loop.set_to_none and not loop.model_zero_grad]
    assert _caught(seeds[:10], planted) is not None


def test_planted_checkpoint_that_loses_the_optimizer_state_is_caught(monkeypatch):
    """optimizer.load_state_dict that keeps the groups but drops each parameter's state
    (momentum, averages): the loops resumed from a checkpoint catch it."""
    honest = tg.optim.Optimizer.load_state_dict

    @contextlib.contextmanager
    def planted():
        with monkeypatch.context() as patch:
            patch.setattr(tg.optim.Optimizer, "load_state_dict",
                          lambda self, state: honest(self, {**state, "state": {}}))
            yield
    seeds = [s for s in range(400) for loop in [draw_loop(s)]
             if loop.resume_at is not None and loop.optimizer in ("Adam", "RMSprop")]
    assert _caught(seeds[:10], planted) is not None


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_an_empty_parameter_group_is_kept_as_pytorch_keeps_it(name):
    """A group that a filter left empty ({"params": no_decay, "weight_decay": 0} of a model
    without biases) is kept, stepped over and scheduled, as PyTorch's; it was refused."""
    w0 = np.array([0.5, -1.5, 2.0])
    results = []
    for m in (tg, torch):
        with torch_float64():
            results.append(_train_with_empty_groups(m, name, w0))
    (ours, our_lrs, our_ids), (theirs, their_lrs, their_ids) = results
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    assert our_lrs == pytest.approx(their_lrs) and our_ids == their_ids


def _train_with_empty_groups(m, name, w0):
    """w ** 3 trained three steps by optimizer `name` of library m, with two empty groups:
    the weights, each group's lr and the state_dict's parameter indices per group."""
    w = m.tensor(w0, dtype=m.float64, requires_grad=True)
    optimizer = getattr(m.optim, name)([{"params": [w]},
                                        {"params": [], "weight_decay": 0.0}], lr=0.1)
    optimizer.add_param_group({"params": []})
    scheduler = m.optim.lr_scheduler.StepLR(optimizer, 1, gamma=0.5)
    for _ in range(3):
        optimizer.zero_grad()
        (w ** 3).sum().backward()
        optimizer.step()
        scheduler.step()
    state = optimizer.state_dict()
    return (w.detach().numpy().copy(), [g["lr"] for g in optimizer.param_groups],
            [g["params"] for g in state["param_groups"]])


# ------------------------------------------------ random programs mixing dtypes

# Second operands a float32 or float64 program meets: (kind, shape); a "leaf" needs a gradient.
OPERANDS = [("float32 leaf", (3, 4)), ("float32 leaf", (4,)), ("float64 leaf", (1, 4)),
            ("float64 leaf", (3, 1)), ("python float", ()), ("python int", ()),
            ("float64 0-d", ()), ("float32 0-d", ()), ("int64", (4,)), ("bool", (3, 4)),
            ("float64 constant", (3, 4)), ("float32 constant", (1, 4))]


def _is_float(b) -> bool:
    return not isinstance(b, (int, float)) and _dtype(b).startswith("float")


def _in_place_add(m, a, b):
    """a's copy += b, where the result keeps a's shape: a's dtype, whatever b's."""
    c = a * 1
    if np.broadcast_shapes(tuple(a.shape), tuple(np.shape(b))) == tuple(a.shape):
        c += b
    return c


def _in_place_mul(m, a, b):
    """a's clone .mul_(b), where the result keeps a's shape."""
    c = a.clone()
    if np.broadcast_shapes(tuple(a.shape), tuple(np.shape(b))) == tuple(a.shape):
        c.mul_(b)
    return c


MASK = np.array([[True, False, True, True], [False, False, True, False], [True] * 4])
BINARY = {"add": lambda m, a, b: a + b, "sub": lambda m, a, b: b - a,
          "mul": lambda m, a, b: a * b, "div": lambda m, a, b: a / (b * b + 1),
          "where": lambda m, a, b: m.where(m.tensor(MASK), a, b),  # (a > b would tie)
          "atan2": lambda m, a, b: m.atan2(a, b + 3) if not isinstance(b, (int, float))
          else a * b,
          "cat": lambda m, a, b: m.cat([a.reshape(-1), m.as_tensor(b).reshape(-1)]).mean(
              0, keepdim=True),
          "type_as": lambda m, a, b: a.type_as(b) if _is_float(b) else a,  # (a float stays)
          "in_place_add": _in_place_add, "in_place_mul": _in_place_mul}
UNARY = {"exp_tanh": lambda m, a: m.exp(m.tanh(a)), "sin": lambda m, a: m.sin(a),
         "sigmoid": lambda m, a: m.sigmoid(a), "square": lambda m, a: a ** 2,
         "rsub": lambda m, a: 0.5 - a, "scale": lambda m, a: a * 2.5,
         "sum": lambda m, a: a.sum(-1, keepdim=True), "mean": lambda m, a: a.mean(),
         "softmax": lambda m, a: m.softmax(a, -1) if a.ndim else a,
         "log_softplus": lambda m, a: m.log(m.nn.functional.softplus(a) + 1),
         "double": lambda m, a: a.double(), "float": lambda m, a: a.float(),
         "clamp": lambda m, a: a.clamp(min=-0.5),
         "sum_float64": lambda m, a: a.sum(-1, keepdim=True, dtype=m.float64),
         "mean_float64": lambda m, a: a.mean(dtype=m.float64),
         "full_like": lambda m, a: a * m.full_like(a, 0.5) + m.ones_like(a),
         # (values stay small: sin of a large float32 number is ill-conditioned)
         "pow_float": lambda m, a: (m.tanh(a) ** 2 + 1) ** 1.5}


def draw_program(seed: int) -> list[tuple]:
    """Steps (unary name, slot) or (binary name, slot, operand index): a slot is an earlier
    result (0 is a float32 leaf of shape (3, 4)); operands are OPERANDS, or earlier results
    (as ("slot", k))."""
    rng = np.random.default_rng(seed)
    steps: list[tuple] = []
    for k in range(int(rng.integers(3, 12))):
        slot = k if rng.random() < 0.6 else int(rng.integers(k + 1))
        if rng.random() < 0.5:
            steps.append((str(rng.choice(list(UNARY))), slot))
        else:
            other = (("slot", int(rng.integers(k + 1))) if rng.random() < 0.3
                     else int(rng.integers(len(OPERANDS))))
            steps.append((str(rng.choice(list(BINARY))), slot, other))
    return steps


def _operand(m, kind: str, shape, rng, leaves: list):
    values = rng.uniform(-1.5, 1.5, shape)
    if kind == "python float":
        return 0.75
    if kind == "python int":
        return 2
    if kind == "int64":
        return m.tensor(rng.integers(-2, 3, shape))
    if kind == "bool":
        return m.tensor(rng.random(shape) < 0.5)
    dtype = m.float32 if kind.startswith("float32") else m.float64
    t = m.tensor(values, dtype=dtype, requires_grad=kind.endswith("leaf"))
    if kind.endswith("leaf"):
        leaves.append(t)
    return t


def run_program(m, seed: int, length: int | None = None) -> dict[str, Any]:
    """The program of `seed` in library m, its first `length` steps: the results' dtypes
    and values, the leaves' gradients' dtypes and values; "refused" is the index of the
    first step m raised at (the program stops before it)."""
    rng = np.random.default_rng(seed + 20_000)
    leaves: list = []
    slots = [_operand(m, "float32 leaf", (3, 4), rng, leaves)]
    operands = [_operand(m, kind, shape, rng, leaves) for kind, shape in OPERANDS]
    refused = None
    for k, step in enumerate(draw_program(seed)[:length]):
        a = slots[step[1]]
        b = (None if len(step) == 2 else slots[step[2][1]] if isinstance(step[2], tuple)
             else operands[step[2]])
        try:
            slots.append(UNARY[step[0]](m, a) if b is None else BINARY[step[0]](m, a, b))
        except (RuntimeError, TypeError):
            refused = k
            break
    weights = np.random.default_rng(seed + 30_000).uniform(0.5, 1.5, len(slots))
    loss = sum((s * float(w)).sum() for s, w in zip(slots, weights))
    loss.backward()
    return {"refused": refused, "dtypes": [_dtype(s) for s in slots] + [_dtype(loss)],
            "values": [s.detach().numpy().astype(np.float64) for s in slots],
            "grad dtypes": [None if t.grad is None else _dtype(t.grad) for t in leaves],
            "grads": [None if t.grad is None else t.grad.numpy().astype(np.float64)
                      for t in leaves]}


def _float32_close(a, b) -> bool:
    scale = max(1.0, float(np.max(np.abs(b), initial=0.0)))
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-5, atol=1e-5 * scale))


@pytest.mark.parametrize("seed", range(FIRST_SEED, FIRST_SEED + PROGRAMS))
def test_random_programs_mixing_dtypes_match_pytorch(seed):
    """float32 programs meeting float64 leaves and constants, Python numbers, int64 and
    bool tensors, and casts: each result's dtype, the leaves' gradients' dtypes, and the
    values to float32 tolerance. torch runs with float64 as its default dtype, as the
    api-guide's dtype rule has it (an integer tensor times a Python float is float64).
    Where torch refuses a step (`bool_tensor - x`), ours computes, on purpose (api-guide,
    "Where PyTorch refuses a dtype"): the programs are compared up to that step."""
    with torch_float64():
        theirs = run_program(torch, seed)
    ours = run_program(tg, seed, theirs["refused"])
    report = f"seed {seed}: {draw_program(seed)}"
    assert ours["refused"] is None, f"{report}\nours refused step {ours['refused']}"
    assert ours["dtypes"] == theirs["dtypes"], report
    assert ours["grad dtypes"] == theirs["grad dtypes"], report
    for k, (mine, want) in enumerate(zip(ours["values"], theirs["values"])):
        assert _float32_close(mine, want), f"{report}\nresult {k} differs"
    for k, (mine, want) in enumerate(zip(ours["grads"], theirs["grads"])):
        assert (mine is None) == (want is None), report
        assert mine is None or _float32_close(mine, want), f"{report}\nleaf {k}'s gradient"
