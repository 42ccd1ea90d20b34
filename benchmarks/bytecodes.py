"""Benchmark 7: Python bytecodes per training step, counted without a clock.

Timings on these shared machines move by 2x from one minute to the next; the number of
Python bytecodes a step executes does not, so a few tenths of a microsecond added per op
(the creep the eighteenth and twenty-ninth rounds found, round by round inside each
round's noise) shows here as a plain count. Counted with `sys.settrace` opcode events, one
step after a few untraced ones, split by phase: `zero_grad`, `forward` (the model and the
loss), `backward`, `step` (the update). NumPy's C work is not counted: at the sizes below
it is next to nothing, so the count is the framework's own work per step.

Scenarios, code every revision since the sixth round runs:

    tiny      benchmark 1's step: x @ w, 0.5 * (pred - 1) ** 2, backward, w.data -= ...
    nn        benchmark 3's step at 4-3-2, batch 2: nn.Sequential(Linear, ReLU, Linear),
              CrossEntropyLoss, optim.SGD
    plain     benchmark 3b's step at 4-3-2, batch 2: relu(x @ w1) @ w2, mean squared error

    python -m benchmarks --only bytecodes          the counts of the working tree
    python -m benchmarks.bytecodes --against REV   the working tree's and REV's side by
                                                   side, and the functions that differ most
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
from typing import Any, Callable

import numpy as np

from .harness import OURS, ROOT, Section, package, table

PHASES = ("zero_grad", "forward", "backward", "step")
WARMUP = 5


def _steps(tg: Any) -> dict[str, dict[str, Callable[[], Any]]]:
    """Each scenario's phases, as functions called in order (`forward` returns the loss)."""
    rng = np.random.default_rng(0)
    x3, w3 = tg.Tensor([8.5, 0.65, 1.2]), tg.Tensor([0.1, 0.2, -0.1], requires_grad=True)

    def tiny_update() -> None:
        with tg.no_grad():
            w3.data -= 0.01 * w3.grad.data
        w3.grad = None

    model = tg.nn.Sequential(tg.nn.Linear(4, 3), tg.nn.ReLU(), tg.nn.Linear(3, 2))
    x, labels = tg.Tensor(rng.standard_normal((2, 4))), np.array([0, 1])
    loss_fn, opt = tg.nn.CrossEntropyLoss(), tg.optim.SGD(model.parameters(), lr=0.01)
    w1 = tg.Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w2 = tg.Tensor(rng.standard_normal((3, 2)), requires_grad=True)
    one_hot, plain_opt = tg.Tensor(np.eye(2)), tg.optim.SGD([w1, w2], lr=0.01)
    return {
        "tiny": {"zero_grad": lambda: None, "forward": lambda: 0.5 * (x3 @ w3 - 1) ** 2,
                 "step": tiny_update},
        "nn": {"zero_grad": opt.zero_grad, "forward": lambda: loss_fn(model(x), labels),
               "step": opt.step},
        "plain": {"zero_grad": plain_opt.zero_grad,
                  "forward": lambda: (((x @ w1).relu() @ w2 - one_hot) ** 2).mean(),
                  "step": plain_opt.step},
    }


def _where(filename: str) -> str:
    """A code object's file as a short name the same for every revision's folder."""
    parts = filename.replace(os.sep, "/").split("/")
    if OURS in parts:  # (the last: a revision unpacked under /tmp/tinygrad_gd_rev_*/)
        return "/".join(parts[len(parts) - parts[::-1].index(OURS) - 1:])
    return parts[-1]


def count(tg: Any) -> dict[str, Any]:
    """{scenario: {"phases": {phase: bytecodes}, "functions": {"phase file:function": n}}}."""
    result = {}
    for scenario, phases in _steps(tg).items():
        def one_step(run: Callable[[str, Callable[[], Any]], Any]) -> None:
            run("zero_grad", phases["zero_grad"])
            loss = run("forward", phases["forward"])
            run("backward", loss.backward)
            run("step", phases["step"])

        for _ in range(WARMUP):
            one_step(lambda phase, fn: fn())
        counts: collections.Counter = collections.Counter()

        def traced(phase: str, fn: Callable[[], Any]) -> Any:
            def tracer(frame: Any, event: str, arg: Any) -> Any:
                frame.f_trace_opcodes = True
                if event == "opcode":
                    code = frame.f_code
                    counts[f"{phase} {_where(code.co_filename)}:{code.co_name}"] += 1
                return tracer
            sys.settrace(tracer)
            try:
                return fn()
            finally:
                sys.settrace(None)

        one_step(traced)
        totals = {phase: sum(n for key, n in counts.items() if key.startswith(phase + " "))
                  for phase in PHASES}
        result[scenario] = {"phases": totals, "functions": dict(counts)}
    return result


def _phase_rows(now: dict[str, Any], then: dict[str, Any] | None = None) -> list[list[str]]:
    rows = []
    for scenario, data in now.items():
        for phase in (*PHASES, "whole step"):
            n = (sum(data["phases"].values()) if phase == "whole step"
                 else data["phases"][phase])
            row = [scenario, phase, f"{n:,}"]
            if then is not None:
                old = (sum(then[scenario]["phases"].values()) if phase == "whole step"
                       else then[scenario]["phases"][phase])
                row += [f"{old:,}", f"{n / old:.2f}x" if old else "-"]
            rows.append(row)
    return rows


def run(quick: bool = False) -> Section:
    """`python -m benchmarks --only bytecodes`: the working tree's counts."""
    section = Section("Python bytecodes per step (no clock)")
    section.blocks.append(table(["scenario", "phase", "bytecodes"], _phase_rows(
        count(package(OURS)))))
    section.blocks.append("- `python -m benchmarks.bytecodes --against REV` compares a "
                          "revision, function by function.")
    return section


def against(rev: str, top: int) -> str:
    """The working tree's counts beside `rev`'s (counted in a process of its own)."""
    from .against import load_revision

    name, sha, folder = load_revision(rev, rename=False)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([folder, ROOT])}
    done = subprocess.run([sys.executable, "-m", "benchmarks.bytecodes", "--worker"],
                          cwd=folder, env=env, capture_output=True, text=True, check=True)
    then, now = json.loads(done.stdout.splitlines()[-1]), count(package(OURS))
    parts = [table(["scenario", "phase", "working tree", sha, f"working tree / {sha}"],
                   _phase_rows(now, then))]
    for scenario in now:
        new, old = now[scenario]["functions"], then[scenario]["functions"]
        moved = sorted(set(new) | set(old), key=lambda k: -abs(new.get(k, 0) - old.get(k, 0)))
        rows = [[key, f"{old.get(key, 0):,}", f"{new.get(key, 0):,}",
                 f"{new.get(key, 0) - old.get(key, 0):+,}"] for key in moved[:top]
                if new.get(key, 0) != old.get(key, 0)]
        parts.append(f"{scenario}: the {len(rows)} functions that moved most\n\n"
                     + table(["phase file:function", sha, "working tree", "difference"], rows))
    return "\n\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bytecodes", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", metavar="REV", help="compare with git revision REV")
    parser.add_argument("--top", type=int, default=15, help="functions listed per scenario")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:  # (a revision's side: the tinygrad_gd first on the path is that one)
        print(json.dumps(count(package(OURS))))
    elif args.against:
        print(against(args.against, args.top))
    else:
        print(run().markdown())


if __name__ == "__main__":
    main()
