"""Benchmark 5: memory over 10,000 training steps of the MNIST network (784 -> 10, one layer).

The network of Grokking's chapter 5, trained the way the package's users do: `nn.Linear(784,
10)`, `nn.MSELoss()` against one-hot targets, `optim.SGD`, one random 28 x 28 "image" per
step (a pool of 100, float64). Run in its own process (`python -m benchmarks.loop --steps N`)
under tracemalloc: in each window of steps, the peak and the memory in use at its end.
Flat means: the last window's peak and end within 16 KiB of the first window's, i.e. no
graph, gradient or optimizer state accumulates from step to step.

Then, with the garbage collector disabled for 1,000 more steps, `gc.collect()` counts the
objects that only a collection could free: reference cycles created by the steps.
"""
from __future__ import annotations

import argparse
import gc
import os
import time
import tracemalloc
from typing import Any

import numpy as np

from .harness import Section, Target, fmt_bytes, run_child, send, table

SLACK = 16 * 1024


def train(steps: int, windows: int) -> dict[str, Any]:
    import tinygrad_gd as tg
    from tinygrad_gd import nn, optim

    rng = np.random.default_rng(0)
    images = [tg.Tensor(rng.random((1, 784))) for _ in range(100)]
    targets = [tg.Tensor(np.eye(10)[[rng.integers(10)]]) for _ in range(100)]
    model = nn.Linear(784, 10, seed=0)
    loss_fn = nn.MSELoss()
    opt = optim.SGD(model.parameters(), lr=0.01)

    def step(i: int) -> float:
        opt.zero_grad()
        loss = loss_fn(model(images[i % 100]), targets[i % 100])
        loss.backward()
        opt.step()
        return loss.item()

    step(0)  # first call: lazy imports and caches are not a leak
    per_window = steps // windows
    # filled in place, so that keeping the records allocates nothing during the windows
    records = np.zeros((windows, 4))  # current, peak, rss, loss
    statm = os.open("/proc/self/statm", os.O_RDONLY)  # opened once: open() itself allocates
    page = os.sysconf("SC_PAGE_SIZE")
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    for w in range(windows):
        tracemalloc.reset_peak()
        for i in range(w * per_window, (w + 1) * per_window):
            records[w, 3] = step(i)
        records[w, 0], records[w, 1] = tracemalloc.get_traced_memory()
        records[w, 2] = int(os.pread(statm, 200, 0).split()[1]) * page
    seconds = time.perf_counter() - start
    tracemalloc.stop()
    os.close(statm)
    rows = [{"steps": (w + 1) * per_window, "current": records[w, 0] - base,
             "peak": records[w, 1] - base, "rss": records[w, 2]} for w in range(windows)]

    gc.collect()
    gc.disable()
    for i in range(1000):
        step(i)
    unreachable = gc.collect()
    gc.enable()
    return {"windows": rows, "unreachable_per_1000_steps": unreachable,
            "seconds_traced": seconds, "loss_first_window": records[0, 3],
            "loss_last_window": records[-1, 3]}


def run(quick: bool = False) -> Section:
    steps = 2_000 if quick else 10_000
    section = Section(f"5. Training-loop memory: {steps:,} steps of the MNIST 784 -> 10 network")
    r = run_child("benchmarks.loop", ["--steps", str(steps)])
    section.data = r
    win = r["windows"]
    rows = [[f"{w['steps']:,}", fmt_bytes(w["current"]), fmt_bytes(w["peak"]), fmt_bytes(w["rss"])]
            for w in win]
    section.blocks.append(table(["after step", "traced in use (over the start)",
                                 "traced peak in the window", "process RSS"], rows))
    grow_peak = win[-1]["peak"] - win[0]["peak"]
    grow_now = win[-1]["current"] - win[0]["current"]
    section.blocks.append(
        f"- tracemalloc on (the {steps:,} steps took {r['seconds_traced']:.1f} s under it); "
        f"one sample per step, batch 1, lr 0.01.\n"
        f"- From the first window to the last: peak {fmt_bytes(grow_peak)}, in use "
        f"{fmt_bytes(grow_now)}.\n"
        f"- 1,000 steps with gc disabled left {r['unreachable_per_1000_steps']} objects that only "
        f"a collection frees (reference cycles).")
    flat = abs(grow_peak) <= SLACK and abs(grow_now) <= SLACK
    section.targets.append(Target(
        "training loop memory flat", f"peak and in-use of the last window within "
        f"{fmt_bytes(SLACK)} of the first; no cycles",
        f"peak {fmt_bytes(grow_peak)}, in use {fmt_bytes(grow_now)}; "
        f"{r['unreachable_per_1000_steps']} objects in cycles per 1,000 steps",
        flat and r["unreachable_per_1000_steps"] == 0))
    return section


def main() -> None:
    parser = argparse.ArgumentParser(description="benchmark 5's child process")
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--windows", type=int, default=10)
    args = parser.parse_args()
    send(train(args.steps, args.windows))


if __name__ == "__main__":
    main()
