"""The order in which a parallel run hands the test files to its workers.

scripts/test.sh runs the suite with pytest-xdist's `--dist loadfile`: a worker takes a
whole file at a time. xdist hands out the files with the most tests first, so the files
of a few long tests (the fuzzer's thousand graphs, the site's build, the wheel's build)
came last and ran alone while the other workers had nothing left to do. Here the files
that keep a worker longest go first (LONGEST_FIRST), then the others, most tests first as
xdist would have it; inside a file the tests keep their written order. A run without
xdist runs the same tests in this order, which changes nothing but the order.

The `torch64` fixture: PyTorch (the test skipped without it) with float64 as its default
dtype for the test, as this package's, put back after.

And which examples Hypothesis draws: the same ones every run (its "ci" profile: drawn from
a hash of each test, no example database), so a run passes or fails on the code alone,
never on a new random draw. `HYPOTHESIS_PROFILE=explore scripts/test.sh` draws new ones
(run it to look for trouble; a failure prints the example and how to reproduce it).
The fuzzers that build a program from a seed (test_fuzz_round31.py,
test_fuzz_diagrams_round32.py) start at seed 0 under "ci" and at a seed drawn anew under
"explore"; `TINYGRAD_GD_FUZZ_SEED=N` starts them at N under either (FUZZ_SEED). A failed
one is followed by the line that reruns it alone.
"""
from __future__ import annotations

import os
import random
from typing import Any

import pytest
from hypothesis import settings

# (print_blob: the default profile's failure report has no @reproduce_failure line)
settings.register_profile("explore", settings.get_profile("default"), database=None,
                          print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# the first seed of the seeded fuzzers, which read it from the environment; set here, before
# pytest-xdist starts its workers, so that they inherit it and collect the same seeds
FUZZ_SEED = "TINYGRAD_GD_FUZZ_SEED"
if os.environ.get("HYPOTHESIS_PROFILE") == "explore" and FUZZ_SEED not in os.environ:
    os.environ[FUZZ_SEED] = str(random.SystemRandom().randrange(10 ** 9))

# the files that keep a worker longest, longest first (whole-suite runs with --durations)
LONGEST_FIRST = (
    "test_torch_opinfo.py", "test_fuzz.py", "test_ops.py", "test_nn_coverage.py",
    "test_docs.py", "test_second_order.py", "test_port_optim_docs.py", "test_graph.py",
    "test_fuzz_diagrams_round32.py", "test_recurrent_gated.py", "test_torch_edges_second.py",
    "test_cli.py", "test_torch_optiminfo.py", "test_fuzz_round31.py", "test_graph_steps.py",
    "test_transformer_decoder.py", "test_packaging.py", "test_torch_docstring_examples.py",
    "test_port_nn_really.py", "test_diagrams_names_round31.py", "test_torch_edges_forward.py",
    "test_examples.py", "test_second_order_losses.py", "test_tensor.py",
)


def pytest_configure(config: Any) -> None:
    # (xdist's own order, most tests first, would replace the one set below)
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(items: list) -> None:
    files: dict[str, list] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::")[0], []).append(item)

    def first_is_longest(path: str) -> tuple[int, int]:
        name = path.rsplit("/", 1)[-1]
        if name in LONGEST_FIRST:
            return LONGEST_FIRST.index(name), 0
        return len(LONGEST_FIRST), -len(files[path])

    items[:] = [item for path in sorted(files, key=first_is_longest) for item in files[path]]


def pytest_report_header() -> str | None:
    if FUZZ_SEED in os.environ:
        return f"seeded fuzzers start at {FUZZ_SEED}={os.environ[FUZZ_SEED]}"
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    """Under a seeded fuzzer's failure (a test of a module that has FIRST_SEED, given a
    `seed`), the command that reruns that program alone: the fuzzers start at the failing
    seed itself, so that its test id is collected whatever count a variable raised."""
    outcome = yield
    report = outcome.get_result()
    first = getattr(getattr(item, "module", None), "FIRST_SEED", None)
    seed = getattr(item, "callspec", None) and item.callspec.params.get("seed")
    if report.failed and call.when == "call" and first is not None and seed is not None:
        report.sections.append(("seeded fuzzer", f"seed {seed}; rerun it alone: "
                                f"{FUZZ_SEED}={seed} python -m pytest '{item.nodeid}'"))


@pytest.fixture
def torch64():
    torch = pytest.importorskip("torch")
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(default)
