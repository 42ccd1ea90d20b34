"""The working tree's tinygrad_gd against an older revision of it: one process, interleaved rounds.

`bash benchmarks/run.sh --against REV` (REV: a commit, tag or branch). Timings taken minutes
apart on these shared machines can differ by 2x; only rounds interleaved in one process
tell whether an engine change made a step faster. The package imports its own modules
relatively, so `git archive REV tinygrad_gd` unpacked in a temporary folder loads as a
second package, `tinygrad_gd_at_<commit>`, beside the current one. Read-only for the
repository: git archive writes nothing into it.

`--against REV --processes`: each side in its own process instead, the two alternating a few
times, each process keeping its fastest batch per scenario. On a machine where one
process's interleaving misleads (two copies of one revision read 0.66x in the twelfth
round), this is the steadier comparison; it is what rounds 12 to 17 did by hand.

Scenarios, the same code run by each version: the tiny step (benchmark 1), the chain of
100 ops forward+backward (benchmark 2), the 784-128-10 MLP step at batch 64 with nn and with plain ops (benchmark 3),
and forward+backward of a 20,000-op chain (benchmark 4's chain). A scenario the old
revision cannot run (e.g. no nn yet) is skipped with a note.
"""
from __future__ import annotations

import atexit
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from typing import Any, Callable

from .harness import (OURS, ROOT, Section, Stat, calibrate, fmt_ratio, fmt_stat_time, fmt_time,
                      interleave, package, pin_threads, ratios, table, time_batch)

DEEP = 20_000


def load_revision(rev: str, rename: bool = True) -> tuple[str, str, str]:
    """Import tinygrad_gd as it was at `rev`; return its package name, short commit and the
    folder holding it (on sys.path). `rename=False`: unpacked under its own name and not
    imported here (a worker process imports it from the folder)."""
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", f"{rev}^{{commit}}"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.strip()
        archive = subprocess.run(["git", "archive", "--format=tar", sha, OURS], cwd=ROOT,
                                 capture_output=True, check=True).stdout
    except subprocess.CalledProcessError as err:
        raise SystemExit(f"--against {rev}: git cannot give that revision of {OURS}: "
                         f"{(err.stderr or b'').strip()!r}; give a commit, tag or branch of "
                         f"this repository") from None
    folder = tempfile.mkdtemp(prefix="tinygrad_gd_rev_")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    if not rename:
        return OURS, sha, folder
    name = f"{OURS}_at_{sha}"
    os.rename(os.path.join(folder, OURS), os.path.join(folder, name))
    sys.path.insert(0, folder)
    return name, sha, folder


