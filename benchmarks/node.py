"""Benchmark 2: per-node overhead, a chain of 100 elementwise ops on a 3-element tensor.

The chain repeats four ops a user writes every day: `h * 1.001` (a Python number),
`h + 0.01`, `h.tanh()` and `h * a` (another tensor, needing no gradient). Then
`h.sum().backward()` and the gradient is cleared. With 3 elements the arithmetic is
nothing: what is measured is the framework's cost of recording and replaying one node.
Forward alone (graph recorded) and forward + backward are timed; backward per node is
their difference. Reference: PyTorch on the CPU, float64, the same chain; and the bare
tape of benchmarks/tape.py, the least an engine of this design does per node (a bound).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .harness import (OURS, Section, Stat, Target, fmt_ratio, fmt_speedup, fmt_time, interleave,
                      package, pin_threads, ratios, table)
from .tape import TapeValue

DEPTH = 100
X0 = [0.3, -0.2, 0.5]
A = [0.9, 1.1, 1.0]


def chain(h: Any, a: Any, tanh: Callable[[Any], Any]) -> Any:
    for i in range(DEPTH):
        kind = i % 4
        if kind == 0:
            h = h * 1.001
        elif kind == 1:
            h = h + 0.01
        elif kind == 2:
            h = tanh(h)
        else:
            h = h * a
    return h


Closures = tuple[Callable[[], Any], Callable[[], None], Callable[[], np.ndarray]]


def closures(x: Any, a: Any, tanh: Callable[[Any], Any],
             to_numpy: Callable[[Any], np.ndarray]) -> Closures:
    """forward (the chain, graph recorded), step (forward, backward, clear x's gradient)
    and grad (one step's gradient of x, as a NumPy copy) for one framework's x and a."""
    def forward() -> Any:
        return chain(x, a, tanh)

    def step() -> None:
        forward().sum().backward()
        x.grad = None

    def grad() -> np.ndarray:
        forward().sum().backward()
        g = to_numpy(x.grad).copy()
        x.grad = None
        return g

    return forward, step, grad


def make_ours(name: str = OURS) -> Closures:
    tg = package(name)
    return closures(tg.Tensor(X0, requires_grad=True), tg.Tensor(A), tg.Tensor.tanh,
                    lambda g: g.data)


def make_torch() -> Closures:
    import torch

    return closures(torch.tensor(X0, dtype=torch.float64, requires_grad=True),
                    torch.tensor(A, dtype=torch.float64), torch.tanh, lambda g: g.numpy())


def make_tape() -> Closures:
    return closures(TapeValue(np.array(X0)), TapeValue(np.array(A)), TapeValue.tanh, np.asarray)


TAPE = "bare tape (a bound)"


def run(quick: bool = False) -> Section:
    section = Section(f"2. Per-node overhead: a chain of {DEPTH} elementwise ops on 3 elements")
    ours_fwd, ours_step, ours_grad = make_ours()
    timed: dict[str, Callable[[], Any]] = {f"{OURS} forward": ours_fwd, f"{OURS} forward+backward": ours_step}
    notes = []
    try:
        torch_fwd, torch_step, torch_grad = make_torch()
    except ImportError:
        notes.append("PyTorch not installed: its rows and the target are skipped.")
        torch_fwd = None
    else:
        g, ref = ours_grad(), torch_grad()
        if not np.allclose(g, ref, rtol=1e-10):
            raise AssertionError(f"node chain: gradient {g} from {OURS}, {ref} from PyTorch")
        timed.update({"PyTorch forward": torch_fwd, "PyTorch forward+backward": torch_step})
    tape_fwd, tape_step, tape_grad = make_tape()
    g, ref = ours_grad(), tape_grad()
    if not np.allclose(g, ref, rtol=1e-10):
        raise AssertionError(f"node chain: gradient {g} from {OURS}, {ref} from the bare tape")
    notes.insert(0, f"Checked before timing: every row gives the gradient {np.round(g, 6).tolist()}.")
    timed.update({f"{TAPE} forward": tape_fwd, f"{TAPE} forward+backward": tape_step})

    rows, target = [], None
    plan = ((1, 7 if quick else 21), (2, 3 if quick else 7))
    for threads, rounds in plan:
        with pin_threads(threads):
            samples = interleave(timed, rounds=rounds, batch_s=0.02 if quick else 0.04,
                                 warmup_s=0.1 if quick else 0.3)
        per_node = {k: [v / DEPTH for v in vals] for k, vals in samples.items()}
        frameworks = [OURS] + (["PyTorch"] if torch_fwd else []) + [TAPE]
        for fw in frameworks:
            fwd = per_node[f"{fw} forward"]
            both = per_node[f"{fw} forward+backward"]
            bwd = [b - f for b, f in zip(both, fwd)]
            row = [str(threads), fw, fmt_time(Stat.of(fwd).median), fmt_time(Stat.of(bwd).median),
                   f"{fmt_time(Stat.of(both).median)} ({fmt_time(min(both))} - {fmt_time(max(both))})"]
            if fw == OURS:
                row += ["1", "1"]
            else:
                row += [fmt_ratio(Stat.of(ratios(per_node[f"{OURS} forward"], fwd))),
                        fmt_ratio(Stat.of(ratios(per_node[f"{OURS} forward+backward"], both)))]
            rows.append(row)
        section.data[f"threads_{threads}"] = {k: vars(Stat.of(v)) for k, v in per_node.items()}
        if threads == 1 and torch_fwd:
            target = Stat.of(ratios(per_node[f"{OURS} forward+backward"], per_node["PyTorch forward+backward"]))
            bound = Stat.of(ratios(per_node[f"{TAPE} forward+backward"],
                                   per_node["PyTorch forward+backward"]))
            notes.append(f"The bare tape (benchmarks/tape.py: one object and one closure per op, "
                         f"no checks) takes {bound.median:.2f}x PyTorch's time per node at 1 "
                         f"thread (round by round, {bound.low:.2f} - {bound.high:.2f}): the least "
                         f"this design can reach, against the target's 0.5x.")
    section.blocks.append(table(
        ["threads", "framework", "forward per node", "backward per node",
         "forward+backward per node: median (min - max)", f"{OURS} / it: forward",
         f"{OURS} / it: forward+backward"], rows))
    notes.append(f"Per node = time of the whole chain / {DEPTH} (the final sum and the gradient "
                 f"seed are included in the total). Backward per node = median(forward+backward) "
                 f"- median(forward). Ratios round by round; interleaved rounds: "
                 + ", ".join(f"{r} at {t} thread(s)" for t, r in plan) + ".")
    section.blocks.append("\n".join(f"- {n}" for n in notes))
    if target:
        section.targets.append(Target("per node fwd+bwd vs PyTorch", "<= 0.5x PyTorch's time",
                                      f"{target.median:.2f}x ({fmt_speedup(1 / target.median)})",
                                      target.median <= 0.5))
    else:
        section.targets.append(Target("per node fwd+bwd vs PyTorch", "<= 0.5x PyTorch's time",
                                      "PyTorch not installed", None))
    return section
