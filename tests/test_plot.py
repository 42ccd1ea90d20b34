"""Tests of `tinygrad_gd.plot`: the pictures' data, the files written, the errors.

The data functions are checked against what the documents say the pictures show (the
curve's bottom where the error is 0, the tangent's slope equal to backward()'s
gradient, the training path going downhill, each output's weights as a 28x28 image
with their signs); the drawing functions by the data they put in the figure and the
file they write, not by pixels.
"""
from __future__ import annotations

import struct
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn, optim, plot
from tinygrad_gd.examples import freeze_weight, multi_input

INPUT = [8.5, 0.65, 1.2]  # Grokking ch. 5: toes, wlrec, nfans of the first game
WEIGHTS = [0.1, 0.2, -0.1]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def book_loss(weights: tg.Tensor) -> tg.Tensor:
    """multi_input's loss, 0.5 * (pred - true)**2, as a function of the weights."""
    return nn.HalfSSELoss()(multi_input.neural_network(tg.Tensor(INPUT), weights),
                            tg.Tensor(1.0))


needs_matplotlib = pytest.mark.skipif(plot.available() is not None,
                                      reason="matplotlib is not installed")


# ---------------------------------------------------------------------------------------
# Importing the package never imports matplotlib


def test_import_does_not_load_matplotlib():
    code = ("import sys, tinygrad_gd, tinygrad_gd.plot, tinygrad_gd.cli; "
            "print('matplotlib' in sys.modules)")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "False"


def test_without_matplotlib_data_works_and_drawing_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    data = plot.error_curve_data(book_loss, WEIGHTS, 0, num=5)
    assert data["slope"] == pytest.approx(-1.19, abs=1e-12)
    assert "tinygrad_gd[plot]" in plot.available()
    with pytest.raises(ModuleNotFoundError,
                       match=r'error_curves.*pip install "tinygrad_gd\[plot\]"'):
        plot.error_curves(book_loss, {"start": WEIGHTS})
    with pytest.raises(ModuleNotFoundError, match="weight_images.*matplotlib"):
        plot.weight_images(np.zeros((2, 4)), shape=(2, 2))


# ---------------------------------------------------------------------------------------
# Error curves


def test_curve_slope_is_the_gradient_from_backward():
    # the gradient a training step computes with backward()
    weights = nn.Parameter(WEIGHTS)
    book_loss(weights).backward()
    for index in range(3):
        data = plot.error_curve_data(book_loss, WEIGHTS, index)
        assert data["slope"] == weights.grad.numpy()[index]
        # the book's weight_delta: delta (pred - true = -0.14) times the weight's input
        assert data["slope"] == pytest.approx(-0.14 * INPUT[index], abs=1e-12)
        assert data["weight"] == WEIGHTS[index]
        assert data["error"] == pytest.approx(0.5 * 0.14 ** 2, abs=1e-15)


def test_tangent_touches_the_curve_at_the_weight():
    data = plot.error_curve_data(book_loss, WEIGHTS, 0, span=0.2, num=101)
    middle = 50
    assert data["values"][middle] == data["weight"]
    assert data["errors"][middle] == pytest.approx(data["error"], abs=1e-15)
    assert data["tangent"][middle] == data["error"]
    # a central difference is exact for the quadratic error: the curve's own slope
    step = data["values"][middle + 1] - data["values"][middle - 1]
    slope = (data["errors"][middle + 1] - data["errors"][middle - 1]) / step
    assert slope == pytest.approx(data["slope"], rel=1e-9)
    assert np.allclose(data["tangent"], data["error"] + data["slope"]
                       * (data["values"] - data["weight"]))
    # the tangent lies below the convex curve everywhere
    assert (data["errors"] >= data["tangent"] - 1e-12).all()


@pytest.mark.parametrize("index", [0, 1, 2])
def test_curve_bottom_is_where_the_error_is_zero(index):
    data = plot.error_curve_data(book_loss, WEIGHTS, index, span=0.5, num=201)
    # pred = 0.86 + input * (w - w0) reaches the true 1 at w0 + 0.14 / input
    bottom = WEIGHTS[index] + 0.14 / INPUT[index]
    step = data["values"][1] - data["values"][0]
    assert abs(data["minimum"] - bottom) <= step / 2 + 1e-15
    assert data["errors"].min() <= 0.5 * (INPUT[index] * step / 2) ** 2 + 1e-15
    assert book_loss(tg.Tensor([bottom if k == index else w
                                for k, w in enumerate(WEIGHTS)])).item() < 1e-30


