"""PyTorch's `torch.utils.benchmark` as `tg.utils.benchmark`: `Timer`, which times a
statement, and the `Measurement` it gives, as the torch.func tutorials use them to time
vmap against a loop:

    from tinygrad_gd.utils.benchmark import Timer
    without_vmap = Timer(stmt="compute_sample_grads(data, targets)", globals=globals())
    no_vmap_timing = without_vmap.timeit(100)
    print(no_vmap_timing)               # the statement, its time per run, the runs
    no_vmap_timing.times[0]             # seconds per run

The statement runs through Python's `timeit` (compiled once, run `number` times in a
loop, timed with `time.perf_counter`), as PyTorch's does for Python statements. Not
here: C++ statements (`language="c++"`), Callgrind (`collect_callgrind`), `Compare` and
the Fuzzer. `num_threads` is recorded and shown, as PyTorch's, but NumPy's thread count
is left as it is (PyTorch sets its own intra-op threads for the timing).
"""
from __future__ import annotations

import textwrap
import time
import timeit as _timeit
from typing import Any, Callable

import numpy as np

from ..ops.arguments import integer, number

__all__ = ["Timer", "Measurement"]

_IQR_WARN = 0.1  # an interquartile range above this fraction of the median is warned of


def _source(where: str, name: str, code: Any) -> str:
    """A statement as PyTorch's Timer takes it: a str, dedented, blank edges dropped."""
    if not isinstance(code, str):
        raise ValueError(f"{where}: currently only a `str` {name} is supported, got "
                         f"{type(code).__name__}; write the call as text, e.g. "
                         f"stmt=\"f(x)\", globals={{\"f\": f, \"x\": x}}")
    return textwrap.dedent(code).strip("\n").rstrip()


def _count(where: str, name: str, value: Any) -> int:
    """An int >= 1 (runs, threads)."""
    value = integer(where, name, value)
    if value < 1:
        raise ValueError(f"{where}: {name} must be an int >= 1, got {value}")
    return value


def _unit(seconds: float) -> tuple[str, float]:
    """The unit a time reads best in (ns, us, ms or s) and its size in seconds."""
    for unit, scale in (("ns", 1e-9), ("us", 1e-6), ("ms", 1e-3)):
        if seconds < scale * 1000:
            return unit, scale
    return "s", 1.0


class Measurement:
    """The times of one statement (PyTorch's torch.utils.benchmark Measurement).

    `raw_times` holds the seconds of each measurement, each `number_per_run` runs of the
    statement; `times` the seconds per run of each (raw / number_per_run); `mean`,
    `median` and `iqr` (the interquartile range) are over `times`. The Timer's `stmt`,
    `setup`, `label`, `sub_label`, `description`, `env` and `num_threads` are kept as
    attributes; printing it shows them, the median and the number of runs, as PyTorch's.
    """

    def __init__(self, number_per_run: int, raw_times: list[float], task_spec: "Timer",
                 metadata: dict[str, Any] | None = None) -> None:
        self.number_per_run = number_per_run
        self.raw_times = list(raw_times)
        self.metadata = metadata
        self.task_spec = task_spec  # (PyTorch's: what was timed; here the Timer)
        for name in ("stmt", "setup", "label", "sub_label", "description", "env",
                     "num_threads"):
            setattr(self, name, getattr(task_spec, name))

    @property
    def times(self) -> list[float]:
        """Seconds per run of the statement, one per measurement."""
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def mean(self) -> float:
        """The mean of `times`."""
        return float(np.mean(self.times))

    @property
    def median(self) -> float:
        """The median of `times`."""
        return float(np.median(self.times))

    @property
    def iqr(self) -> float:
        """The interquartile range of `times` (75th less 25th percentile)."""
        low, high = np.quantile(self.times, [0.25, 0.75])
        return float(high - low)

    @property
    def title(self) -> str:
        """The label (else the statement), with ": sub_label" when there is one."""
        head = self.label or (self.stmt if "\n" not in self.stmt
                              else "stmt:\n" + textwrap.indent(self.stmt, "  "))
        return f"{head}: {self.sub_label}" if self.sub_label else head

    @property
    def has_warnings(self) -> bool:
        """Whether the times spread widely (an IQR above 10% of the median, from 4
        measurements on)."""
        return bool(self._warnings())

    def _warnings(self) -> list[str]:
        if len(self.times) < 4 or self.median <= 0 or self.iqr / self.median <= _IQR_WARN:
            return []
        why = ("This suggests significant environmental influence." if self.iqr > self.median
               else "This could indicate system fluctuation.")
        return [f"  WARNING: Interquartile range is {self.iqr / self.median * 100:.1f}% of the "
                f"median measurement.\n           {why}"]

    def __repr__(self) -> str:
        n, threads = len(self.times), self.num_threads
        unit, scale = _unit(self.median)
        lines = [object.__repr__(self), self.title]
        if self.description:
            lines.append(self.description)
        if self.setup not in ("", "pass"):
            lines.append(f"setup: {self.setup}" if "\n" not in self.setup
                         else "setup:\n" + textwrap.indent(self.setup, "  ") + "\n")
        if n > 1:
            low, high = np.quantile(self.times, [0.25, 0.75]) / scale
            lines += [f"  Median: {self.median / scale:.2f} {unit}",
                      f"  IQR:    {self.iqr / scale:.2f} {unit} ({low:.2f} to {high:.2f})",
                      f"  {n} measurements, {self.number_per_run} runs per measurement, "
                      f"{threads} thread{'s' if threads > 1 else ''}"]
        else:
            lines += [f"  {self.median / scale:.2f} {unit}",
                      f"  1 measurement, {self.number_per_run} runs , "
                      f"{threads} thread{'s' if threads > 1 else ''}"]
        return "\n".join(lines + self._warnings())


