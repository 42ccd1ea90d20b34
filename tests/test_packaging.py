"""The package as `pip install .` ships it: a wheel built from this tree holds every
module, the examples and the admissions data, and `import tinygrad_gd` works from it
alone (an editable install, which the scripts make, maps the whole folder and would hide
a module left out)."""
from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    source = tmp_path_factory.mktemp("source")  # a copy: no build/ left in the tree, or reused
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("tinygrad_gd", "examples"):
        shutil.copytree(ROOT / name, source / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "-q", "-w", str(out), str(source)],
                           capture_output=True, text=True, timeout=300)
    if built.returncode != 0:
        pytest.skip(f"pip could not build a wheel here: {built.stderr.strip()[-300:]}")
    (found,) = out.glob("tinygrad_gd-*.whl")
    return found


def test_the_wheel_holds_every_module_example_and_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"tinygrad_gd/{p.relative_to(ROOT / 'tinygrad_gd').as_posix()}"
                for p in (ROOT / "tinygrad_gd").rglob("*")
                if p.is_file() and "__pycache__" not in p.parts}
    expected |= {f"tinygrad_gd/examples/{p.name}" for p in (ROOT / "examples").glob("*.py")}
    assert expected - names == set()


def test_tinygrad_gd_imports_and_trains_from_the_wheel_alone(wheel, tmp_path):
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")
    # -S: no site-packages hooks, so the editable install's finder cannot answer; NumPy
    # and graphviz come from the environment's site-packages, put after the wheel's files
    code = ("import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]\n"
            "import tinygrad_gd as tg, tinygrad_gd.cli\n"
            "assert tg.__file__.startswith(sys.argv[1]), tg.__file__\n"
            "w = tg.Tensor([0.1, 0.2, -0.1], requires_grad=True)\n"
            "((tg.Tensor([8.5, 0.65, 1.2]) @ w - 1) ** 2).backward()\n"
            "print(tg.nn.Linear(2, 1).weight.shape, w.grad.shape,\n"
            "      len(tg.datasets.load_admissions()[0]))\n")
    ran = subprocess.run([sys.executable, "-S", "-c", code, str(tmp_path / "site"),
                          sysconfig.get_paths()["purelib"]],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["(1,", "2)", "(3,)", "360"]