def test_weight_with_the_large_input_has_the_steeper_curve():
    curves = [plot.error_curve_data(book_loss, WEIGHTS, k, span=0.3, num=61) for k in range(3)]
    # the error is quadratic in each weight with curvature input**2
    curvature = [np.diff(c["errors"], 2).mean() / (c["values"][1] - c["values"][0]) ** 2
                 for c in curves]
    assert curvature == pytest.approx([x ** 2 for x in INPUT], rel=1e-6)
    assert abs(curves[0]["slope"]) > 6 * max(abs(curves[1]["slope"]), abs(curves[2]["slope"]))


def test_frozen_weights_curve_has_the_curves_slope_not_the_zeroed_grad():
    weights = nn.Parameter(WEIGHTS)
    weights.freeze_(0)
    data = plot.error_curve_data(book_loss, weights, 0)
    assert data["slope"] == pytest.approx(-1.19, abs=1e-12)
    assert weights.grad is None  # the picture's backward() ran on a copy


def test_frozen_dot_stays_put_while_its_curve_moves():
    result = freeze_weight.run(verbose=False)
    stages = result["weights"] + [result["final_weights"]]
    curves = [plot.error_curve_data(book_loss, w, 0, span=0.1, num=401) for w in stages]
    assert [c["weight"] for c in curves] == [0.1] * 4  # the dot stays put
    bottoms = [c["minimum"] for c in curves]
    assert all(later < earlier for earlier, later in zip(bottoms, bottoms[1:]))
    # ... and the curve's bottom moves left towards it, to where a makes pred = 1
    for weights, bottom in zip(stages, bottoms):
        pred = sum(x * w for x, w in zip(INPUT, weights))
        assert bottom == pytest.approx(0.1 + (1 - pred) / 8.5, abs=2.6e-4)
    assert bottoms[0] - 0.1 > 8 * (bottoms[-1] - 0.1)
    errors = [c["error"] for c in curves]
    assert all(later < earlier for earlier, later in zip(errors, errors[1:]))


def test_curve_of_a_matrix_entry_and_float32_weights():
    weights = np.array([[0.1, 0.2], [0.3, 0.4]], dtype=np.float32)

    def loss(w: tg.Tensor) -> tg.Tensor:
        return ((w * tg.Tensor(np.array([[1, 2], [3, 4]], np.float32))).sum() - 1) ** 2

    data = plot.error_curve_data(loss, weights, (1, 0), span=0.1, num=5)
    # d/dw10 (sum - 1)**2 = 2 * (sum - 1) * 3, with sum = 0.1 + 0.4 + 0.9 + 1.6 = 3
    assert data["slope"] == pytest.approx(2 * 2 * 3, rel=1e-6)
    assert data["weight"] == pytest.approx(0.3, rel=1e-6)


def test_parameter_loss_of_a_module():
    model = nn.Linear(3, 2, seed=0)
    x, target = tg.Tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]]), tg.Tensor([[1.0, 0.0],
                                                                            [0.0, 1.0]])
    nn.MSELoss()(model(x), target).backward()
    grads = {name: p.grad.numpy().copy() for name, p in model.named_parameters()}
    loss_fn = plot.parameter_loss(model, "weight", x, target, nn.MSELoss())
    weight = model.weight
    data = plot.error_curve_data(loss_fn, model.weight, (1, 2), span=0.5, num=11)
    assert data["slope"] == pytest.approx(model.weight.grad.numpy()[1, 2], rel=1e-12)
    assert model.weight is weight  # the model got its parameter back
    for name, p in model.named_parameters():  # the picture's backward() added to no .grad
        assert p.requires_grad and (p.grad.numpy() == grads[name]).all(), name
    assert data["error"] == pytest.approx(nn.MSELoss()(model(x), target).item(), rel=1e-12)
    sequential = nn.Sequential(nn.Linear(3, 2, seed=1), nn.ReLU())
    loss_fn = plot.parameter_loss(sequential, "0.bias", x, target, nn.MSELoss())
    assert plot.error_curve_data(loss_fn, sequential[0].bias, 0, num=3)["values"].shape == (3,)
    with pytest.raises(KeyError, match="parameter_loss: Linear has no parameter 'weights'; "
                                       "its parameters are weight, bias"):
        plot.parameter_loss(model, "weights", x, target, nn.MSELoss())


