"""What each guarantee costs: five benchmark steps, each with one guarantee switched off.

The engine keeps four guarantees that cost time on every op, node or update, and the
issue that made it readable says to report the figure where a guarantee is the price of
speed. Each is switched off here in turn, for the measurement only (this process, by
replacing attributes; the files are untouched), and the step is timed against the
complete engine, interleaved round by round:

- the in-place check: the `VersionCheck` extension (versions.py) taken out of
  `engine.extensions`, so no node notes the write clock and no backward compares it;
- counted writes through `.data`: `Tensor.data` hands out the tensor's own array instead
  of a `TrackedArray` view that is read-only to NumPy's C code (tracked.py);
- one-line errors at the call: each op's Tensor methods call `op.apply` directly instead
  of going through `op_errors.calling` (which restates a bad argument as one line naming
  the method) and the op's `call` (which checks arguments);
- each `.grad` its own array: a leaf's gradient is copied into `.grad` (an op may hand
  one array to several inputs, `x + x` or `a + b`), so writing into one `.grad` never
  changes another; switched off, `.grad` takes the pass's array as it is (not laid out);

and then all four at once. What is left after that is the plain engine itself: `apply`,
the sort, the pass and each op's NumPy work. The bare tape of benchmarks/tape.py (in
benchmark 1's table) is the bound below that.
"""
from __future__ import annotations

from contextlib import ExitStack, contextmanager
from typing import Any, Callable, Iterator

from .harness import (OURS, Section, Stat, calibrate, fmt_ratio, fmt_stat_time, package,
                      pin_threads, ratios, table, time_batch)


@contextmanager
def without_inplace_check() -> Iterator[None]:
    from tinygrad_gd import engine, versions

    switched_on = engine.extensions
    for check in [e for e in switched_on if isinstance(e, versions.VersionCheck)]:
        engine.switch(check, on=False)
    try:
        yield
    finally:
        engine.extensions = switched_on  # as it was, in its order


@contextmanager
def without_counted_writes() -> Iterator[None]:
    from tinygrad_gd.tensor import Tensor

    original = Tensor.__dict__["data"]

    def get(self: Any) -> Any:
        return self._data

    def put(self: Any, value: Any) -> None:
        if value is not self._data:
            self._data[...] = value

    Tensor.data = property(get, put)
    try:
        yield
    finally:
        Tensor.data = original


@contextmanager
def without_call_checks() -> Iterator[None]:
    import tinygrad_gd as tg
    from tinygrad_gd.tensor import Tensor

    replaced = []
    for op in tg.registered_ops().values():
        for name, swapped in [(n, False) for n in op.methods] + [(n, True) for n in op.reflected]:
            replaced.append((name, Tensor.__dict__[name]))
            setattr(Tensor, name, _direct(op.apply, swapped))
    try:
        yield
    finally:
        for name, method in reversed(replaced):
            setattr(Tensor, name, method)


def _direct(apply: Callable, swapped: bool) -> Callable:
    if swapped:
        return lambda self, other: apply(other, self)
    return lambda self, *args, **kwargs: apply(self, *args, **kwargs)


@contextmanager
def without_grad_copies() -> Iterator[None]:
    from tinygrad_gd import hooks
    from tinygrad_gd.tensor import Tensor

    original = hooks._accumulated

    def adopt(tensor: Any, grad: Any) -> None:
        tensor._grad = Tensor.from_op(grad, None) if tensor._grad is None else \
            Tensor.from_op(tensor._grad._data + grad, None)

    hooks._accumulated = adopt
    try:
        yield
    finally:
        hooks._accumulated = original


SWITCHES: list[tuple[str, list[Callable[[], Any]]]] = [
    ("complete engine", []),
    ("without the in-place check", [without_inplace_check]),
    ("without counted writes through .data", [without_counted_writes]),
    ("without one-line errors at the call", [without_call_checks]),
    ("without a copy of each leaf's gradient", [without_grad_copies]),
    ("without all four", [without_inplace_check, without_counted_writes, without_call_checks,
                          without_grad_copies]),
]


def scenarios() -> list[tuple[str, Callable[[], Any]]]:
    from . import mlp, node, tiny_step

    return [("1. tiny step", tiny_step.make_ours()[0]),
            (f"2. chain of {node.DEPTH} ops, forward+backward", node.make_ours()[1]),
            ("3. MLP 784-128-10, batch 64, float32", mlp.make_ours((784, 128, 10), 64)),
            ("3b. the same, plain ops", mlp.make_plain_ours((784, 128, 10), 64)),
            ("3c. MLP 784-1024-1024-10, batch 256, float32",
             mlp.make_ours((784, 1024, 1024, 10), 256))]


def measure(step: Callable[[], Any], rounds: int, batch_s: float) -> dict[str, list[float]]:
    """Seconds per step under each switch, one sample per round, rounds interleaved."""
    calls = calibrate(step, 0.2, batch_s)
    samples: dict[str, list[float]] = {label: [] for label, _ in SWITCHES}
    for r in range(rounds):
        shift = r % len(SWITCHES)
        for label, switches in SWITCHES[shift:] + SWITCHES[:shift]:
            with ExitStack() as stack:
                for switch in switches:
                    stack.enter_context(switch())
                step()  # one call outside the timing: caches settle after a switch
                samples[label].append(time_batch(step, calls))
    return samples


def run(quick: bool = False) -> Section:
    package(OURS)
    section = Section("What each guarantee costs (1 thread)")
    rows = []
    with pin_threads(1):
        for title, step in scenarios():
            samples = measure(step, rounds=7 if quick else 15, batch_s=0.05 if quick else 0.1)
            whole = Stat.of(samples["complete engine"])
            for label, _ in SWITCHES:
                stat = Stat.of(samples[label])
                if label == "complete engine":
                    rows.append([title, label, fmt_stat_time(stat), "1", "-"])
                    continue
                ratio = Stat.of(ratios(samples[label], samples["complete engine"]))
                saved = whole.median - stat.median
                rows.append([title, label, fmt_stat_time(stat), fmt_ratio(ratio),
                             f"{saved * 1e6:.1f} µs ({saved / whole.median:.0%})"])
    section.blocks.append(table(["scenario", "engine", "time per step", "this / complete, "
                                 "round by round", "the guarantee's cost per step"], rows))
    section.blocks.append(
        "- Each switch replaces attributes in this process for the measurement only. With a "
        "guarantee off the step is not safe: an in-place write is missed, a bad argument "
        "gives NumPy's message, or two `.grad`s share memory. The figures are what the guarantees cost, not an option.")
    return section