class Timer:
    """Time a Python statement (PyTorch's torch.utils.benchmark.Timer).

    Args:
        stmt: the statement timed, as text (`"f(x)"`); several lines allowed.
        setup: run once before the timing (`"x = tg.randn(4, 4)"`), as text.
        global_setup: PyTorch's, for C++ statements only: refused here.
        timer: the clock, `time.perf_counter` by default.
        globals: the names the statement and setup read (`globals=globals()`, or a dict);
            a copy is used.
        label: heads the printed Measurement (else the statement does), as PyTorch's.
        sub_label: follows the label (or the statement) after ": ".
        description: a line of its own below them.
        env: kept as an attribute (PyTorch's Compare groups by it).
        num_threads: recorded and shown (an int >= 1); NumPy's threads are not changed.
        language: "python" only.

    `timeit(number)` runs the statement `number` times (after a short warm-up) and
    gives a Measurement of one measurement; `blocked_autorange(min_run_time=0.2)` finds
    a block size (a power of ten of runs) and times blocks until `min_run_time` seconds
    have passed; `adaptive_autorange` times blocks until their spread is small (IQR
    under `threshold` of the median, at least 4 blocks) or `max_run_time` has passed.
    A statement that fails raises its own error (NameError, SyntaxError...).
    """

    def __init__(self, stmt: str = "pass", setup: str = "pass", global_setup: str = "",
                 timer: Callable[[], float] = time.perf_counter,
                 globals: dict[str, Any] | None = None, label: str | None = None,
                 sub_label: str | None = None, description: str | None = None,
                 env: str | None = None, num_threads: int = 1, language: Any = "python"
                 ) -> None:
        if str(getattr(language, "name", language)).lower() not in ("python", "py"):
            raise ValueError(f"Timer: language={language!r} is not supported: tinygrad_gd "
                             f"times Python statements only")
        if global_setup:
            raise ValueError(f"Timer: global_setup is C++ only, got {global_setup!r}; move "
                             f"this code to setup=")
        if globals is not None and not isinstance(globals, dict):
            raise TypeError(f"Timer: globals must be a dict of names (globals()), got "
                            f"{type(globals).__name__}")
        if not callable(timer):
            raise TypeError(f"Timer: timer must be a function returning seconds "
                            f"(time.perf_counter), got {type(timer).__name__}")
        self.stmt, self.setup = _source("Timer", "stmt", stmt), _source("Timer", "setup", setup)
        self.label, self.sub_label, self.description, self.env = (label, sub_label,
                                                                  description, env)
        self.num_threads = _count("Timer", "num_threads", num_threads)
        self._globals = dict(globals or {})
        self._timer = _timeit.Timer(stmt=self.stmt or "pass", setup=self.setup or "pass",
                                    timer=timer, globals=self._globals)

    def _run(self, number: int) -> float:
        """Seconds that `number` runs of the statement took."""
        return self._timer.timeit(number=number)

    def timeit(self, number: int = 1000000) -> Measurement:
        """Run the statement `number` times (after max(number // 100, 2) warm-up runs, as
        PyTorch's) and measure them once: a Measurement with one raw time."""
        number = _count("timeit", "number", number)
        self._run(max(number // 100, 2))
        return Measurement(number, [self._run(number)], self)

    def _block_size(self, min_run_time: float) -> int:
        """Runs per block: a power of ten whose block takes at least min_run_time / 1000
        seconds and 10000 times the clock's own cost (or more than min_run_time)."""
        overhead = float(np.median([self._run(0) for _ in range(5)]))
        runs = 1
        while runs < 10 ** 9:
            took = self._run(runs)
            if took > min_run_time or (took >= min_run_time / 1000 and overhead <= took * 1e-4):
                break
            runs *= 10
        return runs

    def _blocks(self, runs: int, done: Callable[[list[float], float], bool],
                callback: Callable[[int, float], Any] | None) -> Measurement:
        raw, total = [], 0.0
        while True:
            took = self._run(runs)
            raw.append(took)
            total += took
            if callback is not None:
                callback(runs, took)
            if done(raw, total):
                return Measurement(runs, raw, self)

    def blocked_autorange(self, callback: Callable[[int, float], Any] | None = None,
                          min_run_time: float = 0.2) -> Measurement:
        """Time blocks of runs until `min_run_time` seconds have passed (PyTorch's): a
        Measurement of one raw time per block; `callback(number, seconds)` after each."""
        min_run_time = number("blocked_autorange", "min_run_time", min_run_time, 0, strict=True)
        runs = self._block_size(min_run_time)
        return self._blocks(runs, lambda raw, total: total >= min_run_time, callback)

    def adaptive_autorange(self, threshold: float = 0.1, *, min_run_time: float = 0.01,
                           max_run_time: float = 10.0,
                           callback: Callable[[int, float], Any] | None = None) -> Measurement:
        """Time blocks of runs until their IQR is under `threshold` of their median (from 4
        blocks and `min_run_time` seconds on), or `max_run_time` seconds have passed."""
        min_run_time = number("adaptive_autorange", "min_run_time", min_run_time, 0, strict=True)
        max_run_time = number("adaptive_autorange", "max_run_time", max_run_time, 0, strict=True)
        threshold = number("adaptive_autorange", "threshold", threshold, 0, strict=True)
        runs = self._block_size(min_run_time)

        def done(raw: list[float], total: float) -> bool:
            if total >= max_run_time:
                return True
            if len(raw) < 4 or total < min_run_time:
                return False
            low, middle, high = np.quantile(raw, [0.25, 0.5, 0.75])
            return middle > 0 and (high - low) / middle < threshold
        return self._blocks(runs, done, callback)