# ---------------------------------------------------------------------------------------
# The error bowl


def test_training_path_goes_downhill_on_the_bowl():
    result = multi_input.run(verbose=False)
    trajectory = result["weights"] + [result["final_weights"]]
    data = plot.error_surface_data(book_loss, result["final_weights"], (0, 1),
                                   trajectory=trajectory, num=21)
    errors = data["path_errors"]
    assert len(errors) == 4
    assert all(later < earlier for earlier, later in zip(errors, errors[1:]))
    # the path's errors are the training run's own: the book's printed errors, halved
    assert errors[:3] == pytest.approx([0.5 * e for e in result["errors"]], rel=1e-12)
    assert data["path_x"].tolist() == [w[0] for w in trajectory]
    assert data["path_y"].tolist() == [w[1] for w in trajectory]
    # the grid covers the path, square in weight units
    assert data["x"].min() < data["path_x"].min() and data["x"].max() > data["path_x"].max()
    assert data["y"].min() < data["path_y"].min() and data["y"].max() > data["path_y"].max()
    assert np.ptp(data["x"]) == pytest.approx(np.ptp(data["y"]))


def test_surface_holds_the_other_weights_and_finds_the_floor():
    data = plot.error_surface_data(book_loss, WEIGHTS, (0, 2), span=0.2, num=31)
    assert data["errors"].shape == (31, 31)
    j, i = 7, 20  # errors[j, i] is the error at (x[i], y[j]), b held at 0.2
    expected = book_loss(tg.Tensor([data["x"][i], 0.2, data["y"][j]])).item()
    assert data["errors"][j, i] == pytest.approx(expected, rel=1e-12)
    # one example: the floor is the line 8.5 a + 1.2 c = 1 - 0.65 * 0.2, where error is 0
    on_floor = np.abs(8.5 * data["x"][None, :] + 1.2 * data["y"][:, None] - 0.87) < 1e-9
    if on_floor.any():
        assert data["errors"][on_floor].max() < 1e-20
    assert data["errors"].min() < 0.5 * (8.5 * (data["x"][1] - data["x"][0])) ** 2
    assert data["path_errors"].size == 0


# ---------------------------------------------------------------------------------------
# Weights as images, dot products, training curves


def test_weight_images_are_each_outputs_weights_in_28x28():
    rng = np.random.default_rng(0)
    weight = rng.normal(size=(10, 784))
    weight[3, :392] = np.abs(weight[3, :392])  # digit 3: top half positive,
    weight[3, 392:] = -np.abs(weight[3, 392:])  # bottom half negative
    data = plot.weight_images_data(nn.Parameter(weight))
    images = data["images"]
    assert images.shape == (10, 28, 28)
    for k in range(10):
        assert (images[k] == weight[k].reshape(28, 28)).all()
        assert (np.sign(images[k]) == np.sign(weight[k].reshape(28, 28))).all()
    assert (images[3, :14] > 0).all() and (images[3, 14:] < 0).all()
    assert images[0, 0, 5] == weight[0, 5] and images[0, 1, 0] == weight[0, 28]  # row-major
    assert data["limit"] == np.abs(weight).max()


def test_dot_products_of_the_documents_vectors():
    vectors = {"a": [0, 1, 0, 1], "b": [1, 0, 1, 0], "c": [0, 1, 1, 0], "d": [.5, 0, .5, 0]}
    data = plot.dot_similarity_data(vectors)
    scores = dict(zip(((r, c) for r in "abcd" for c in "abcd"), data["scores"].ravel()))
    assert scores["a", "b"] == 0  # nothing in common
    assert scores["b", "c"] == 1 and scores["b", "d"] == 1  # overlap in one column
    assert scores["c", "c"] == 2 and scores["d", "d"] == 0.5  # a vector with itself
    assert scores["c", "d"] == 0.5
    assert (data["scores"] == data["scores"].T).all()
    against = plot.dot_similarity_data(vectors, {"x": [1, 1, 1, 1]})
    assert against["scores"][:, 0].tolist() == [2, 2, 2, 1]