def scenarios(name: str, quick: bool) -> list[tuple[str, Callable[[str], Callable[[], Any]]]]:
    from . import deep, mlp, node, tiny_step

    def deep_chain(pkg: str) -> Callable[[], Any]:
        tg = package(pkg)
        x = tg.Tensor([0.5, 0.5, 0.5], requires_grad=True)

        def step() -> None:
            deep.build(x, DEEP // (4 if quick else 1))[0].sum().backward()
            x.grad = None
        return step

    return [
        ("1. tiny step", lambda pkg: tiny_step.make_ours(pkg)[0]),
        (f"2. chain of {node.DEPTH} ops, forward+backward", lambda pkg: node.make_ours(pkg)[1]),
        ("3. MLP 784-128-10, batch 64, float32", lambda pkg: mlp.make_ours((784, 128, 10), 64, pkg)),
        ("3b. the same, plain ops (x @ w1, relu, @ w2, mean squared error)",
         lambda pkg: mlp.make_plain_ours((784, 128, 10), 64, pkg)),
        (f"4. chain of {DEEP // (4 if quick else 1):,} ops, forward+backward", deep_chain),
    ]


def run(rev: str, quick: bool = False, processes: bool = False) -> Section:
    if processes:
        return run_in_processes(rev, quick)
    name, sha, _ = load_revision(rev)
    section = Section(f"The working tree's {OURS} against {rev} ({sha})")
    rows, notes = [], []
    with pin_threads(1):
        for title, make in scenarios(name, quick):
            try:
                old = make(name)
            except (ImportError, AttributeError, TypeError) as err:
                notes.append(f"{title}: skipped, {sha} cannot run it ({type(err).__name__}: {err}).")
                continue
            samples = interleave({"now": make(OURS), "then": old}, rounds=7 if quick else 15,
                                 batch_s=0.05 if quick else 0.1, warmup_s=0.2 if quick else 0.5)
            rows.append([title, fmt_stat_time(Stat.of(samples["now"])),
                         fmt_stat_time(Stat.of(samples["then"])),
                         fmt_ratio(Stat.of(ratios(samples["now"], samples["then"]))),
                         f"{min(samples['now']) / min(samples['then']):.3f}x"])
    section.blocks.append(table(["scenario", "working tree", f"{sha}", f"working tree / {sha}, "
                                 "round by round (below 1: faster now)",
                                 "fastest round / fastest round"], rows))
    notes.append("The last column compares each side's fastest round: when the machine's "
                 "hypervisor takes CPU time away (steal time, up to a quarter of it on these "
                 "machines), a round escapes it less often than it suffers it, so the fastest "
                 "rounds are the steadier comparison. Two copies of one revision (--against HEAD, "
                 "clean tree) read 1.00x, 1.015x, 1.00x and 1.044x there, the 20,000-op chain "
                 "least steady (a round is one call of it).")
    if notes:
        section.blocks.append("\n".join(f"- {n}" for n in notes))
    return section


def worker(name: str, quick: bool) -> dict[str, float]:
    """One process's turn (`python -m benchmarks.against NAME [--quick]`): the fastest
    batch's seconds per call of each scenario that revision can run."""
    import importlib

    folder = os.path.dirname(os.path.dirname(importlib.import_module(name).__file__))
    assert os.path.realpath(folder) == os.path.realpath(os.getcwd()), \
        f"the worker imported {name} from {folder}, not from its current directory"
    best = {}
    with pin_threads(1):
        for title, make in scenarios(name, quick):
            try:
                step = make(name)
            except (ImportError, AttributeError, TypeError):
                continue  # (the parent notes the scenario missing on that side)
            calls = calibrate(step, 0.2 if quick else 0.5, 0.05 if quick else 0.1)
            best[title] = min(time_batch(step, calls) for _ in range(5 if quick else 9))
    return best


def run_in_processes(rev: str, quick: bool = False) -> Section:
    """The working tree and `rev`, each in its own worker process, alternating."""
    # each side imports the package by its own name (a renamed one would not know its
    # ops as its own), from its folder: first on the worker's path (the current directory)
    name, sha, folder = load_revision(rev, rename=False)
    runs: dict[str, list[dict[str, float]]] = {"now": [], "then": []}
    for turn in range(3 if quick else 5):
        for side in (("now", "then") if turn % 2 == 0 else ("then", "now")):
            path = ROOT if side == "now" else folder
            env = {**os.environ, "PYTHONPATH": os.pathsep.join([path, ROOT])}
            done = subprocess.run([sys.executable, "-m", "benchmarks.against", name]
                                  + (["--quick"] if quick else []), cwd=path, env=env,
                                  capture_output=True, text=True, check=True)
            runs[side].append(json.loads(done.stdout.splitlines()[-1]))
    section = Section(f"The working tree's {OURS} against {rev} ({sha}), each in its own "
                      f"process, {len(runs['now'])} turns each, alternating")
    rows, notes = [], []
    for title, _ in scenarios(name, quick):
        if not all(title in r for r in runs["now"] + runs["then"]):
            notes.append(f"{title}: skipped, one side cannot run it.")
            continue
        now, then = [r[title] for r in runs["now"]], [r[title] for r in runs["then"]]
        pairs = [a / b for a, b in zip(now, then)]
        rows.append([title, fmt_time(min(now)), fmt_time(min(then)),
                     f"{min(now) / min(then):.3f}x", f"{min(pairs):.2f} - {max(pairs):.2f}"])
    section.blocks.append(table(["scenario", "working tree (fastest turn)", f"{sha} (fastest turn)",
                                 f"working tree / {sha} (below 1: faster now)",
                                 "turn by turn"], rows))
    notes.append("Each turn is one process timing every scenario (its fastest batch); the "
                 "sides alternate, so a slow minute of the machine falls on both.")
    section.blocks.append("\n".join(f"- {n}" for n in notes))
    return section


if __name__ == "__main__":
    print(json.dumps(worker(sys.argv[1], "--quick" in sys.argv)))
