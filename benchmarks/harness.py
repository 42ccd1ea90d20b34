"""The measuring method shared by every benchmark, the machine's description and the tables.

Method (these machines are shared and noisy):
- every candidate is warmed up, then timed in batches of calls sized to `batch_s` seconds;
- one round times one batch of every candidate, in an order rotated from round to round,
  so slow phases of the machine hit all candidates alike;
- a figure is the median over rounds of the time per call, with the min-max spread;
- a ratio is taken round by round (ours / reference in the same round), then its median
  and spread are reported: a ratio of medians would mix different moments of the machine.

Also here: thread pinning (`pin_threads`, `thread_env`), a line-oriented JSON protocol for
worker processes (`Worker`, `serve`), memory readings from /proc, and markdown tables.
"""
from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OURS = "tinygrad_gd"

def package(name: str = OURS) -> Any:
    """The package under test by import name, with its `nn` and `optim` loaded.

    Normally `tinygrad_gd`; `against.py` loads an older revision under another name.
    """
    import importlib

    module = importlib.import_module(name)
    for sub in ("nn", "optim"):
        try:
            importlib.import_module(f"{name}.{sub}")
        except ModuleNotFoundError as err:
            if err.name != f"{name}.{sub}":
                raise  # the submodule exists but fails to import: worth seeing
    return module


# ---------------------------------------------------------------------------------------
# Timing


def calibrate(fn: Callable[[], Any], warmup_s: float, batch_s: float) -> int:
    """Warm `fn` up for about `warmup_s` seconds; return how many calls fill `batch_s`."""
    calls, start = 0, time.perf_counter()
    while calls < 3 or time.perf_counter() - start < warmup_s:
        fn()
        calls += 1
    per_call = (time.perf_counter() - start) / calls
    return max(1, round(batch_s / per_call))


def time_batch(fn: Callable[[], Any], calls: int) -> float:
    """Seconds per call, over `calls` back-to-back calls."""
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def interleave(candidates: dict[str, Callable[[], Any]], rounds: int, batch_s: float,
               warmup_s: float) -> dict[str, list[float]]:
    """Seconds per call of each candidate, one sample per round, rounds interleaved."""
    calls = {name: calibrate(fn, warmup_s, batch_s) for name, fn in candidates.items()}
    names = list(candidates)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(time_batch(candidates[name], calls[name]))
    return samples


@dataclass
class Stat:
    """Median and spread of one series of samples."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: list[float]) -> "Stat":
        return cls(statistics.median(values), min(values), max(values))

    def scaled(self, factor: float) -> "Stat":
        return Stat(self.median * factor, self.low * factor, self.high * factor)


def ratios(numerator: list[float], denominator: list[float]) -> list[float]:
    """Round-by-round ratios of two series measured in the same rounds."""
    return [a / b for a, b in zip(numerator, denominator)]


# ---------------------------------------------------------------------------------------
# Formatting


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def fmt_stat_time(stat: Stat) -> str:
    return f"{fmt_time(stat.median)} ({fmt_time(stat.low)} - {fmt_time(stat.high)})"


def fmt_ratio(stat: Stat) -> str:
    return f"{stat.median:.2f}x ({stat.low:.2f} - {stat.high:.2f})"


def fmt_speedup(speedup: float) -> str:
    """A time ratio reference / ours in words: '2.50x faster' or '1.30x slower'."""
    return f"{speedup:.2f}x faster" if speedup >= 1 else f"{1 / speedup:.2f}x slower"


def fmt_bytes(n: float) -> str:
    sign = "-" if n < 0 else ""
    n = abs(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{sign}{n:.0f} {unit}" if unit == "B" else f"{sign}{n:.1f} {unit}"
        n /= 1024
    return f"{sign}{n:.1f} GiB"


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A markdown table (readable as plain text too)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


@dataclass
class Target:
    """One of the issue's targets: what it asks, what was measured, whether it is met."""

    name: str
    goal: str
    measured: str
    met: bool | None  # None: could not be measured (a reference missing)


@dataclass
class Section:
    """One benchmark's output: markdown blocks, its targets and raw numbers for JSON."""

    title: str
    blocks: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def markdown(self) -> str:
        return f"### {self.title}\n\n" + "\n\n".join(self.blocks)


# ---------------------------------------------------------------------------------------
# Threads


def thread_env(threads: int) -> dict[str, str]:
    """Environment for a child process whose BLAS and OpenMP pools have `threads` threads."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return env


@contextmanager
def pin_threads(threads: int) -> Iterator[None]:
    """Limit NumPy's BLAS (threadpoolctl) and, if imported, PyTorch to `threads` threads."""
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(limits=threads):
        if torch is not None:
            torch.set_num_threads(threads)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(before)


# ---------------------------------------------------------------------------------------
# Worker processes: one JSON object per line each way.