def test_training_curves_data_numbers_the_epochs():
    data = plot.training_curves_data({"loss": {"train": [0.9, 0.5, 0.2],
                                               "every 100": ([1, 101], [0.8, 0.3])},
                                      "accuracy": {"test": ([3], [0.75])}})
    x, y = data["loss"]["train"]
    assert x.tolist() == [1, 2, 3] and y.tolist() == [0.9, 0.5, 0.2]
    assert data["loss"]["every 100"][0].tolist() == [1, 101]
    assert data["accuracy"]["test"][1].tolist() == [0.75]


# ---------------------------------------------------------------------------------------
# Bad input: clear errors that name the function


@pytest.mark.parametrize("call, error, message", [
    (lambda: plot.error_curve_data(lambda w: w * 2, WEIGHTS, 0), ValueError,
     r"error_curve_data: loss_fn returned a Tensor of shape \(3,\); .*\.sum\(\)"),
    (lambda: plot.error_curve_data(lambda w: 1.0, WEIGHTS, 0), TypeError,
     "error_curve_data: loss_fn returned float, not a Tensor"),
    (lambda: plot.error_curve_data(lambda w: tg.Tensor(1.0), WEIGHTS, 0), ValueError,
     "does not depend on the weights"),
    (lambda: plot.error_curve_data(book_loss, WEIGHTS, 3), IndexError,
     r"error_curve_data: index 3 does not pick an entry of weights of shape \(3,\)"),
    (lambda: plot.error_curve_data(book_loss, WEIGHTS, slice(0, 2)), IndexError,
     "picks 2 entries"),
    (lambda: plot.error_curve_data(book_loss, WEIGHTS, 0, span=0), ValueError,
     "error_curve_data: span must be a positive number, got 0"),
    (lambda: plot.error_curve_data(book_loss, WEIGHTS, 0, num=2), ValueError,
     "num must be an int >= 3"),
    (lambda: plot.error_curve_data(book_loss, ["x", "y"], 0), TypeError,
     "weights must be a non-empty array of numbers"),
    (lambda: plot.error_surface_data(book_loss, WEIGHTS, (1, 1)), ValueError,
     "name the same weight twice"),
    (lambda: plot.error_surface_data(book_loss, WEIGHTS, (0,)), ValueError,
     "indices must name two weights"),
    (lambda: plot.error_surface_data(book_loss, WEIGHTS, trajectory=[[0.1, 0.2]]), ValueError,
     r"trajectory step 0 has shape \(2,\), the weights have shape \(3,\)"),
    (lambda: plot.weight_images_data(np.zeros((10, 780))), ValueError,
     "780 weights, which cannot be shown as a 28x28 image"),
    (lambda: plot.weight_images_data(np.zeros(784)), ValueError,
     r"shape \(outputs, inputs\), got shape \(784,\)"),
    (lambda: plot.dot_similarity_data({"a": [1, 2], "b": [1, 2, 3]}), ValueError,
     "must have one length, got a: 2, b: 3"),
    (lambda: plot.dot_similarity_data({"a": [1, 2]}, {"x": [1, 2, 3]}), ValueError,
     "the vectors have 2 entries, those to compare against 3"),
    (lambda: plot.dot_similarity_data([[1, 2]]), TypeError, "mapping of names to vectors"),
    (lambda: plot.training_curves_data({"loss": {"train": ([1, 2], [0.5])}}), ValueError,
     "the curve 'train' needs as many x as y values"),
    (lambda: plot.training_curves_data({"loss": [0.5]}), TypeError,
     "panel 'loss' must map curve labels to values"),
])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---------------------------------------------------------------------------------------
# Drawing: the figure holds the data, the file is written


def _lines_of(ax):
    return [(line.get_xdata(), line.get_ydata(), line.get_linestyle()) for line in ax.lines]


