"""Where tinygrad_gd spends its time in each benchmark's scenario: cProfile, top functions.

For each scenario the table lists the functions with the most time spent in their own
code (tottime), as a share of the profiled total, with their calls per step and their
cumulative share (own code plus what they call). cProfile's own cost per call inflates
Python-heavy code; read the shares as a ranking, the benchmarks' tables as the times.

cProfile does not see inside NumPy's ufuncs (a matmul's time counts as its caller's own),
so the MLP scenarios get a second table: wall time per op kind, forward and backward,
and per engine helper, from timers wrapped around every registered op's forward and
backward and around the engine's helpers `hooks._accumulated` (storing a leaf's
gradient) and `engine._fit` (a gradient brought to its input's shape) for the duration of
the measurement (in this process only; the files are untouched).
BLAS pinned to one thread, as in the headline figures.
"""
from __future__ import annotations

import cProfile
import os
import pstats
import time
from collections import defaultdict
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from .harness import Section, pin_threads, table

TOP = 12


def _short(func: tuple[str, int, str]) -> str:
    filename, line, name = func
    if filename == "~":
        return name  # a built-in: "{method 'sum' of 'numpy.ndarray' objects}"
    parts = filename.split(os.sep)
    for anchor in ("tinygrad_gd", "benchmarks", "numpy"):
        if anchor in parts:
            filename = "/".join(parts[len(parts) - 1 - parts[::-1].index(anchor):])
            break
    else:
        filename = parts[-1]
    return f"{filename}:{line} {name}"


def profile(fn: Callable[[], Any], calls: int) -> tuple[float, list[list[str]]]:
    """Profile `calls` calls of fn; return the total seconds and the top rows."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        fn()
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    entries = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:TOP]
    rows = []
    for func, (_, ncalls, tottime, cumtime, _) in entries:
        name = _short(func).replace("|", "\\|")
        rows.append([f"`{name}`", f"{ncalls / calls:g}", f"{tottime / total:.1%}",
                     f"{cumtime / total:.1%}"])
    return total, rows


@contextmanager
def op_timers(totals: dict[str, float], counts: dict[str, int]) -> Iterator[None]:
    """Time every registered op's forward and backward, and the engine's gradient helpers."""
    import tinygrad_gd as tg
    from tinygrad_gd import engine, hooks

    def timed(key: str, fn: Callable) -> Callable:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                totals[key] += time.perf_counter() - start
                counts[key] += 1
        return wrapper

    patched: list[tuple[Any, str, Any, bool]] = []  # (owner, attribute, original, own attribute?)

    def patch(owner: Any, attr: str, key: str) -> None:
        original = getattr(owner, attr, None)
        if original is None:
            return  # a helper the engine no longer has: nothing to time
        patched.append((owner, attr, original, attr in vars(owner)))
        setattr(owner, attr, timed(key, original))

    for name, cls in tg.registered_ops().items():
        patch(cls, "forward", f"op {name}: forward")
        patch(cls, "backward", f"op {name}: backward")
    patch(hooks, "_accumulated", "engine hooks._accumulated")
    patch(engine, "_fit", "engine _fit")
    try:
        yield
    finally:
        for owner, attr, original, own in reversed(patched):
            if own:
                setattr(owner, attr, original)
            else:
                delattr(owner, attr)


def breakdown(fn: Callable[[], Any], calls: int) -> list[list[str]]:
    """Wall time per step of each op kind and engine helper, as a share of the step."""
    totals: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    with op_timers(totals, counts):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        step = (time.perf_counter() - start) / calls
    rows = []
    for key, total in sorted(totals.items(), key=lambda kv: -kv[1])[:TOP]:
        rows.append([key, f"{counts[key] / calls:g}", f"{total / calls * 1e3:.3f} ms",
                     f"{total / calls / step:.1%}"])
    rows.append(["whole step (timers included)", "1", f"{step * 1e3:.3f} ms", "100%"])
    return rows


def scenarios(quick: bool) -> list[tuple[str, Callable[[], Any], int]]:
    from . import deep, mlp, node, tiny_step

    tiny, _ = tiny_step.make_ours()
    _, chain_step, _ = node.make_ours()
    small = mlp.make_ours((784, 128, 10), 64)
    large = mlp.make_ours((784, 1024, 1024, 10), 256)
    import numpy as np

    import tinygrad_gd as tg

    x = tg.Tensor(np.full(3, 0.5), requires_grad=True)
    depth = 20_000 if quick else 100_000
    graphs: list[Any] = []

    def deep_backward() -> None:  # only the backward pass is profiled: the graph is built outside
        graphs.pop().backward()
        x.grad = None

    def prepare_deep() -> Callable[[], None]:
        graphs.append(deep.build(x, depth)[0].sum())
        return deep_backward

    scale = 5 if quick else 1
    return [
        ("1. tiny step", tiny, 20_000 // scale),
        (f"2. chain of {node.DEPTH} ops, forward+backward", chain_step, 1_000 // scale),
        ("3. MLP 784-128-10, batch 64, float32", small, 300 // scale),
        ("3. MLP 784-1024-1024-10, batch 256, float32", large, 20 // scale),
        (f"4. backward of a {depth:,}-op chain", prepare_deep, 1),
    ]


def run(quick: bool = False) -> Section:
    section = Section("Profiles of tinygrad_gd (cProfile, top functions by own time)")
    section.blocks.append(
        "Shares of the profiled total; 'calls per step' is per training step (per backward "
        "for the deep chain). cProfile inflates Python-heavy code: a ranking, not timings.")
    with pin_threads(1):
        for title, fn, calls in scenarios(quick):
            if title.startswith("4."):
                fn = fn()  # build the graph unprofiled, then profile its backward alone
            total, rows = profile(fn, calls)
            section.blocks.append(f"**{title}** ({calls:,} calls, {total:.2f} s profiled)\n\n" +
                                  table(["function", "calls per step", "own time", "cumulative"], rows))
            if "MLP" in title:
                section.blocks.append(
                    f"**{title}: wall time per op kind** (timers, {calls:,} steps)\n\n" +
                    table(["op or helper", "calls per step", "time per step", "share of the step"],
                          breakdown(fn, calls)))
    return section