class Worker:
    """A child `python -m MODULE ARGS...` answering one JSON line per request line."""

    def __init__(self, module: str, args: list[str], threads: int) -> None:
        self.module = module
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module, *args], cwd=ROOT, env=thread_env(threads),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            code = self.proc.wait()
            raise RuntimeError(f"worker {self.module} exited with code {code} (its error is above)")
        return json.loads(line)

    def request(self, command: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.read()

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait(timeout=60)


def send(obj: dict[str, Any]) -> None:
    """Worker side: one JSON line to the parent."""
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def serve(handlers: dict[str, Callable[[], dict[str, Any]]]) -> None:
    """Worker side: answer each command line from stdin with its handler's JSON, until EOF."""
    for line in sys.stdin:
        command = line.strip()
        if command:
            send(handlers[command]())


def run_child(module: str, args: list[str], threads: int = 1, timeout: float = 600) -> dict[str, Any]:
    """Run `python -m MODULE ARGS` once and return the JSON object it prints last."""
    done = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=thread_env(threads),
                          stdout=subprocess.PIPE, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} exited with code {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------
# Memory readings (Linux)


def _status_kib(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {key}")


def rss_bytes() -> int:
    """Resident set size of this process now."""
    return _status_kib("VmRSS") * 1024


def peak_rss_bytes() -> int:
    """The highest resident set size this process has had."""
    return _status_kib("VmHWM") * 1024


class OtherLoad:
    """How busy other processes (and other virtual machines: steal) kept the CPUs meanwhile.

    /proc/stat's busy time of all CPUs minus this process's and its waited-for children's
    CPU time, as a share of all cores over the wall time: 0% is a quiet machine.
    """

    def __init__(self) -> None:
        self.start = self._readings()

    @staticmethod
    def _readings() -> tuple[float, float, float]:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:9]]
        user, nice, system, _idle, _iowait, irq, softirq, steal = fields
        busy = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
        t = os.times()
        return busy, t.user + t.system + t.children_user + t.children_system, time.perf_counter()

    def share(self) -> float:
        busy, own, wall = (b - a for a, b in zip(self.start, self._readings()))
        return max(0.0, busy - own) / (wall * (os.cpu_count() or 1))


# ---------------------------------------------------------------------------------------
# The machine


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _engine_revision() -> str:
    """The commit measured, and whether the package's files differ from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                              capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "tinygrad_gd"], cwd=ROOT,
                               text=True, capture_output=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    changed = len(dirty.splitlines())
    return f"commit {head}" + (f" + uncommitted changes in {changed} file(s) of tinygrad_gd/"
                               if changed else "")


def machine_info() -> dict[str, Any]:
    """CPU, Python, NumPy and its BLAS, PyTorch and micrograd as found in this process."""
    import numpy as np
    from threadpoolctl import threadpool_info

    blas = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    info: dict[str, Any] = {
        "tinygrad_gd": _engine_revision(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numpy_blas": ", ".join(
            f"{p.get('internal_api')} {p.get('version')} ({p.get('architecture')}, "
            f"{p.get('threading_layer')}), {p.get('num_threads')} threads by default" for p in blas)
        or "none found",
    }
    with open("/proc/loadavg") as f:
        info["loadavg"] = " ".join(f.read().split()[:3])
    try:
        from importlib.metadata import version
        info["micrograd"] = version("micrograd")
    except Exception:  # noqa: BLE001  (any failure means: not installed)
        info["micrograd"] = None
    try:
        import torch
        config = torch.__config__.show()
        blas_name = config.split("BLAS_INFO=", 1)[1].split(",", 1)[0] if "BLAS_INFO=" in config else "?"
        info["torch"] = f"{torch.__version__} (BLAS {blas_name}, {torch.get_num_threads()} threads by default)"
    except ImportError:
        info["torch"] = None
    return info


def machine_markdown(info: dict[str, Any]) -> str:
    rows = [
        ["tinygrad_gd", info["tinygrad_gd"]],
        ["CPU", f"{info['cpu']}, {info['cores']} cores (load average at start: {info['loadavg']})"],
        ["Python", info["python"]],
        ["NumPy", f"{info['numpy']}, BLAS: {info['numpy_blas']}"],
        ["PyTorch", info["torch"] or "not installed (its rows are skipped)"],
        ["micrograd", info["micrograd"] or "not installed (its rows are skipped)"],
    ]
    return table(["measured", "on"], rows)


# ---------------------------------------------------------------------------------------
# Comparing candidates


def summarize(samples: dict[str, list[float]], ours: str) -> dict[str, dict[str, Stat]]:
    """Per candidate: its time per call, and ours / its time taken round by round."""
    out: dict[str, dict[str, Stat]] = {}
    for name, values in samples.items():
        out[name] = {"time": Stat.of(values)}
        if name != ours and ours in samples:
            out[name]["ratio"] = Stat.of(ratios(samples[ours], values))
    return out


def comparison_rows(summary: dict[str, dict[str, Stat]], label: str, unit: float = 1.0,
                    fmt: Callable[[Stat], str] | None = None) -> list[list[str]]:
    """Table rows `label | candidate | time | ours/candidate`; times divided by `unit`."""
    fmt = fmt or fmt_stat_time
    rows = []
    for name, stats in summary.items():
        ratio = stats.get("ratio")
        rows.append([label, name, fmt(stats["time"].scaled(1 / unit)),
                     fmt_ratio(ratio) if ratio else "1 (reference for the ratios)"])
    return rows