@needs_matplotlib
def test_error_curves_figure_draws_curve_dot_and_tangent(tmp_path):
    path = tmp_path / "curves.png"
    stages = {"before": WEIGHTS, "after": multi_input.run(verbose=False)["final_weights"]}
    figure = plot.error_curves(book_loss, stages, names=["a", "b", "c"], frozen=[2],
                               span=0.5, title="Grokking ch. 5", path=path)
    assert path.read_bytes()[:8] == PNG_MAGIC
    assert len(figure.axes) == 3
    assert [ax.get_title() for ax in figure.axes] == ["a", "b", "c (frozen)"]
    assert figure._suptitle.get_text() == "Grokking ch. 5"
    expected = plot.error_curve_data(book_loss, WEIGHTS, 0, span=0.5)
    lines = _lines_of(figure.axes[0])
    assert any(np.array_equal(x, expected["values"]) and np.array_equal(y, expected["errors"])
               for x, y, _ in lines)
    dots = [(x, y) for x, y, style in lines if len(x) == 1]
    assert (0.1, pytest.approx(expected["error"])) in [(x[0], y[0]) for x, y in dots]
    tangents = [(x, y) for x, y, style in lines if style == ":" and len(x) > 1]
    slopes = [np.polyfit(x, y, 1)[0] for x, y in tangents]
    assert any(s == pytest.approx(-1.19, abs=1e-9) for s in slopes)
    low, high = figure.axes[0].get_ylim()
    assert figure.axes[1].get_ylim() == (low, high)  # one y-axis: steepness compares


@needs_matplotlib
def test_error_bowl_draws_the_path(tmp_path):
    result = multi_input.run(verbose=False)
    trajectory = result["weights"] + [result["final_weights"]]
    path = tmp_path / "bowl.png"
    figure = plot.error_bowl(book_loss, result["final_weights"], trajectory, num=11,
                             names=["a", "b"], path=path)
    assert path.read_bytes()[:8] == PNG_MAGIC
    contour_ax = [ax for ax in figure.axes if ax.name != "3d" and ax.get_xlabel() == "a"][0]
    start, end = contour_ax.lines[0], contour_ax.lines[1]
    assert (start.get_xdata()[0], start.get_ydata()[0]) == (0.1, 0.2)
    assert end.get_xdata()[0] == result["final_weights"][0]
    assert "after 3 steps" in end.get_label()


@needs_matplotlib
def test_weight_images_dot_similarity_and_training_curves_files(tmp_path):
    weight = np.random.default_rng(1).normal(size=(4, 784))
    initial = np.full((4, 784), 0.5)
    figure = plot.weight_images(weight, initial=initial, path=tmp_path / "weights.png")
    images = [ax.images[0].get_array() for ax in figure.axes if ax.images]
    assert len(images) == 8 and images[0].shape == (28, 28)
    assert np.array_equal(images[2], weight[2].reshape(28, 28))  # row 1: the weights
    assert np.array_equal(images[6], weight[2].reshape(28, 28) - 0.5)  # row 2: the change
    low, high = figure.axes[0].images[0].get_clim()
    assert low == -high  # zero is the neutral middle of the colours

    plot.dot_similarity({"b": [1, 0, 1, 0], "c": [0, 1, 1, 0]},
                        templates={str(k): weight[k] for k in range(4)},
                        inputs={"x": np.abs(weight[0])}, path=tmp_path / "dot.png")
    figure = plot.training_curves({"loss": {"train": [0.9, 0.4, 0.1]},
                                   "accuracy": {"test": ([3], [0.8])}},
                                  path=tmp_path / "training.svg")
    assert [ax.get_ylabel() for ax in figure.axes] == ["loss", "accuracy"]
    assert figure.axes[0].lines[0].get_ydata().tolist() == [0.9, 0.4, 0.1]
    for name in ("weights.png", "dot.png"):
        assert (tmp_path / name).read_bytes()[:8] == PNG_MAGIC
    assert "<svg" in (tmp_path / "training.svg").read_text()


# ---------------------------------------------------------------------------------------
# Legible in the documentation's column: 861 px at a 1280 px window


COLUMN_PX = 861
SMALLEST_TEXT_PX = 9.5  # what tests/test_docs_pictures.py asks of every picture


def png_width_and_dpi(path) -> tuple[int, float]:
    data = path.read_bytes()
    at = data.find(b"pHYs")  # pixels per metre, as matplotlib writes the dpi
    return struct.unpack(">I", data[16:20])[0], struct.unpack(">I", data[at + 4:at + 8])[0] \
        * 0.0254


