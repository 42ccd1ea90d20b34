"""What the docs' prose says, held to what the code does (thirty-third round).

The pages' code blocks and their printed output are run by test_docs.py; these read the
sentences around them: a number or a behaviour stated in prose, and how a product of
numbers is written. Each failed on the round's start, or checks a number no test read.
"""
from __future__ import annotations

import inspect
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import engine, hooks, nn, optim

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
_FENCE = re.compile(r"^```.*?^```[ \t]*$", re.S | re.M)
# an operand, ` x `, an operand: a product written with the letter x (`13 x 2 = 26`)
_X_AS_TIMES = re.compile(r"[\w)\]] x [\w(\[-]")


def _prose(page: Path) -> str:
    """The page without its fenced blocks, where `x` is Python's variable."""
    return _FENCE.sub("", page.read_text())


def _products_written_with_x(text: str) -> list[str]:
    return [code for code in re.findall(r"`([^`\n]+)`", text) if _X_AS_TIMES.search(code)]


def _pages() -> list[Path]:
    return [REPO / "README.md",
            *sorted(p for p in DOCS.rglob("*.md") if "generated" not in p.parts)]


def test_the_check_for_x_as_a_times_sign_finds_it():
    assert _products_written_with_x("so `dy/dx = 13 x 2 = 26`, which") == ["dy/dx = 13 x 2 = 26"]
    assert _products_written_with_x("`upstream x local = gradient`")
    assert not _products_written_with_x("`13 × 2 = 26`, `x * 2`, `3x3`, `x = 3`, `8x + 2`")


@pytest.mark.parametrize("page", _pages(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_a_product_in_the_prose_is_written_with_times_as_the_diagrams_write_it(page):
    # chapter 7's `dy/dx = 13 x 2 = 26` sat beside `x = 3`: the letter reads as the variable
    assert _products_written_with_x(_prose(page)) == []


def _sgd_predictions(steps: int) -> list[float]:
    """getting-started.md's network: the prediction after each of its SGD steps."""
    x, y = tg.Tensor([[8.5, 0.65, 1.2]]), tg.Tensor([[1.0]])
    model = nn.Linear(3, 1, bias=False, init="zeros")
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    predictions = []
    for _ in range(steps):
        optimizer.zero_grad()
        nn.MSELoss()(model(x), y).backward()
        optimizer.step()
        predictions.append(model(x).item())
    return predictions


def test_getting_started_states_the_overshoot_its_network_makes():
    prose = _prose(DOCS / "getting-started.md")
    stated = re.search(r"swings past 1 and back\s+\(([-\d.,\s]+), \.\.\.\)", prose)
    assert stated, "getting-started.md no longer lists the predictions it overshoots through"
    numbers = [float(n) for n in stated[1].split(",")]
    run = _sgd_predictions(len(numbers))
    assert [round(p, 2) for p in run] == numbers
    # the slope the page gives, 2 * (prediction - 1) times the input, as the oracle
    x, w, oracle = np.array([8.5, 0.65, 1.2]), np.zeros(3), []
    for _ in numbers:
        w = w - 0.01 * 2 * (x @ w - 1) * x
        oracle.append(x @ w)
    np.testing.assert_allclose(run, oracle, rtol=1e-12)


def test_chapter_2_says_where_an_uncleared_gradient_is_told():
    prose = _prose(DOCS / "tutorial" / "2-several-inputs.md")
    stated = re.search(r"weight_deltas come\s+out (-[\d.]+) instead of (-[\d.]+), and reading "
                       r"that `\.grad` warns", prose)
    assert stated, "chapter 2 no longer says what an uncleared .grad gives and when it warns"
    uncleared, cleared = float(stated[1]), float(stated[2])
    x = np.array([8.5, 0.65, 1.2])
    weights = tg.Tensor([0.1, 0.2, -0.1], requires_grad=True)
    for step in range(2):  # the book's loop without `weights.grad = None`
        pred = (tg.Tensor(x) * weights).sum()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # backward() itself says nothing
            (0.5 * (pred - 1) ** 2).backward()
        if step == 0:
            first = weights.grad.data.copy()
            weights.data -= 0.01 * weights.grad.data
    with pytest.warns(UserWarning, match="from before and after an update"):
        mixed = weights.grad.data
    delta = x @ (np.array([0.1, 0.2, -0.1]) - 0.01 * first) - 1  # NumPy: the book's delta
    np.testing.assert_allclose(mixed[0], first[0] + delta * x[0], rtol=1e-12)
    assert round(mixed[0], 3) == uncleared and round(delta * x[0], 3) == cleared


def test_the_engine_page_says_which_function_writes_grad_and_the_pass_writes_none():
    prose = _prose(DOCS / "concepts" / "engine.md")
    assert "The pass writes no `.grad` itself" in prose
    named = re.search(r"`Tensor\.backward` .{0,40}hands the pass to `hooks\.(\w+)`", prose, re.S)
    assert named, "engine.md no longer says where Tensor.backward's gradients are written"
    writer = getattr(hooks, named[1])
    w = tg.Tensor([0.1, 0.2, -0.1], requires_grad=True)
    loss = 0.5 * (tg.Tensor([8.5, 0.65, 1.2]) @ w - 1) ** 2
    steps = list(engine.backward(loss, np.ones(()), retain_graph=True))
    assert w.grad is None and steps[-1][0] is w  # the pass yields w's gradient, writes none
    writer(loss, np.ones(()), False)
    np.testing.assert_allclose(w.grad.data, steps[-1][1])
    # and the code the page includes beside that sentence calls it
    assert f"hooks.{named[1]}(" in inspect.getsource(tg.Tensor.backward)


def test_the_readme_quick_start_comments_are_its_first_step():
    block = re.search(r"## Quick start\s+```python\n(.*?)```", (REPO / "README.md").read_text(),
                      re.S)[1]
    pred_said = float(re.search(r"# ([\d.]+) on the first step", block)[1])
    grad_said = [float(v) for v in re.search(r"# w\.grad: \[([^\]]+)\]", block)[1].split(",")]
    namespace: dict = {}
    exec(block.replace("range(3)", "range(1)"), namespace)  # the first step only
    pred, w = namespace["pred"], namespace["w"]
    assert round(pred.item(), 2) == pred_said
    x, w0 = np.array([8.5, 0.65, 1.2]), np.array([0.1, 0.2, -0.1])
    grad = (x @ w0 - 1) * x  # the half squared error's gradient, by NumPy
    np.testing.assert_allclose(w.data, w0 - 0.01 * grad, rtol=1e-12)
    assert [float(f"{g:.3g}") for g in grad] == grad_said  # three significant digits
