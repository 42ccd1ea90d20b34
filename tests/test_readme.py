"""The README's Python code runs as written and shows what it says."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

import tinygrad_gd as tg
import tinygrad_gd.engine

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_code_runs_and_quick_start_learns():
    blocks = python_blocks()
    assert len(blocks) >= 2
    namespace: dict = {"__name__": "readme"}
    exec(blocks[0], namespace)  # the quick start: 3 steps of the multi-input network
    w = namespace["w"].data
    expected = np.array([0.1, 0.2, -0.1])
    x = np.array([8.5, 0.65, 1.2])
    for _ in range(3):  # the book's update, as the oracle
        expected = expected - 0.01 * (x @ expected - 1) * x
    np.testing.assert_allclose(w, expected, atol=1e-12)
    try:
        for block in blocks[1:]:
            exec(block, namespace)
        assert tg.registered_ops()["cube"] is namespace["Cube"]
    finally:
        tinygrad_gd.registry._registry.pop("cube", None)


def test_the_commands_at_the_top_exist_and_set_themselves_up():
    """demo, test, docs and notebooks: each a script that sources the shared setup."""
    text = README.read_text()
    top = text[:text.index("## Quick start")]
    commands = re.findall(r"^bash (scripts/\w+\.sh)", top, flags=re.M)
    assert commands == ["scripts/demo.sh", "scripts/test.sh", "scripts/docs.sh",
                        "scripts/notebooks.sh"]
    for command in commands:
        script = README.parent / command
        assert 'source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"' in script.read_text(), command
    assert "jupyter lab notebooks/" in top and "bash scripts/docs.sh build" in top


def test_the_op_count_is_the_registrys():
    stated = int(re.search(r"Ops \((\d+) registered", README.read_text()).group(1))
    assert stated == sum(1 for op in tg.registered_ops().values()
                         if op.__module__.startswith("tinygrad_gd."))


def test_the_module_table_names_every_module_of_the_package():
    """Each module (subpackages as one) is in the README's table, in a first cell such as
    "`tinygrad_gd.cli`, `cli_arguments`": a module added without a row is caught."""
    package = README.parent / "tinygrad_gd"
    modules = {p.stem for p in package.glob("*.py") if p.stem not in ("__init__", "__main__")}
    modules |= {p.parent.name for p in package.glob("*/__init__.py")}
    rows = re.findall(r"^\| (`tinygrad_gd\.[^|]*)\|", README.read_text(), flags=re.M)
    listed = {name.removeprefix("tinygrad_gd.") for row in rows
              for name in re.findall(r"`([\w.]+)`", row)}
    assert modules - listed == set()