def smallest_text_pt(figure) -> float:
    from matplotlib.text import Text
    return min(text.get_fontsize() for text in figure.findobj(Text)
               if text.get_visible() and text.get_text().strip())


def _three_panels(tmp_path):
    return plot.training_curves({"whole set": {"lr 0.5": [0.3, 0.2, 0.1]},
                                 "SSE vs MSE": {"SSE": [0.3, 0.25, 0.28], "MSE": [0.3, 0.2, 0.15]},
                                 "mini-batches": {"lr 0.5": [0.3, 0.2, 0.1]}},
                                ylabel="train loss", title="three panels",
                                path=tmp_path / "training.png")


def _weights_of_ten(tmp_path):
    rng = np.random.default_rng(3)
    return plot.weight_images(rng.normal(size=(10, 784)), initial=rng.normal(size=(10, 784)),
                              labels=[f"weights of {k}" for k in range(10)],
                              title="ten outputs", path=tmp_path / "weights.png")


def _matrix_curves(tmp_path):
    return plot.error_curves(lambda w: (w * w).sum(), {"start": np.full((3, 3), 0.5)},
                             path=tmp_path / "curves.png")


PICTURES = {
    "error_curves of three weights": lambda tmp_path: plot.error_curves(
        book_loss, {"before training": WEIGHTS, "after": [0.11, 0.2, -0.09]},
        names=["a", "b", "c"], title="three weights", path=tmp_path / "curves.png"),
    "error_curves of a 3x3 matrix": _matrix_curves,
    "error_bowl": lambda tmp_path: plot.error_bowl(
        book_loss, WEIGHTS, [WEIGHTS, [0.11, 0.2, -0.1]], num=11, names=["a", "b"],
        error_label="error = 0.5 * (pred - true)**2", title="a bowl", path=tmp_path / "bowl.png"),
    "weight_images of ten outputs": _weights_of_ten,
    "training_curves of three panels": _three_panels,
}


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """`drawn(name)`: the figure of PICTURES[name] and the folder its file went to, each
    picture drawn once for the tests of this module that look at it."""
    figures: dict = {}

    def draw(name: str):
        if name not in figures:
            folder = tmp_path_factory.mktemp("picture")
            figures[name] = PICTURES[name](folder), folder
        return figures[name]
    return draw


@needs_matplotlib
@pytest.mark.parametrize("name", list(PICTURES))
def test_a_picture_shown_in_the_docs_column_keeps_its_smallest_text_about_10_px(drawn, name):
    # 11 in bowls, 4.4 in panels and 1.45 in images side by side were 1320 to 1932 px wide:
    # shrunk into the column, their 7 and 8 pt text was 5 to 8.7 px high
    figure, folder = drawn(name)
    width, dpi = png_width_and_dpi(next(folder.glob("*.png")))
    smallest = smallest_text_pt(figure)
    shown_px = smallest * dpi / 72 * min(1.0, COLUMN_PX / width)
    assert shown_px >= SMALLEST_TEXT_PX, (width, dpi, smallest)
    assert smallest >= 8  # what the docs' test assumes of a plot


def _rows(axes) -> list[list[float]]:
    """The x-centres (figure fractions) of the axes, a list per row, top row first."""
    rows: dict[float, list[float]] = {}
    for ax in axes:  # (in the whole figure: a subfigure's axes give their place in it)
        box = ax.get_window_extent().transformed(ax.figure.figure.transFigure.inverted())
        rows.setdefault(round(box.y0, 3), []).append((box.x0 + box.x1) / 2)
    return [sorted(rows[y]) for y in sorted(rows, reverse=True)]


@needs_matplotlib
def test_many_panels_are_drawn_in_rows_a_short_last_row_centred(drawn):
    rows = _rows(drawn("error_curves of a 3x3 matrix")[0].axes)
    assert [len(row) for row in rows] == [3, 3, 3]
    rows = _rows(drawn("training_curves of three panels")[0].axes)
    assert [len(row) for row in rows] == [2, 1]
    assert rows[1][0] == pytest.approx((rows[0][0] + rows[0][1]) / 2, abs=0.02)
    figure = drawn("weight_images of ten outputs")[0]
    images = [ax for ax in figure.axes if ax.images]
    assert [len(row) for row in _rows(images)] == [5, 5, 5, 5]  # trained, then the change
    titles = [ax.get_title() for ax in images]
    assert titles == [f"weights of {k}" for k in range(10)] * 2


