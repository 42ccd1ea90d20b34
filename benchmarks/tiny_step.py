"""Benchmark 1: one full training step of the documents' multi-input network.

x = [8.5, 0.65, 1.2] (toes, win/loss record, fans), w = [0.1, 0.2, -0.1] learned,
pred = x @ w, loss = 0.5 * (pred - 1)**2, alpha = 0.01. One step is forward, loss,
backward, update and clearing the gradient, written the way each framework's users write it:

    tinygrad_gd            the README's loop: backward(), `w.data -= alpha * w.grad.data`, w.grad = None
    tinygrad_gd + SGD      the same with optim.SGD (zero_grad, step): what nn users pay
    NumPy (floor)          the step hand-written: delta = pred - 1, w -= alpha * delta * x
    bare tape (a bound)    a tape autograd over NumPy arrays with nothing but the tape: one
                           object and one closure per op, no checks (what this design can reach)
    bare tape, floats      the same keeping 0-d values as Python floats (what a scalar engine
                           could reach)
    micrograd              three scalar Values (the scalar peer)
    PyTorch                float64 tensors, torch.no_grad() update, grad = None

All start from the same weights and must reach the same weights after a few steps
(checked before timing), so every row computes the same thing.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .harness import (OURS, Section, Target, comparison_rows, fmt_speedup, interleave, package,
                      pin_threads, summarize, table)
from .tape import FloatTapeValue, TapeValue

X = [8.5, 0.65, 1.2]
W0 = [0.1, 0.2, -0.1]
ALPHA = 0.01


def make_ours(name: str = OURS) -> tuple[Callable[[], None], Callable[[], np.ndarray]]:
    tg = package(name)

    x = tg.Tensor(X)
    w = tg.Tensor(W0, requires_grad=True)

    def step() -> None:
        pred = x @ w
        loss = 0.5 * (pred - 1) ** 2
        loss.backward()
        with tg.no_grad():
            w.data -= ALPHA * w.grad.data
        w.grad = None

    return step, lambda: w.data.copy()


def make_ours_sgd(name: str = OURS) -> tuple[Callable[[], None], Callable[[], np.ndarray]]:
    tg = package(name)
    x = tg.Tensor(X)
    w = tg.Tensor(W0, requires_grad=True)
    opt = tg.optim.SGD([w], lr=ALPHA)

    def step() -> None:
        opt.zero_grad()
        loss = 0.5 * (x @ w - 1) ** 2
        loss.backward()
        opt.step()

    return step, lambda: w.data.copy()


def make_numpy() -> tuple[Callable[[], float], Callable[[], np.ndarray]]:
    x = np.array(X)
    w = np.array(W0)

    def step() -> float:
        pred = x.dot(w)
        delta = pred - 1.0
        loss = 0.5 * delta * delta  # computed, as every row computes its loss
        w[:] -= ALPHA * (delta * x)
        return loss

    return step, lambda: w.copy()


def make_micrograd() -> tuple[Callable[[], None], Callable[[], np.ndarray]]:
    from micrograd.engine import Value

    w = [Value(v) for v in W0]

    def step() -> None:
        pred = X[0] * w[0] + X[1] * w[1] + X[2] * w[2]
        loss = 0.5 * (pred - 1) ** 2
        loss.backward()
        for p in w:
            p.data -= ALPHA * p.grad
            p.grad = 0.0

    return step, lambda: np.array([p.data for p in w])


def make_tape_bound(value: type = TapeValue) -> tuple[Callable[[], None], Callable[[], np.ndarray]]:
    x = value(np.array(X))
    w = value(np.array(W0))

    def step() -> None:
        loss = 0.5 * (x @ w - 1) ** 2
        loss.backward()
        w.data -= ALPHA * w.grad
        w.grad = None

    return step, lambda: w.data.copy()


def make_torch() -> tuple[Callable[[], None], Callable[[], np.ndarray]]:
    import torch

    x = torch.tensor(X, dtype=torch.float64)
    w = torch.tensor(W0, dtype=torch.float64, requires_grad=True)

    def step() -> None:
        pred = x @ w
        loss = 0.5 * (pred - 1) ** 2
        loss.backward()
        with torch.no_grad():
            w.sub_(ALPHA * w.grad)
        w.grad = None

    return step, lambda: w.detach().numpy().copy()


def candidates() -> tuple[dict[str, Callable[[], Any]], list[str]]:
    """The steps that can run here, each checked against the others; and notes on skipped ones."""
    makers: dict[str, Callable[[], Any]] = {
        OURS: make_ours, f"{OURS} + optim.SGD": make_ours_sgd, "NumPy (floor)": make_numpy,
        "micrograd": make_micrograd, "PyTorch": make_torch,
        "bare tape over NumPy (a bound)": make_tape_bound,
        "bare tape, 0-d values as floats (a bound)": lambda: make_tape_bound(FloatTapeValue)}
    steps, notes, finals = {}, [], {}
    for name, make in makers.items():
        try:
            step, weights = make()
        except ImportError as err:
            notes.append(f"{name} skipped: not installed ({err.name}).")
            continue
        for _ in range(3):
            step()
        finals[name] = weights()
        steps[name] = step
    reference = finals[OURS]
    for name, w in finals.items():
        if not np.allclose(w, reference, rtol=1e-12, atol=1e-15):
            raise AssertionError(f"tiny step: {name} reaches weights {w} after 3 steps, "
                                 f"{OURS} {reference}: they do not compute the same step")
    notes.append(f"Checked before timing: after 3 steps every row holds the weights {np.round(reference, 6).tolist()}.")
    return steps, notes


def run(quick: bool = False) -> Section:
    section = Section("1. The documents' multi-input network: one training step")
    steps, notes = candidates()
    rows = []
    headline = None
    plan = ((1, 7 if quick else 21), (2, 3 if quick else 7))  # (threads, rounds)
    for threads, rounds in plan:
        with pin_threads(threads):
            samples = interleave(steps, rounds=rounds, batch_s=0.02 if quick else 0.04,
                                 warmup_s=0.1 if quick else 0.3)
        summary = summarize(samples, OURS)
        if threads == 1:
            headline = summary
        rows += comparison_rows(summary, f"{threads}")
        section.data[f"threads_{threads}"] = {k: {s: vars(v) for s, v in d.items()}
                                              for k, d in summary.items()}
    section.blocks.append(table(["threads", "implementation", "time per step: median (min - max)",
                                 f"{OURS} / it, round by round"], rows))
    section.blocks.append("\n".join(f"- {n}" for n in notes) +
                          f"\n- Ratio below 1: {OURS} is faster. Interleaved rounds: "
                          + ", ".join(f"{r} at {t} thread(s)" for t, r in plan) + ".")
    section.targets += _targets(headline)
    return section


def _targets(summary: dict[str, Any]) -> list[Target]:
    def speedup(name: str) -> float | None:
        return 1 / summary[name]["ratio"].median if name in summary else None

    out = []
    s = speedup("PyTorch")
    out.append(Target("tiny step vs PyTorch CPU", ">= 8x faster",
                      fmt_speedup(s) if s else "PyTorch not installed", s >= 8 if s else None))
    s = speedup("micrograd")
    out.append(Target("tiny step vs micrograd", ">= 2x faster",
                      fmt_speedup(s) if s else "micrograd not installed", s >= 2 if s else None))
    r = summary["NumPy (floor)"]["ratio"].median
    out.append(Target("tiny step vs NumPy floor", "<= 3x the floor's time", f"{r:.2f}x", r <= 3))
    return out