@needs_matplotlib
def test_the_slopes_bowl_says_against_the_gradient_and_names_the_loss(tmp_path, monkeypatch):
    from tinygrad_gd.examples import slope
    drawn = {}
    monkeypatch.setattr(plot, "save_figure", lambda figure, path: drawn.setdefault(
        path.name, figure))
    slope.save_pictures(slope.run(verbose=False), tmp_path)
    bowl = drawn["slope-error-bowl.png"]
    weights, inputs, target = np.array([1.0, 2.0]), np.array([3.0, 4.0]), 6.0
    error = weights @ inputs - target  # 5, the slides' error; its square is the loss drawn
    gradient = 2 * error * inputs  # [30, 40]: the first step goes the other way
    title = " ".join(bowl._suptitle.get_text().split())
    assert f"against the gradient [{gradient[0]:g}, {gradient[1]:g}]" in title
    assert "along the gradient" not in title
    legend = [text.get_text() for ax in bowl.axes if ax.get_legend()
              for text in ax.get_legend().get_texts()]
    assert legend[0] == f"start: loss {error ** 2:g}", legend
    assert legend[1].startswith("after 20 steps: loss "), legend


@needs_matplotlib
def test_save_into_a_missing_folder_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="save_figure: .*does not exist; create it"):
        plot.training_curves({"loss": {"train": [1.0, 0.5]}},
                             path=tmp_path / "no" / "such" / "t.png")


@needs_matplotlib
def test_save_onto_a_folder_suggests_a_picture_not_a_model(tmp_path):
    (tmp_path / "adir").mkdir()
    with pytest.raises(IsADirectoryError) as caught:
        plot.training_curves({"loss": {"train": [1.0, 0.5]}}, path=tmp_path / "adir")
    message = caught.value.strerror
    assert message.startswith("save_figure: ") and "model.npz" not in message
    assert repr(str(tmp_path / "adir" / "figure.png")) in message
    assert list((tmp_path / "adir").iterdir()) == []


def test_an_optimizer_run_gives_the_path_the_picture_draws():
    # the picture's data comes from a real training run: SGD steps on backward()'s gradient
    weights = nn.Parameter(WEIGHTS)
    optimizer = optim.SGD([weights], lr=0.01)
    trajectory = [weights.numpy().copy()]
    for _ in range(3):
        optimizer.zero_grad()
        book_loss(weights).backward()
        optimizer.step()
        trajectory.append(weights.numpy().copy())
    data = plot.error_surface_data(book_loss, trajectory[-1], (0, 1), trajectory=trajectory,
                                   num=5)
    assert data["path_errors"][-1] < 1e-5 < data["path_errors"][0]


@needs_matplotlib
def test_stages_that_hold_the_other_weights_alike_draw_one_curve_over_all_their_ranges(tmp_path):
    # one weight moved by a step: the slides' picture drew the before-curve and the
    # after-curve over their own ranges, one over the other, with a stub of one at an end
    def loss(w):
        return ((w * 3.0).sum() - 10.0) ** 2
    stages = {"before": [2.0], "after": [2.24]}
    figure = plot.error_curves(loss, stages, span=0.5, path=tmp_path / "one.png")
    curves = [(x, y) for x, y, style in _lines_of(figure.axes[0]) if style == "-" and len(x) > 2]
    assert len(curves) == 1
    x, y = curves[0]
    assert (x.min(), x.max()) == (pytest.approx(1.5), pytest.approx(2.74))
    assert np.all(np.diff(x) >= 0)
    assert y == pytest.approx((3.0 * x - 10.0) ** 2)
    labels = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert "error curve (the same at every stage)" in labels
    # the others held at other values: a curve per stage, in the stage's colour
    three = plot.error_curves(book_loss, {"before": WEIGHTS, "after": [0.11, 0.2, -0.09]},
                              path=tmp_path / "three.png")
    solid = [x for x, y, style in _lines_of(three.axes[0]) if style == "-" and len(x) > 2]
    assert len(solid) == 2
